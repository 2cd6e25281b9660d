//! The payment state machine of notes §5.1–§5.3 and §5.8–§5.9 (payments and prepared payments).
//!
//! Pure: every transition takes the virtual time as an argument and returns the catalogue
//! code that refuses it, so the rules can be unit-tested without HTTP and every caller holds
//! the store lock while it applies them (which is what makes "exactly one final state"
//! under concurrent capture and cancel true by construction).

use super::Owner;
use crate::errors::ErrorCode;
use crate::seed::{PaymentSource, TestUser};
use crate::validation::Restrictions;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PaymentStatus {
    Prepared,
    Initiated,
    Paired,
    IssuedToUser,
    Reserved,
    CancelledByUser,
    CancelledByClient,
    CancelledByMobilePay,
    ExpiredAndCancelled,
    Captured,
}

impl PaymentStatus {
    /// Active states block new payments on the PoS (1301). `Reserved` does not.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::Prepared | Self::Initiated | Self::Paired | Self::IssuedToUser
        )
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Captured
                | Self::CancelledByUser
                | Self::CancelledByClient
                | Self::CancelledByMobilePay
                | Self::ExpiredAndCancelled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prepared => "Prepared",
            Self::Initiated => "Initiated",
            Self::Paired => "Paired",
            Self::IssuedToUser => "IssuedToUser",
            Self::Reserved => "Reserved",
            Self::CancelledByUser => "CancelledByUser",
            Self::CancelledByClient => "CancelledByClient",
            Self::CancelledByMobilePay => "CancelledByMobilePay",
            Self::ExpiredAndCancelled => "ExpiredAndCancelled",
            Self::Captured => "Captured",
        }
    }
}

/// What `ready` (or initiate) fixes: amount, currency, restrictions, label, capture delay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDetails {
    pub amount: i64,
    pub currency: &'static str,
    pub restrictions: Option<Restrictions>,
    pub label: Option<String>,
    pub planned_capture_delay: &'static str,
}

#[derive(Debug, Clone)]
pub struct Payment {
    pub id: Uuid,
    pub pos_id: Uuid,
    pub owner: Owner,
    pub order_id: String,
    pub details: Option<PaymentDetails>,
    pub status: PaymentStatus,
    /// Created through `POST /payments/prepare`.
    pub prepared: bool,
    /// The test user (index into the seed) the payment is paired with or issued to.
    pub user: Option<usize>,
    pub partial_capture_possible: Option<bool>,
    pub captured_amount: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub captured_at: Option<DateTime<Utc>>,
    /// Cards the restrictions refused on this payment, so the customer picks another next.
    pub refused_cards: Vec<PaymentSource>,
}

/// The result of a user's swipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptOutcome {
    Reserved,
    /// The user's card type is disallowed by the restrictions: the app shows an error and
    /// the payment stays `IssuedToUser` (notes §5.8).
    RefusedByRestrictions,
}

impl Payment {
    /// `POST /payments`: `IssuedToUser` if a user is checked in on the PoS, else `Initiated`.
    pub fn initiate(
        id: Uuid,
        pos_id: Uuid,
        owner: Owner,
        order_id: String,
        details: PaymentDetails,
        checked_in: Option<usize>,
        now: DateTime<Utc>,
    ) -> Payment {
        let status = if checked_in.is_some() {
            PaymentStatus::IssuedToUser
        } else {
            PaymentStatus::Initiated
        };
        let mut p = Payment::fresh(id, pos_id, owner, order_id, status, checked_in, now);
        p.details = Some(details);
        p
    }

    /// `POST /payments/prepare`: `Prepared`, or `Paired` at once if a user is already checked in
    /// [inferred].
    pub fn prepare(
        id: Uuid,
        pos_id: Uuid,
        owner: Owner,
        order_id: String,
        checked_in: Option<usize>,
        now: DateTime<Utc>,
    ) -> Payment {
        let status = if checked_in.is_some() {
            PaymentStatus::Paired
        } else {
            PaymentStatus::Prepared
        };
        let mut p = Payment::fresh(id, pos_id, owner, order_id, status, checked_in, now);
        p.prepared = true;
        p
    }

