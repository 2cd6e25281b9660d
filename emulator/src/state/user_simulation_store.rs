//! What the sandbox's simulated app user does to the [`Store`]: check in on a PoS by its
//! beacon id, accept the payment issued to them, or cancel it. These act on a PoS and its
//! active payment together, so they are neither PoS nor payment operations.

use super::payment::AcceptOutcome;
use super::{Deadline, Store};
use crate::config::EmulatorConfig;
use crate::errors::{ApiError, ErrorCode};
use crate::seed::{PaymentSource, Seed};
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use uuid::Uuid;

impl Store {
    fn pos_by_beacon(&self, beacon: &str) -> Result<Uuid, ApiError> {
        self.beacons
            .get(&beacon.to_ascii_lowercase())
            .copied()
            .ok_or(ErrorCode::SimUnknownBeacon.into())
    }

    /// A test user checks in on the PoS of `beacon`; returns the PoS.
    pub fn sim_check_in(
        &mut self,
        seed: &Seed,
        beacon: &str,
        phone: &str,
        now: DateTime<Utc>,
    ) -> Result<Uuid, ApiError> {
        let pos_id = self.pos_by_beacon(beacon)?;
        let user = seed.user(phone).ok_or(ErrorCode::SimUnknownUser)?;
        let pos = self.poses.get(&pos_id).ok_or(ErrorCode::SimUnknownBeacon)?;
        let active = pos.active_payment;
        let active_user = active
            .and_then(|id| self.payments.get(&id))
            .and_then(|p| p.user);
        if !pos.check_in_allowed(user, active_user) {
            return Err(ErrorCode::SimCheckInRefused.with(if pos.require_payment_before_checkin && active.is_none() {
                "User simulation: this point of sale requires a payment before check-in (requirePaymentBeforeCheckin)"
            } else {
                "User simulation: another user is paying on this point of sale"
            }));
        }
        if let Some(pos) = self.poses.get_mut(&pos_id) {
            pos.checked_in = Some(user);
        }
        if let Some(p) = active.and_then(|id| self.payments.get_mut(&id)) {
            p.check_in(user, now);
        }
        Ok(pos_id)
    }

    /// The test user accepts the payment issued to them on the PoS of `beacon`, paying with
    /// `card` (emulator-only) or with their cards in turn. Returns the outcome and the card.
    #[allow(clippy::too_many_arguments)]
    pub fn sim_accept(
        &mut self,
        seed: &Seed,
        config: &EmulatorConfig,
        beacon: &str,
        phone: &str,
        card: Option<PaymentSource>,
        now: DateTime<Utc>,
    ) -> Result<(AcceptOutcome, PaymentSource), ApiError> {
        let pos_id = self.pos_by_beacon(beacon)?;
        let user = seed.user(phone).ok_or(ErrorCode::SimUnknownUser)?;
        let test_user = &seed.test_users[user];
        let active = self
            .poses
            .get(&pos_id)
            .and_then(|p| p.active_payment)
            .ok_or(ErrorCode::SimNothingToAccept)?;
        let p = self
            .payments
            .get_mut(&active)
            .ok_or(ErrorCode::SimNothingToAccept)?;
        let (outcome, card) =
            p.accept(user, test_user, card, config.reservation_lifetime_secs, now)?;
        if outcome == AcceptOutcome::Reserved {
            if let Some(at) = p.expires_at {
                self.deadlines
                    .push(Reverse((at, Deadline::PaymentExpiry(active))));
            }
            self.sync_pos(active);
        }
        Ok((outcome, card))
    }

    /// The user cancels the payment on the PoS of `beacon` in the app.
    pub fn sim_cancel(&mut self, beacon: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
        let pos_id = self.pos_by_beacon(beacon)?;
        let active = self
            .poses
            .get(&pos_id)
            .and_then(|p| p.active_payment)
            .ok_or(ErrorCode::SimNothingToCancel)?;
        let p = self
            .payments
            .get_mut(&active)
            .ok_or(ErrorCode::SimNothingToCancel)?;
        p.cancel_by_user(now)?;
        self.sync_pos(active);
        Ok(())
    }
}
