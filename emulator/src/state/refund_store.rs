//! Refund operations of the [`Store`]: create (against the captured payment's limits),
//! observe, capture, cancel and list.

use super::payment::PaymentStatus;
use super::refund::{Refund, RefundStatus};
use super::{check_owner, secs, Deadline, Owner, Store};
use crate::config::EmulatorConfig;
use crate::errors::{ApiError, ErrorCode};
use crate::validation::parse_guid;
use chrono::{DateTime, Utc};
use std::cmp::Reverse;
use uuid::Uuid;

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub fn create_refund(
        &mut self,
        config: &EmulatorConfig,
        owner: &Owner,
        payment_id: Uuid,
        refund_order_id: String,
        amount: i64,
        currency: &'static str,
        now: DateTime<Utc>,
    ) -> Result<Uuid, ApiError> {
        let p = self
            .payments
            .get(&payment_id)
            .ok_or(ErrorCode::PaymentNotFound409)?;
        check_owner(
            &p.owner,
            owner,
            ErrorCode::PaymentOtherIntegrator,
            ErrorCode::PaymentOtherIntegrator,
        )?;
        if p.status != PaymentStatus::Captured {
            return Err(ErrorCode::PaymentNotCaptured.into());
        }
        if p.details.as_ref().map(|d| d.currency) != Some(currency) {
            return Err(ErrorCode::RefundCurrencyDiffers.into());
        }
        if p.captured_at
            .is_some_and(|t| now - t > secs(config.refund_window_secs))
        {
            return Err(ErrorCode::PaymentTooOld.into());
        }
        let already: i64 = self
            .refunds
            .values()
            .filter(|r| r.payment_id == payment_id && r.status.counts_against_payment())
            .map(|r| r.amount)
            .sum();
        if already + amount > p.captured_amount.unwrap_or(0) {
            return Err(ErrorCode::RefundAmountTooHigh.into());
        }
        let id = Uuid::new_v4();
        self.refunds.insert(
            id,
            Box::new(Refund::new(
                id,
                payment_id,
                owner.clone(),
                refund_order_id,
                amount,
                currency,
                now,
            )),
        );
        Ok(id)
    }

    fn refund_mut_for(
        &mut self,
        owner: &Owner,
        id: &str,
        not_found: ApiError,
    ) -> Result<&mut Refund, ApiError> {
        let r = parse_guid(id)
            .and_then(|id| self.refunds.get_mut(&id))
            .ok_or(not_found)?;
        check_owner(
            &r.owner,
            owner,
            ErrorCode::RefundOtherIntegrator,
            ErrorCode::RefundOtherIntegrator,
        )?;
        Ok(r)
    }

    /// `GET /refunds/{id}` by an observer (poscert's judge): the status, changing nothing.
    pub fn peek_refund(&mut self, owner: &Owner, id: &str) -> Result<Refund, ApiError> {
        self.refund_mut_for(owner, id, ApiError::NotFound)
            .map(|r| r.clone())
    }

    /// `GET /refunds/{id}`: reports the status, then reserves an `Initiated` refund.
    pub fn observe_refund(
        &mut self,
        config: &EmulatorConfig,
        owner: &Owner,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(Refund, RefundStatus), ApiError> {
        let r = self.refund_mut_for(owner, id, ApiError::NotFound)?;
        let (reported, reserved) = r.observe(config.refund_auto_capture_secs, now);
        let snapshot = r.clone();
        if reserved {
            if let Some(at) = snapshot.expires_at {
                self.deadlines
                    .push(Reverse((at, Deadline::RefundAutoCapture(snapshot.id))));
            }
        }
        Ok((snapshot, reported))
    }

    pub fn capture_refund(
        &mut self,
        owner: &Owner,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let r = self.refund_mut_for(owner, id, ErrorCode::RefundNotFound404.into())?;
        r.capture()?;
        // A repeated capture (200 again) does not move the end: retention counts from the first.
        r.ended_at.get_or_insert(now);
        Ok(())
    }

    pub fn cancel_refund(
        &mut self,
        owner: &Owner,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let r = self.refund_mut_for(owner, id, ApiError::NotFound)?;
        r.cancel()?;
        r.ended_at.get_or_insert(now);
        Ok(())
    }

    /// The control API's per-refund end decided by MobilePay (see
    /// [`Refund::end_by_mobilepay`]); errors as [`Store::end_payment`].
    pub fn end_refund(
        &mut self,
        id: &str,
        to: RefundStatus,
        now: DateTime<Utc>,
    ) -> Result<RefundStatus, Option<RefundStatus>> {
        parse_guid(id)
            .and_then(|id| self.refunds.get_mut(&id))
            .ok_or(None)?
            .end_by_mobilepay(to, now)
            .map_err(Some)
    }

    pub fn list_refunds(&self, owner: &Owner, payment_id: Uuid) -> Vec<Uuid> {
        let mut out: Vec<&Refund> = self
            .refunds
            .values()
            .map(|r| &**r)
            .filter(|r| r.payment_id == payment_id && r.owner == *owner)
            .collect();
        out.sort_by_key(|r| (r.created_at, r.id));
        out.into_iter().map(|r| r.id).collect()
    }
}