    /// A new payment in `status`, with nothing reserved, captured or scheduled yet.
    fn fresh(
        id: Uuid,
        pos_id: Uuid,
        owner: Owner,
        order_id: String,
        status: PaymentStatus,
        user: Option<usize>,
        now: DateTime<Utc>,
    ) -> Payment {
        Payment {
            id,
            pos_id,
            owner,
            order_id,
            details: None,
            status,
            prepared: false,
            user,
            partial_capture_possible: None,
            captured_amount: None,
            created_at: now,
            updated_at: now,
            expires_at: None,
            captured_at: None,
            refused_cards: Vec::new(),
        }
    }

    fn set(&mut self, status: PaymentStatus, now: DateTime<Utc>) {
        self.status = status;
        self.updated_at = now;
    }

    /// A user checks in on the PoS: `Prepared` → `Paired`, `Initiated` → `IssuedToUser`.
    /// Returns whether the payment changed.
    pub fn check_in(&mut self, user: usize, now: DateTime<Utc>) -> bool {
        let next = match self.status {
            PaymentStatus::Prepared => PaymentStatus::Paired,
            PaymentStatus::Initiated => PaymentStatus::IssuedToUser,
            _ => return false,
        };
        self.user = Some(user);
        self.set(next, now);
        true
    }

    /// `POST …/ready`: `Prepared` → `Initiated`, `Paired` → `IssuedToUser`. Readying again with
    /// the same details is a no-op 200 [inferred]; anything else is 1303.
    pub fn ready(&mut self, details: PaymentDetails, now: DateTime<Utc>) -> Result<(), ErrorCode> {
        let next = match self.status {
            PaymentStatus::Prepared => PaymentStatus::Initiated,
            PaymentStatus::Paired => PaymentStatus::IssuedToUser,
            _ if self.prepared && self.details.as_ref() == Some(&details) => return Ok(()),
            _ => return Err(ErrorCode::PaymentNotPrepared),
        };
        self.details = Some(details);
        self.set(next, now);
        Ok(())
    }

