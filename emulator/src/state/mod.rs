//! The emulator's world: points of sale, payments, refunds, idempotency keys and deadlines,
//! behind one lock.
//!
//! Every operation that reads or changes state runs as a method of [`Store`] while the caller
//! holds `Mutex<Store>` (never across an `.await`). One lock is deliberately simple: "one
//! active payment per PoS", "50 retries of one idempotency key create one payment" and
//! "capture racing cancel ends in one final state" are then true by construction, and the
//! critical sections are a few hash-map operations long, far below the 20,000 req/s budget.
//!
//! Time-driven transitions (reservation expiry, refund auto-capture, inactivity) sit in a
//! deadline heap that [`Store::tick`] drains before each operation and on clock advance.
//!
//! The resource models and their state machines are `pos.rs`, `payment.rs` and `refund.rs`
//! (and `poll_delays.rs`, the scripted `pollDelayInMs` sequences). The operations on the store
//! are `impl Store` blocks split by resource (`pos_store.rs`, `payment_store.rs`,
//! `refund_store.rs`, `user_simulation_store.rs` for what the simulated app user does, and
//! `poll_delay_store.rs`). They are files, not locks: every operation still runs under the
//! one `Mutex<Store>`. This file keeps the store itself, what every operation file needs
//! (owners, the 403 rule, deadlines) and the clock tick.

pub mod payment;
pub mod poll_delays;
pub mod pos;
pub mod refund;

mod payment_store;
mod poll_delay_store;
mod pos_store;
mod refund_store;
#[cfg(test)]
mod tests;
mod user_simulation_store;

pub use pos_store::{Named, NewPos, PosFilter};

use crate::config::EmulatorConfig;
use crate::errors::{ApiError, ErrorCode};
use crate::idempotency::IdempotencyStore;
use chrono::{DateTime, Duration, Utc};
use payment::Payment;
use poll_delays::PollDelays;
use pos::Pos;
use refund::Refund;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use uuid::Uuid;

/// A merchant: one of the seed's (by index) or an unknown, well-formed VAT number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MerchantKey {
    Known(usize),
    Unknown(String),
}

/// Who created a resource: the integrator (token `client_id`) and the merchant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner {
    pub client_id: String,
    pub merchant: MerchantKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Deadline {
    PaymentExpiry(Uuid),
    RefundAutoCapture(Uuid),
    Inactivity(Uuid),
}

impl Deadline {
    fn id(&self) -> Uuid {
        match self {
            Deadline::PaymentExpiry(id)
            | Deadline::RefundAutoCapture(id)
            | Deadline::Inactivity(id) => *id,
        }
    }
}

/// The store. See the module docs for the locking rule.
#[derive(Debug, Default)]
pub struct Store {
    pub poses: HashMap<Uuid, Pos>,
    pub payments: HashMap<Uuid, Payment>,
    pub refunds: HashMap<Uuid, Refund>,
    pub idempotency: IdempotencyStore,
    /// Scripted `pollDelayInMs` sequences (emulator-only control).
    pub poll_delays: PollDelays,
    /// Active PoSes by lowercase beacon id (beacon ids are globally unique).
    beacons: HashMap<String, Uuid>,
    /// The latest payment per (owner, orderId): a reused orderId overwrites the mapping.
    orders: HashMap<(Owner, String), Uuid>,
    deadlines: BinaryHeap<Reverse<(DateTime<Utc>, Deadline)>>,
    next_idempotency_sweep: Option<DateTime<Utc>>,
}

/// A configured number of seconds as a `Duration`, clamped far below `chrono`'s limits:
/// building an out-of-range duration, or adding one to a date, panics.
fn secs(s: u64) -> Duration {
    Duration::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 2_000_000)
            .min(i64::MAX / 2_000_000),
    )
}

impl Store {
    /// Apply every time-driven transition that is due at `now`.
    pub fn tick(&mut self, now: DateTime<Utc>, config: &EmulatorConfig) {
        while let Some(Reverse((due, _))) = self.deadlines.peek() {
            if *due > now {
                break;
            }
            let Some(Reverse((_, deadline))) = self.deadlines.pop() else {
                break;
            };
            match deadline {
                Deadline::PaymentExpiry(id) => {
                    if let Some(p) = self.payments.get_mut(&id) {
                        p.expire(now);
                    }
                }
                Deadline::RefundAutoCapture(id) => {
                    if let Some(r) = self.refunds.get_mut(&id) {
                        r.expire(now);
                    }
                }
                Deadline::Inactivity(id) => {
                    let Some(timeout) = config.inactivity_timeout_secs.map(secs) else {
                        continue;
                    };
                    let Some(p) = self.payments.get_mut(&id) else {
                        continue;
                    };
                    if p.cancel_for_inactivity(timeout, now) {
                        self.sync_pos(id);
                    } else if p.status.is_active() {
                        let next = p.updated_at + timeout;
                        self.deadlines
                            .push(Reverse((next, Deadline::Inactivity(id))));
                    }
                }
            }
        }
        let retention = secs(config.idempotency_retention_secs);
        match self.next_idempotency_sweep {
            Some(t) if t > now => {}
            _ => {
                self.idempotency.sweep(now, retention);
                self.next_idempotency_sweep = Some(now + Duration::minutes(10));
            }
        }
    }

    /// Keep the PoS in step with its payment: a payment that leaves the active states frees
    /// the PoS for the next one, and ends the check-in (the customer has left) [inferred].
    fn sync_pos(&mut self, payment_id: Uuid) {
        let Some(p) = self.payments.get(&payment_id) else {
            return;
        };
        if p.status.is_active() {
            return;
        }
        if let Some(pos) = self.poses.get_mut(&p.pos_id) {
            if pos.active_payment == Some(payment_id) {
                pos.active_payment = None;
                pos.checked_in = None;
            }
        }
    }
}

/// 403 rules: another integrator gets `other_integrator`, the same integrator acting for
/// another merchant gets `other_merchant`.
fn check_owner(
    resource: &Owner,
    caller: &Owner,
    other_integrator: ErrorCode,
    other_merchant: ErrorCode,
) -> Result<(), ApiError> {
    if resource.client_id != caller.client_id {
        return Err(other_integrator.into());
    }
    if resource.merchant != caller.merchant {
        return Err(other_merchant.into());
    }
    Ok(())
}
