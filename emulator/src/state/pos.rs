//! A point of sale (notes §4.2, §5.5): immutable once created, deleted rather than edited,
//! holding at most one active payment and at most one checked-in user.

use super::Owner;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Pos {
    pub id: Uuid,
    pub owner: Owner,
    pub merchant_pos_id: String,
    pub store_id: Uuid,
    pub name: String,
    /// As given, or a generated lowercase GUID.
    pub beacon_id: String,
    pub callback_alias: Option<String>,
    pub supported_beacon_types: Vec<&'static str>,
    pub require_payment_before_checkin: bool,
    pub deleted: bool,
    /// When it was deleted: a deleted PoS is forgotten `finished_retention_secs` later, once
    /// none of its payments remain.
    pub deleted_at: Option<DateTime<Utc>>,
    /// The test user (seed index) checked in on this PoS.
    pub checked_in: Option<usize>,
    /// The payment in an active state (`Prepared`, `Paired`, `Initiated`, `IssuedToUser`).
    pub active_payment: Option<Uuid>,
    /// Every payment made on this PoS, oldest first.
    pub payments: Vec<Uuid>,
}

impl Pos {
    /// Check-in is refused while the PoS requires a payment first and has none
    /// (`requirePaymentBeforeCheckin`), or while another user's payment is in progress.
    pub fn check_in_allowed(&self, user: usize, active_payment_user: Option<usize>) -> bool {
        if self.require_payment_before_checkin && self.active_payment.is_none() {
            return false;
        }
        !matches!(active_payment_user, Some(other) if other != user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MerchantKey;

    fn pos(require: bool) -> Pos {
        Pos {
            id: Uuid::new_v4(),
            owner: Owner {
                client_id: "c".into(),
                merchant: MerchantKey::Known(0),
            },
            merchant_pos_id: "p".into(),
            store_id: Uuid::new_v4(),
            name: "n".into(),
            beacon_id: "b".into(),
            callback_alias: None,
            supported_beacon_types: vec!["QR"],
            require_payment_before_checkin: require,
            deleted: false,
            deleted_at: None,
            checked_in: None,
            active_payment: None,
            payments: vec![],
        }
    }

    #[test]
    fn require_payment_before_checkin_blocks_until_a_payment_exists() {
        let mut p = pos(true);
        assert!(!p.check_in_allowed(0, None));
        p.active_payment = Some(Uuid::new_v4());
        assert!(p.check_in_allowed(0, None));
        assert!(pos(false).check_in_allowed(0, None));
    }

    #[test]
    fn another_users_payment_blocks_check_in() {
        let mut p = pos(false);
        p.active_payment = Some(Uuid::new_v4());
        assert!(!p.check_in_allowed(1, Some(2)));
        assert!(p.check_in_allowed(2, Some(2)));
    }
}
