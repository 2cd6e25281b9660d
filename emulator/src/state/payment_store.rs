//! Payment operations of the [`Store`]: initiate and prepare (one active payment per PoS),
//! look up, ready, capture, cancel and list, and the order-id index they keep.

use super::payment::{Payment, PaymentDetails, PaymentStatus};
use super::pos::Pos;
use super::{check_owner, secs, Deadline, Owner, Store};
use crate::config::EmulatorConfig;
use crate::errors::{ApiError, ErrorCode};
use crate::seed::Seed;
use crate::validation::parse_guid;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use uuid::Uuid;

impl Store {
    /// The PoS a new payment goes on: 1000 if unknown or deleted, 1400 for another integrator
    /// or merchant, 1204 if its store is not activated, 1301 if it has an active payment.
    fn pos_for_new_payment(
        &self,
        seed: &Seed,
        owner: &Owner,
        pos_id: Uuid,
    ) -> Result<&Pos, ApiError> {
        let pos = self
            .poses
            .get(&pos_id)
            .filter(|p| !p.deleted)
            .ok_or(ErrorCode::PosNotFound409)?;
        check_owner(
            &pos.owner,
            owner,
            ErrorCode::PosOtherIntegrator,
            ErrorCode::PosOtherIntegrator,
        )?;
        let active = seed
            .store(&pos.store_id.to_string())
            .map(|(_, s)| s.active)
            .unwrap_or(false);
        if !active {
            return Err(ErrorCode::StoreNotActive.into());
        }
        if pos.active_payment.is_some() {
            return Err(ErrorCode::PaymentAlreadyActive.into());
        }
        Ok(pos)
    }

    fn insert_payment(&mut self, payment: Payment, config: &EmulatorConfig) -> Uuid {
        let id = payment.id;
        if let Some(pos) = self.poses.get_mut(&payment.pos_id) {
            pos.active_payment = Some(id);
            pos.payments.push(id);
        }
        if let Some(timeout) = config.inactivity_timeout_secs {
            self.deadlines.push(Reverse((
                payment.updated_at + secs(timeout),
                Deadline::Inactivity(id),
            )));
        }
        self.orders
            .insert((payment.owner.clone(), payment.order_id.clone()), id);
        self.payments.insert(id, Box::new(payment));
        id
    }

    #[allow(clippy::too_many_arguments)]
    pub fn initiate(
        &mut self,
        seed: &Seed,
        config: &EmulatorConfig,
        owner: &Owner,
        pos_id: Uuid,
        order_id: String,
        details: PaymentDetails,
        now: DateTime<Utc>,
    ) -> Result<Uuid, ApiError> {
        let checked_in = self.pos_for_new_payment(seed, owner, pos_id)?.checked_in;
        let payment = Payment::initiate(
            Uuid::new_v4(),
            pos_id,
            owner.clone(),
            order_id,
            details,
            checked_in,
            now,
        );
        Ok(self.insert_payment(payment, config))
    }

    pub fn prepare(
        &mut self,
        seed: &Seed,
        config: &EmulatorConfig,
        owner: &Owner,
        pos_id: Uuid,
        order_id: String,
        now: DateTime<Utc>,
    ) -> Result<Uuid, ApiError> {
        let checked_in = self.pos_for_new_payment(seed, owner, pos_id)?.checked_in;
        let payment = Payment::prepare(
            Uuid::new_v4(),
            pos_id,
            owner.clone(),
            order_id,
            checked_in,
            now,
        );
        Ok(self.insert_payment(payment, config))
    }

    /// A payment the caller may act on: 404 if unknown, 1401 for another integrator,
    /// `other_merchant` for another merchant.
    pub fn payment_for(
        &self,
        owner: &Owner,
        id: &str,
        other_merchant: ErrorCode,
    ) -> Result<&Payment, ApiError> {
        let p = parse_guid(id)
            .and_then(|id| self.payments.get(&id))
            .ok_or(ApiError::NotFound)?;
        check_owner(
            &p.owner,
            owner,
            ErrorCode::PaymentOtherIntegrator,
            other_merchant,
        )?;
        Ok(p)
    }

    fn payment_mut_for(
        &mut self,
        owner: &Owner,
        id: &str,
        other_merchant: ErrorCode,
    ) -> Result<&mut Payment, ApiError> {
        let p = parse_guid(id)
            .and_then(|id| self.payments.get_mut(&id))
            .ok_or(ApiError::NotFound)?;
        check_owner(
            &p.owner,
            owner,
            ErrorCode::PaymentOtherIntegrator,
            other_merchant,
        )?;
        Ok(p)
    }

    pub fn ready(
        &mut self,
        owner: &Owner,
        id: &str,
        details: PaymentDetails,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let p = self.payment_mut_for(owner, id, ErrorCode::ReadyOtherMerchant)?;
        p.ready(details, now)?;
        let pid = p.id;
        self.sync_pos(pid);
        Ok(())
    }

    pub fn capture(
        &mut self,
        owner: &Owner,
        id: &str,
        amount: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let p = self.payment_mut_for(owner, id, ErrorCode::CaptureOtherMerchant)?;
        p.capture(amount, now)?;
        Ok(())
    }

    pub fn cancel(&mut self, owner: &Owner, id: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
        let p = self.payment_mut_for(owner, id, ErrorCode::CancelOtherMerchant)?;
        p.cancel_by_client(now)?;
        let pid = p.id;
        self.sync_pos(pid);
        Ok(())
    }

    /// The control API's per-payment end decided by MobilePay (see
    /// [`Payment::end_by_mobilepay`]); an active payment that ends frees its PoS.
    /// `Ok(previous)`, or `Err(None)` for an unknown payment, `Err(Some(current))` when
    /// MobilePay could not end it so from its current state.
    pub fn end_payment(
        &mut self,
        id: &str,
        to: PaymentStatus,
        now: DateTime<Utc>,
    ) -> Result<PaymentStatus, Option<PaymentStatus>> {
        let p = parse_guid(id)
            .and_then(|id| self.payments.get_mut(&id))
            .ok_or(None)?;
        let previous = p.end_by_mobilepay(to, now).map_err(Some)?;
        let pid = p.id;
        self.sync_pos(pid);
        Ok(previous)
    }

    /// `GET /payments`: without `captured`, the active and reserved payments; with it, the
    /// captured ones. An `orderId` matches only its latest payment.
    pub fn list_payments(
        &self,
        owner: &Owner,
        pos_id: Option<Uuid>,
        order_id: Option<&str>,
        captured: bool,
    ) -> Vec<Uuid> {
        let wanted = |p: &Payment| {
            if captured {
                p.status == PaymentStatus::Captured
            } else {
                p.status.is_active() || p.status == PaymentStatus::Reserved
            }
        };
        let candidates: Vec<Uuid> = match (order_id, pos_id) {
            (Some(order), _) => self
                .orders
                .get(&(owner.clone(), order.to_string()))
                .copied()
                .into_iter()
                .collect(),
            (None, Some(pos)) => self
                .poses
                .get(&pos)
                .map(|p| p.payments.clone())
                .unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        candidates
            .into_iter()
            .filter_map(|id| self.payments.get(&id))
            .filter(|p| p.owner == *owner && pos_id.is_none_or(|pos| p.pos_id == pos) && wanted(p))
            .map(|p| p.id)
            .collect()
    }
}