    /// The user swipes (`acceptpayment`). Only an `IssuedToUser` payment issued to this user.
    /// `card` is the emulator-only choice of card; without it the user tries their cards in
    /// turn ([`TestUser::card_for`]). Returns the outcome and the card used.
    pub fn accept(
        &mut self,
        user_index: usize,
        user: &TestUser,
        card: Option<PaymentSource>,
        reservation_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<(AcceptOutcome, PaymentSource), ErrorCode> {
        if self.status != PaymentStatus::IssuedToUser || self.user != Some(user_index) {
            return Err(ErrorCode::SimNothingToAccept);
        }
        let card = user
            .card_for(card, &self.refused_cards)
            .ok_or(ErrorCode::SimNoSuchCard)?;
        let r = self
            .details
            .as_ref()
            .and_then(|d| d.restrictions)
            .unwrap_or_default();
        if card.refused_by(
            r.debit_card_disallowed.unwrap_or(false),
            r.credit_card_disallowed.unwrap_or(false),
        ) {
            if !self.refused_cards.contains(&card) {
                self.refused_cards.push(card);
            }
            return Ok((AcceptOutcome::RefusedByRestrictions, card));
        }
        self.partial_capture_possible = Some(user.partial_capture_possible());
        self.expires_at = Some(
            now + chrono::Duration::seconds(
                i64::try_from(reservation_secs)
                    .unwrap_or(i64::MAX)
                    .min(315_000_000_000),
            ),
        );
        self.set(PaymentStatus::Reserved, now);
        Ok((AcceptOutcome::Reserved, card))
    }

    /// The user cancels in the app: allowed in `Paired` and `IssuedToUser`.
    pub fn cancel_by_user(&mut self, now: DateTime<Utc>) -> Result<(), ErrorCode> {
        match self.status {
            PaymentStatus::Paired | PaymentStatus::IssuedToUser => {
                self.set(PaymentStatus::CancelledByUser, now);
                Ok(())
            }
            _ => Err(ErrorCode::SimNothingToCancel),
        }
    }

    /// `POST …/cancel`: any state until `Captured` or expiry; cancelling a payment the client
    /// already cancelled is a no-op 200 [inferred]; other final states are 1300.
    pub fn cancel_by_client(&mut self, now: DateTime<Utc>) -> Result<(), ErrorCode> {
        match self.status {
            s if s.is_active() || s == PaymentStatus::Reserved => {
                self.set(PaymentStatus::CancelledByClient, now);
                Ok(())
            }
            PaymentStatus::CancelledByClient => Ok(()),
            _ => Err(ErrorCode::CannotCancelPayment),
        }
    }

    /// `POST …/capture` with `amount` in minor units (notes §4.3, §5.9).
    pub fn capture(&mut self, amount: i64, now: DateTime<Utc>) -> Result<(), ErrorCode> {
        match self.status {
            PaymentStatus::Captured => {
                return if self.captured_amount == Some(amount) {
                    Ok(())
                } else {
                    Err(ErrorCode::AlreadyCapturedDifferentAmount)
                };
            }
            PaymentStatus::Reserved => {}
            _ => return Err(ErrorCode::PaymentNotReserved),
        }
        let reserved = self.details.as_ref().map(|d| d.amount).unwrap_or(0);
        if amount > reserved {
            return Err(ErrorCode::CaptureExceedsReserved);
        }
        if amount < reserved && self.partial_capture_possible != Some(true) {
            return Err(ErrorCode::PartialCaptureNotPossible);
        }
        self.captured_amount = Some(amount);
        self.captured_at = Some(now);
        self.set(PaymentStatus::Captured, now);
        Ok(())
    }

    /// The reservation lifetime ran out: `Reserved` → `ExpiredAndCancelled`.
    pub fn expire(&mut self, now: DateTime<Utc>) -> bool {
        if self.status == PaymentStatus::Reserved && self.expires_at.is_some_and(|e| e <= now) {
            self.set(PaymentStatus::ExpiredAndCancelled, now);
            true
        } else {
            false
        }
    }

    /// Inactive too long: an active payment becomes `CancelledByMobilePay`.
    pub fn cancel_for_inactivity(&mut self, timeout: chrono::Duration, now: DateTime<Utc>) -> bool {
        if self.status.is_active() && now - self.updated_at >= timeout {
            self.set(PaymentStatus::CancelledByMobilePay, now);
            true
        } else {
            false
        }
    }

    /// MobilePay ends the payment on its own (the control API's per-payment end):
    /// `CancelledByMobilePay` from the active states (notes §5.1: inactive too long, an
    /// error, the reservation failed on the card; §5.2 for `Prepared`; `Paired` [inferred],
    /// like the inactivity timeout), `ExpiredAndCancelled` from `Reserved` (the reservation
    /// ran out early, e.g. a card type with a shorter lifetime; `paymentExpiresAt` becomes now).
    /// Returns the state it left, or `Err` with the current one when MobilePay could not do it.
    pub fn end_by_mobilepay(
        &mut self,
        to: PaymentStatus,
        now: DateTime<Utc>,
    ) -> Result<PaymentStatus, PaymentStatus> {
        let from = self.status;
        match to {
            PaymentStatus::CancelledByMobilePay if from.is_active() => {}
            PaymentStatus::ExpiredAndCancelled if from == PaymentStatus::Reserved => {
                self.expires_at = Some(now);
            }
            _ => return Err(from),
        }
        self.set(to, now);
        Ok(from)
    }

    /// The PoS was deleted under an active payment [inferred]: MobilePay cancels it.
    pub fn cancel_by_mobilepay(&mut self, now: DateTime<Utc>) -> bool {
        if self.status.is_active() {
            self.set(PaymentStatus::CancelledByMobilePay, now);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EmulatorConfig;
    use crate::seed::Seed;
    use crate::state::MerchantKey;

    fn owner() -> Owner {
        Owner {
            client_id: "c".into(),
            merchant: MerchantKey::Known(0),
        }
    }

    fn details(amount: i64, r: Option<Restrictions>) -> PaymentDetails {
        PaymentDetails {
            amount,
            currency: "DKK",
            restrictions: r,
            label: None,
            planned_capture_delay: "None",
        }
    }

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    fn seed() -> Seed {
        Seed::from_config(&EmulatorConfig::default())
    }

    fn user(seed: &Seed, phone: &str) -> (usize, TestUser) {
        let i = seed.user(phone).unwrap();
        (i, seed.test_users[i].clone())
    }

    fn initiated(checked_in: Option<usize>, amount: i64, r: Option<Restrictions>) -> Payment {
        Payment::initiate(
            Uuid::new_v4(),
            Uuid::new_v4(),
            owner(),
            "o1".into(),
            details(amount, r),
            checked_in,
            now(),
        )
    }

    #[test]
    fn initiate_without_and_with_check_in() {
        assert_eq!(initiated(None, 100, None).status, PaymentStatus::Initiated);
        assert_eq!(
            initiated(Some(0), 100, None).status,
            PaymentStatus::IssuedToUser
        );
    }

    #[test]
    fn full_flow_initiated_issued_reserved_captured() {
        let s = seed();
        let (ui, u) = user(&s, "+4520031801");
        let mut p = initiated(None, 1250, None);
        assert!(p.check_in(ui, now()));
        assert_eq!(p.status, PaymentStatus::IssuedToUser);
        assert_eq!(
            p.accept(ui, &u, None, 3600, now()).map(|(o, _)| o),
            Ok(AcceptOutcome::Reserved)
        );
        assert_eq!(p.status, PaymentStatus::Reserved);
        assert_eq!(p.partial_capture_possible, Some(false));
        assert!(p.expires_at.is_some());
        assert_eq!(
            p.capture(1000, now()),
            Err(ErrorCode::PartialCaptureNotPossible)
        );
        assert_eq!(
            p.capture(1251, now()),
            Err(ErrorCode::CaptureExceedsReserved)
        );
        assert_eq!(p.capture(1250, now()), Ok(()));
        assert_eq!(p.status, PaymentStatus::Captured);
        assert_eq!(
            p.capture(1250, now()),
            Ok(()),
            "identical capture retry is 200"
        );
        assert_eq!(
            p.capture(1200, now()),
            Err(ErrorCode::AlreadyCapturedDifferentAmount)
        );
        assert_eq!(
            p.cancel_by_client(now()),
            Err(ErrorCode::CannotCancelPayment)
        );
    }

    #[test]
    fn partial_capture_user_may_capture_less() {
        let s = seed();
        let (ui, u) = user(&s, "+358200318005");
        let mut p = initiated(Some(ui), 2000, None);
        p.accept(ui, &u, None, 3600, now()).unwrap();
        assert_eq!(p.partial_capture_possible, Some(true));
        assert_eq!(p.capture(1000, now()), Ok(()));
        assert_eq!(p.captured_amount, Some(1000));
    }

    #[test]
    fn capture_before_reservation_is_1304() {
        let mut p = initiated(None, 100, None);
        assert_eq!(p.capture(100, now()), Err(ErrorCode::PaymentNotReserved));
    }

    #[test]
    fn restrictions_leave_the_payment_issued_to_user() {
        let s = seed();
        let (di, d) = user(&s, "+4520031802");
        let r = Restrictions {
            debit_card_disallowed: Some(true),
            credit_card_disallowed: None,
        };
        let mut p = initiated(Some(di), 100, Some(r));
        assert_eq!(
            p.accept(di, &d, None, 3600, now()).map(|(o, _)| o),
            Ok(AcceptOutcome::RefusedByRestrictions)
        );
        assert_eq!(p.status, PaymentStatus::IssuedToUser);
        let (ci, c) = user(&s, "+4520031801");
        let r = Restrictions {
            debit_card_disallowed: None,
            credit_card_disallowed: Some(true),
        };
        let mut p = initiated(Some(ci), 100, Some(r));
        assert_eq!(
            p.accept(ci, &c, None, 3600, now()).map(|(o, _)| o),
            Ok(AcceptOutcome::RefusedByRestrictions)
        );
        // A credit user is not affected by debitCardDisallowed.
        let r = Restrictions {
            debit_card_disallowed: Some(true),
            credit_card_disallowed: Some(false),
        };
        let mut p = initiated(Some(ci), 100, Some(r));
        assert_eq!(
            p.accept(ci, &c, None, 3600, now()).map(|(o, _)| o),
            Ok(AcceptOutcome::Reserved)
        );
    }

    #[test]
    fn accept_by_another_user_or_in_wrong_state_is_refused() {
        let s = seed();
        let (ai, a) = user(&s, "+4520031801");
        let (bi, b) = user(&s, "+4520031803");
        let mut p = initiated(None, 100, None);
        assert_eq!(
            p.accept(ai, &a, None, 3600, now()),
            Err(ErrorCode::SimNothingToAccept)
        );
        p.check_in(ai, now());
        assert_eq!(
            p.accept(bi, &b, None, 3600, now()),
            Err(ErrorCode::SimNothingToAccept)
        );
    }

    #[test]
    fn prepared_flow_paired_then_ready() {
        let mut p = Payment::prepare(
            Uuid::new_v4(),
            Uuid::new_v4(),
            owner(),
            "o".into(),
            None,
            now(),
        );
        assert_eq!(p.status, PaymentStatus::Prepared);
        assert!(p.check_in(3, now()));
        assert_eq!(p.status, PaymentStatus::Paired);
        assert_eq!(p.ready(details(100, None), now()), Ok(()));
        assert_eq!(p.status, PaymentStatus::IssuedToUser);
        assert_eq!(
            p.ready(details(100, None), now()),
            Ok(()),
            "same ready again is a no-op"
        );
        assert_eq!(
            p.ready(details(200, None), now()),
            Err(ErrorCode::PaymentNotPrepared)
        );
    }

    #[test]
    fn prepared_then_ready_without_check_in_is_initiated() {
        let mut p = Payment::prepare(
            Uuid::new_v4(),
            Uuid::new_v4(),
            owner(),
            "o".into(),
            None,
            now(),
        );
        p.ready(details(100, None), now()).unwrap();
        assert_eq!(p.status, PaymentStatus::Initiated);
        assert!(p.check_in(0, now()));
        assert_eq!(p.status, PaymentStatus::IssuedToUser);
    }

    #[test]
    fn ready_on_a_non_prepared_payment_is_1303() {
        let mut p = initiated(None, 100, None);
        assert_eq!(
            p.ready(details(100, None), now()),
            Err(ErrorCode::PaymentNotPrepared)
        );
    }

    #[test]
    fn user_cancel_only_when_paired_or_issued() {
        let mut p = initiated(None, 100, None);
        assert_eq!(p.cancel_by_user(now()), Err(ErrorCode::SimNothingToCancel));
        p.check_in(0, now());
        assert_eq!(p.cancel_by_user(now()), Ok(()));
        assert_eq!(p.status, PaymentStatus::CancelledByUser);
        assert_eq!(
            p.cancel_by_client(now()),
            Err(ErrorCode::CannotCancelPayment)
        );
        let mut q = Payment::prepare(
            Uuid::new_v4(),
            Uuid::new_v4(),
            owner(),
            "o".into(),
            Some(0),
            now(),
        );
        assert_eq!(q.status, PaymentStatus::Paired);
        assert_eq!(q.cancel_by_user(now()), Ok(()));
    }

    #[test]
    fn client_cancel_in_every_cancellable_state_and_idempotent() {
        let s = seed();
        let (ui, u) = user(&s, "+4520031801");
        let mut prepared = Payment::prepare(
            Uuid::new_v4(),
            Uuid::new_v4(),
            owner(),
            "o".into(),
            None,
            now(),
        );
        let mut paired = Payment::prepare(
            Uuid::new_v4(),
            Uuid::new_v4(),
            owner(),
            "o".into(),
            Some(ui),
            now(),
        );
        let mut init = initiated(None, 100, None);
        let mut issued = initiated(Some(ui), 100, None);
        let mut reserved = initiated(Some(ui), 100, None);
        reserved.accept(ui, &u, None, 3600, now()).unwrap();
        for p in [
            &mut prepared,
            &mut paired,
            &mut init,
            &mut issued,
            &mut reserved,
        ] {
            assert_eq!(p.cancel_by_client(now()), Ok(()));
            assert_eq!(p.status, PaymentStatus::CancelledByClient);
            assert_eq!(p.cancel_by_client(now()), Ok(()));
        }
    }

    #[test]
    fn reservation_expiry_and_inactivity() {
        let s = seed();
        let (ui, u) = user(&s, "+4520031801");
        let t0 = now();
        let mut p = initiated(Some(ui), 100, None);
        p.accept(ui, &u, None, 7 * 24 * 3600, t0).unwrap();
        assert!(!p.expire(t0 + chrono::Duration::days(6)));
        assert!(p.expire(t0 + chrono::Duration::days(7)));
        assert_eq!(p.status, PaymentStatus::ExpiredAndCancelled);
        assert_eq!(
            p.cancel_by_client(now()),
            Err(ErrorCode::CannotCancelPayment)
        );

        let mut q = initiated(None, 100, None);
        let t = q.updated_at;
        assert!(!q.cancel_for_inactivity(
            chrono::Duration::seconds(60),
            t + chrono::Duration::seconds(59)
        ));
        assert!(q.cancel_for_inactivity(
            chrono::Duration::seconds(60),
            t + chrono::Duration::seconds(60)
        ));
        assert_eq!(q.status, PaymentStatus::CancelledByMobilePay);
    }

    #[test]
    fn mobilepay_ends_active_payments_as_cancelled_and_reserved_ones_as_expired() {
        use PaymentStatus::*;
        let s = seed();
        let (ui, u) = user(&s, "+4520031801");
        let mut p = initiated(None, 100, None);
        assert_eq!(
            p.end_by_mobilepay(ExpiredAndCancelled, now()),
            Err(Initiated)
        );
        assert_eq!(
            p.end_by_mobilepay(CancelledByMobilePay, now()),
            Ok(Initiated)
        );
        assert_eq!(
            p.end_by_mobilepay(CancelledByMobilePay, now()),
            Err(CancelledByMobilePay)
        );
        let mut r = initiated(Some(ui), 100, None);
        r.accept(ui, &u, None, 3600, now()).unwrap();
        assert_eq!(
            r.end_by_mobilepay(CancelledByMobilePay, now()),
            Err(Reserved)
        );
        let t = now();
        assert_eq!(r.end_by_mobilepay(ExpiredAndCancelled, t), Ok(Reserved));
        assert_eq!(r.expires_at, Some(t));
        let mut q = initiated(None, 100, None);
        assert_eq!(q.end_by_mobilepay(Captured, now()), Err(Initiated));
    }

    #[test]
    fn active_and_final_sets() {
        use PaymentStatus::*;
        for s in [Prepared, Initiated, Paired, IssuedToUser] {
            assert!(s.is_active() && !s.is_final());
        }
        assert!(!Reserved.is_active() && !Reserved.is_final());
        for s in [
            Captured,
            CancelledByUser,
            CancelledByClient,
            CancelledByMobilePay,
            ExpiredAndCancelled,
        ] {
            assert!(s.is_final() && !s.is_active());
        }
    }
}
