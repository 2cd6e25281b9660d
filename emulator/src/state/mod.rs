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
use std::collections::{BinaryHeap, HashMap, HashSet};
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
    // PoSes, payments and refunds are boxed: a table then holds 24 bytes a slot, not the whole
    // record. A map that is inserted into and removed from for days (the retention releases
    // what the clients create) grows its table once, to twice the next power of two above its
    // steady size, when deleted slots fill it; a one-hour soak saw that growth of whole
    // records step the RSS up 25 MB at minute 18 and 12 MB at minute 29, with every count flat.
    pub poses: HashMap<Uuid, Box<Pos>>,
    pub payments: HashMap<Uuid, Box<Payment>>,
    pub refunds: HashMap<Uuid, Box<Refund>>,
    pub idempotency: IdempotencyStore,
    /// Scripted `pollDelayInMs` sequences (emulator-only control).
    pub poll_delays: PollDelays,
    /// Active PoSes by lowercase beacon id (beacon ids are globally unique).
    beacons: HashMap<String, Uuid>,
    /// The latest payment per (owner, orderId): a reused orderId overwrites the mapping.
    orders: HashMap<(Owner, String), Uuid>,
    deadlines: BinaryHeap<Reverse<(DateTime<Utc>, Deadline)>>,
    /// When the retention sweeps (idempotency keys, finished payments, deleted PoSes) run
    /// next: every [`SWEEP_EVERY_MINUTES`] of virtual time, so at once after a clock advance.
    next_sweep: Option<DateTime<Utc>>,
}

/// The retention sweeps scan every payment and refund, so they run at most this often
/// (virtual minutes). A resource is therefore forgotten up to this much after its lifetime,
/// never before.
const SWEEP_EVERY_MINUTES: i64 = 10;

