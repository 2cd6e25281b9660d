//! Scripted `pollDelayInMs` on the [`Store`]: the value a poll of a live resource carries,
//! under the rules of [`super::poll_delays`] (which the control API sets on `poll_delays`).

use super::poll_delays::{PollSite, Polled};
use super::Store;
use uuid::Uuid;

impl Store {
    /// The `pollDelayInMs` of a client's (`advance`) or a judge's poll of payment `id`.
    pub fn payment_poll_delay(&mut self, id: Uuid, advance: bool, default: u64) -> u64 {
        let Some(pos) = self.payments.get(&id).map(|p| p.pos_id) else {
            return default;
        };
        let site = PollSite {
            polled: Polled::Payment,
            resource: id,
            pos,
        };
        self.poll_delays.next(site, advance, default)
    }

    /// The same for the check-in status of PoS `pos`.
    pub fn checkin_poll_delay(&mut self, pos: Uuid, advance: bool, default: u64) -> u64 {
        let site = PollSite {
            polled: Polled::CheckIn,
            resource: pos,
            pos,
        };
        self.poll_delays.next(site, advance, default)
    }

    /// The same for refund `id` (its PoS is its payment's).
    pub fn refund_poll_delay(&mut self, id: Uuid, advance: bool, default: u64) -> u64 {
        let pos = self
            .refunds
            .get(&id)
            .and_then(|r| self.payments.get(&r.payment_id))
            .map(|p| p.pos_id)
            .unwrap_or_default();
        let site = PollSite {
            polled: Polled::Refund,
            resource: id,
            pos,
        };
        self.poll_delays.next(site, advance, default)
    }
}
