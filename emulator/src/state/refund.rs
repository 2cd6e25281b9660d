//! The refund state machine of notes §5.4.
//!
//! A refund starts `Initiated`. [inferred] The backend "reserves" it when the client first
//! polls: the first `GET /refunds/{id}` answers `Initiated` and flips it to `Reserved`, so the
//! client must poll at least twice, as in the documented loop, and a capture before any poll
//! is 409/1351. A reserved refund is captured automatically after 24 h (`ExpiredAndCaptured`).

use super::Owner;
use crate::errors::ErrorCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RefundStatus {
    Initiated,
    Reserved,
    Captured,
    CancelledByClient,
    CancelledByMobilePay,
    ExpiredAndCaptured,
}

impl RefundStatus {
    /// Whether the refund still counts against the captured amount (1367).
    pub fn counts_against_payment(self) -> bool {
        !matches!(self, Self::CancelledByClient | Self::CancelledByMobilePay)
    }

    /// No transition leaves these states.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Initiated | Self::Reserved)
    }
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub owner: Owner,
    pub refund_order_id: String,
    pub amount: i64,
    pub currency: &'static str,
    pub status: RefundStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When it reached its final state: the finished-resource retention counts from here.
    pub ended_at: Option<DateTime<Utc>>,
}

impl Refund {
    pub fn new(
        id: Uuid,
        payment_id: Uuid,
        owner: Owner,
        refund_order_id: String,
        amount: i64,
        currency: &'static str,
        now: DateTime<Utc>,
    ) -> Refund {
        Refund {
            id,
            payment_id,
            owner,
            refund_order_id,
            amount,
            currency,
            status: RefundStatus::Initiated,
            created_at: now,
            expires_at: None,
            ended_at: None,
        }
    }

    /// A `GET`: returns the status to report, then moves `Initiated` → `Reserved`.
    /// Returns the reported status and whether a reservation happened (to schedule auto-capture).
    pub fn observe(&mut self, auto_capture_secs: u64, now: DateTime<Utc>) -> (RefundStatus, bool) {
        let reported = self.status;
        if self.status == RefundStatus::Initiated {
            self.status = RefundStatus::Reserved;
            self.expires_at = Some(
                now + chrono::Duration::seconds(
                    i64::try_from(auto_capture_secs)
                        .unwrap_or(i64::MAX)
                        .min(315_000_000_000),
                ),
            );
            return (reported, true);
        }
        (reported, false)
    }

    /// `POST …/capture`: `Reserved` → `Captured`; capturing a captured refund again is a
    /// no-op 200 [inferred]; anything else is 1351.
    pub fn capture(&mut self) -> Result<(), ErrorCode> {
        match self.status {
            RefundStatus::Reserved => {
                self.status = RefundStatus::Captured;
                Ok(())
            }
            RefundStatus::Captured => Ok(()),
            _ => Err(ErrorCode::RefundNotReserved),
        }
    }

    /// `POST …/cancel`: `Initiated` or `Reserved` → `CancelledByClient`; again is a no-op 200
    /// [inferred]; after capture, expiry or a MobilePay cancel it is 1352.
    pub fn cancel(&mut self) -> Result<(), ErrorCode> {
        match self.status {
            RefundStatus::Initiated | RefundStatus::Reserved => {
                self.status = RefundStatus::CancelledByClient;
                Ok(())
            }
            RefundStatus::CancelledByClient => Ok(()),
            _ => Err(ErrorCode::CannotCancelRefund),
        }
    }

    /// MobilePay ends the refund on its own (the control API's per-refund end):
    /// `CancelledByMobilePay` from `Initiated` (notes §5.4), `ExpiredAndCaptured` from
    /// `Reserved` (the 24 h ran out early). Returns the state it left, or `Err` with the current.
    pub fn end_by_mobilepay(
        &mut self,
        to: RefundStatus,
        now: DateTime<Utc>,
    ) -> Result<RefundStatus, RefundStatus> {
        let from = self.status;
        match (from, to) {
            (RefundStatus::Initiated, RefundStatus::CancelledByMobilePay) => {}
            (RefundStatus::Reserved, RefundStatus::ExpiredAndCaptured) => {
                self.expires_at = Some(now);
            }
            _ => return Err(from),
        }
        self.status = to;
        self.ended_at = Some(now);
        Ok(from)
    }

    /// 24 h after reservation: `Reserved` → `ExpiredAndCaptured`.
    pub fn expire(&mut self, now: DateTime<Utc>) -> bool {
        if self.status == RefundStatus::Reserved && self.expires_at.is_some_and(|e| e <= now) {
            self.status = RefundStatus::ExpiredAndCaptured;
            self.ended_at = Some(now);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MerchantKey;

    fn refund() -> Refund {
        let owner = Owner {
            client_id: "c".into(),
            merchant: MerchantKey::Known(0),
        };
        Refund::new(
            Uuid::new_v4(),
            Uuid::new_v4(),
            owner,
            "r1".into(),
            500,
            "DKK",
            Utc::now(),
        )
    }

    #[test]
    fn first_get_reports_initiated_then_reserved() {
        let mut r = refund();
        assert_eq!(r.capture(), Err(ErrorCode::RefundNotReserved));
        assert_eq!(
            r.observe(86400, Utc::now()),
            (RefundStatus::Initiated, true)
        );
        assert_eq!(
            r.observe(86400, Utc::now()),
            (RefundStatus::Reserved, false)
        );
        assert_eq!(r.capture(), Ok(()));
        assert_eq!(r.status, RefundStatus::Captured);
        assert_eq!(r.capture(), Ok(()));
        assert_eq!(r.cancel(), Err(ErrorCode::CannotCancelRefund));
    }

    #[test]
    fn cancel_from_initiated_and_reserved() {
        let mut a = refund();
        assert_eq!(a.cancel(), Ok(()));
        assert_eq!(a.status, RefundStatus::CancelledByClient);
        assert_eq!(a.cancel(), Ok(()));
        assert_eq!(a.capture(), Err(ErrorCode::RefundNotReserved));
        assert!(!a.status.counts_against_payment());
        let mut b = refund();
        b.observe(86400, Utc::now());
        assert_eq!(b.cancel(), Ok(()));
    }

    #[test]
    fn auto_capture_after_24h() {
        let mut r = refund();
        let t0 = Utc::now();
        r.observe(86400, t0);
        assert!(!r.expire(t0 + chrono::Duration::hours(23)));
        assert!(r.expire(t0 + chrono::Duration::hours(24)));
        assert_eq!(r.status, RefundStatus::ExpiredAndCaptured);
        assert!(r.status.counts_against_payment());
        assert_eq!(r.cancel(), Err(ErrorCode::CannotCancelRefund));
        assert_eq!(r.capture(), Err(ErrorCode::RefundNotReserved));
    }
}