/// How many entries each of the store's collections holds (`GET /_emulator/stats`).
#[derive(Debug, Default, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreStats {
    pub pos_live: usize,
    pub pos_deleted: usize,
    pub payments: usize,
    pub payments_active: usize,
    pub payments_reserved: usize,
    pub payments_final: usize,
    pub refunds: usize,
    pub refunds_open: usize,
    pub idempotency_records: usize,
    pub orders: usize,
    pub beacons: usize,
    pub deadlines: usize,
    pub poll_delay_rules: usize,
    pub poll_delay_counters: usize,
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
    /// Apply every time-driven transition that is due at `now`, then, every
    /// [`SWEEP_EVERY_MINUTES`], forget what is past its lifetime. Returns whether it swept
    /// (the caller then drops the token rules scoped to PoSes no longer in the store).
    pub fn tick(&mut self, now: DateTime<Utc>, config: &EmulatorConfig) -> bool {
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
        match self.next_sweep {
            Some(t) if t > now => false,
            _ => {
                self.idempotency
                    .sweep(now, secs(config.idempotency_retention_secs));
                self.forget_finished(now, config);
                self.next_sweep = Some(now + Duration::minutes(SWEEP_EVERY_MINUTES));
                true
            }
        }
    }

    /// Forgets what is past its lifetime (README, "Lifetimes"): a payment in a final state
    /// whose refunds are all final, `finished_retention_secs` after the last of them ended
    /// (a captured one never before its refund window has closed), with its refunds, its
    /// `orderId` mapping, its idempotency records and poll-delay rules and counts; then a
    /// deleted PoS `finished_retention_secs` after its deletion, once none of its payments
    /// remain. Active and reserved payments, open refunds and live PoSes are never forgotten.
    fn forget_finished(&mut self, now: DateTime<Utc>, config: &EmulatorConfig) {
        let retention = secs(config.finished_retention_secs);
        let window = secs(config.refund_window_secs);
        let idempotency_window = secs(config.idempotency_retention_secs);
        // Per payment: whether a refund is still open, and when the last final one ended.
        let mut refunds_of: HashMap<Uuid, (bool, Option<DateTime<Utc>>)> = HashMap::new();
        for r in self.refunds.values() {
            let e = refunds_of.entry(r.payment_id).or_insert((false, None));
            if r.status.is_final() {
                e.1 = e.1.max(Some(r.ended_at.unwrap_or(r.created_at)));
            } else {
                e.0 = true;
            }
        }
        let mut gone: HashSet<Uuid> = HashSet::new();
        let mut touched_poses: HashSet<Uuid> = HashSet::new();
        for p in self.payments.values() {
            if !p.status.is_final() {
                continue;
            }
            let (open, last_refund) = refunds_of.get(&p.id).copied().unwrap_or((false, None));
            if open {
                continue;
            }
            // A final payment's `updated_at` is the moment it became final.
            let ended = last_refund.map_or(p.updated_at, |r| r.max(p.updated_at));
            // Never before the idempotency window has passed: forgetting the payment forgets
            // its keys too, and a retry within 24 h must replay, not create a second payment
            // (matters only for a configured retention shorter than that window).
            let mut until = (ended + retention).max(ended + idempotency_window);
            if let Some(captured) = p.captured_at {
                until = until.max(captured + window);
            }
            if until < now {
                gone.insert(p.id);
                touched_poses.insert(p.pos_id);
            }
        }
        if !gone.is_empty() {
            for id in &gone {
                self.payments.remove(id);
            }
            for pos in &touched_poses {
                if let Some(p) = self.poses.get_mut(pos) {
                    p.payments.retain(|id| !gone.contains(id));
                }
            }
            let mut refunds = Vec::new();
            self.refunds.retain(|id, r| {
                let keep = !gone.contains(&r.payment_id);
                if !keep {
                    refunds.push(*id);
                }
                keep
            });
            gone.extend(refunds);
            self.orders.retain(|_, id| !gone.contains(id));
        }
        let poses: Vec<Uuid> = self
            .poses
            .values()
            .filter(|p| {
                p.deleted
                    && p.payments.is_empty()
                    && p.deleted_at.is_none_or(|d| d + retention < now)
            })
            .map(|p| p.id)
            .collect();
        for id in &poses {
            self.poses.remove(id);
            gone.insert(*id);
        }
        if !gone.is_empty() {
            self.idempotency.forget_resources(&gone);
            self.poll_delays.forget(&gone);
        }
    }

    /// The sizes of every collection, for `GET /_emulator/stats`.
    pub fn stats(&self) -> StoreStats {
        let mut s = StoreStats {
            payments: self.payments.len(),
            refunds: self.refunds.len(),
            idempotency_records: self.idempotency.len(),
            orders: self.orders.len(),
            beacons: self.beacons.len(),
            deadlines: self.deadlines.len(),
            poll_delay_rules: self.poll_delays.rule_count(),
            poll_delay_counters: self.poll_delays.counter_count(),
            ..StoreStats::default()
        };
        for p in self.poses.values() {
            if p.deleted {
                s.pos_deleted += 1;
            } else {
                s.pos_live += 1;
            }
        }
        for p in self.payments.values() {
            if p.status.is_active() {
                s.payments_active += 1;
            } else if p.status.is_final() {
                s.payments_final += 1;
            } else {
                s.payments_reserved += 1;
            }
        }
        s.refunds_open = self
            .refunds
            .values()
            .filter(|r| !r.status.is_final())
            .count();
        s
    }

    /// The invariants a long run must keep (`GET /_emulator/invariants`): at most one active
    /// payment per PoS, and the PoS pointing at it; every idempotency record bound to one
    /// existing resource, and no resource reachable from two keys of one scope. Returns the
    /// offenders, one JSON object each; empty when all hold.
    pub fn invariant_offenders(&self) -> Vec<serde_json::Value> {
        use serde_json::json;
        let mut out = Vec::new();
        let mut active: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for p in self.payments.values().filter(|p| p.status.is_active()) {
            active.entry(p.pos_id).or_default().push(p.id);
        }
        for (pos, payments) in &active {
            if payments.len() > 1 {
                out.push(
                    json!({"invariant": "oneActivePaymentPerPos", "posId": pos.to_string(),
                    "activePayments": payments.iter().map(Uuid::to_string).collect::<Vec<_>>()}),
                );
            }
            let recorded = self.poses.get(pos).and_then(|p| p.active_payment);
            if payments.len() == 1 && recorded != Some(payments[0]) {
                out.push(
                    json!({"invariant": "posKnowsItsActivePayment", "posId": pos.to_string(),
                    "activePayment": payments[0].to_string(),
                    "recorded": recorded.map(|id| id.to_string())}),
                );
            }
        }
        for p in self.poses.values() {
            if let Some(id) = p.active_payment {
                if !self.payments.get(&id).is_some_and(|x| x.status.is_active()) {
                    out.push(
                        json!({"invariant": "posKnowsItsActivePayment", "posId": p.id.to_string(),
                        "recorded": id.to_string(), "activePayment": null}),
                    );
                }
            }
        }
        let mut by_scope: HashMap<(&str, &str, &str, Uuid), Vec<&str>> = HashMap::new();
        for b in self.idempotency.bindings() {
            let exists = b.resource.is_some_and(|id| {
                self.poses.contains_key(&id)
                    || self.payments.contains_key(&id)
                    || self.refunds.contains_key(&id)
            });
            if !exists {
                out.push(json!({"invariant": "idempotencyRecordBoundToOneResource",
                    "endpoint": b.key.endpoint, "key": b.key.key,
                    "resource": b.resource.map(|id| id.to_string())}));
            }
            if let Some(id) = b.resource {
                by_scope
                    .entry((&b.key.client_id, &b.key.vat, b.key.endpoint, id))
                    .or_default()
                    .push(&b.key.key);
            }
        }
        for ((client, vat, endpoint, id), keys) in by_scope {
            if keys.len() > 1 {
                out.push(
                    json!({"invariant": "oneKeyPerResource", "clientId": client, "vat": vat,
                    "endpoint": endpoint, "resource": id.to_string(), "keys": keys}),
                );
            }
        }
        out
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
