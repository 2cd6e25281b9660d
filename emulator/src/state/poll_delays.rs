//! Scripted `pollDelayInMs` (an emulator-only control): sequences of values that successive
//! polls of one resource carry, so a judge can check each gap between two polls against the
//! value of the response before it.
//!
//! A rule is a sequence such as `[1000, 1500]`: the first client poll after the rule was set
//! carries 1000, the second and every later one 1500 (the last value repeats). Rules exist for
//! one payment or refund, for everything polled on one PoS (its payments, its check-in, the
//! refunds of its payments), and emulator-wide; the most specific one applies, and without
//! one the configured value does. Each polled resource keeps its own count of the polls it has
//! answered under the rule in force, which restarts when that rule is replaced. A poll marked
//! `x-poscert-actor: judge` sees the value the next client poll will get without using it up.

use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// The three polling endpoints (notes §5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Polled {
    Payment,
    CheckIn,
    Refund,
}

impl Polled {
    pub const ALL: [Polled; 3] = [Polled::Payment, Polled::CheckIn, Polled::Refund];

    /// The key of this endpoint in the control API's bodies.
    pub fn key(self) -> &'static str {
        match self {
            Polled::Payment => "payments",
            Polled::CheckIn => "checkin",
            Polled::Refund => "refunds",
        }
    }
}

#[derive(Debug, Clone)]
struct Rule {
    delays: Vec<u64>,
    generation: u64,
}

/// The sequences of one scope by endpoint (the control API's `{"payments": [...], ...}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DelaySet {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payments: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refunds: Option<Vec<u64>>,
}

impl DelaySet {
    pub fn get(&self, p: Polled) -> Option<&Vec<u64>> {
        match p {
            Polled::Payment => self.payments.as_ref(),
            Polled::CheckIn => self.checkin.as_ref(),
            Polled::Refund => self.refunds.as_ref(),
        }
    }

    fn slot(&mut self, p: Polled) -> &mut Option<Vec<u64>> {
        match p {
            Polled::Payment => &mut self.payments,
            Polled::CheckIn => &mut self.checkin,
            Polled::Refund => &mut self.refunds,
        }
    }
}

/// Where a poll happens: the polled resource (payment, refund, or the PoS for its check-in),
/// and the PoS it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct PollSite {
    pub polled: Polled,
    pub resource: Uuid,
    pub pos: Uuid,
}

/// Every rule and every count (lives in the store, under its lock).
#[derive(Debug, Default)]
pub struct PollDelays {
    global: HashMap<Polled, Rule>,
    by_pos: HashMap<(Uuid, Polled), Rule>,
    /// One payment or refund.
    by_resource: HashMap<Uuid, Rule>,
    /// Polls answered per (resource, endpoint): the rule generation they count under, and how many.
    served: HashMap<(Uuid, Polled), (u64, usize)>,
    next_generation: u64,
}

impl PollDelays {
    /// Forgets the rules and counts of `ids` (a released PoS, its payments and refunds).
    pub fn forget(&mut self, ids: &std::collections::HashSet<Uuid>) {
        self.by_pos.retain(|(pos, _), _| !ids.contains(pos));
        self.by_resource.retain(|id, _| !ids.contains(id));
        self.served.retain(|(id, _), _| !ids.contains(id));
    }

    fn rule(&mut self, delays: Vec<u64>) -> Rule {
        self.next_generation += 1;
        Rule {
            delays,
            generation: self.next_generation,
        }
    }

    /// How many rules there are (global, per PoS, per resource).
    pub fn rule_count(&self) -> usize {
        self.global.len() + self.by_pos.len() + self.by_resource.len()
    }

    /// How many per-resource poll counts there are.
    pub fn counter_count(&self) -> usize {
        self.served.len()
    }

    pub fn is_empty(&self) -> bool {
        self.global.is_empty() && self.by_pos.is_empty() && self.by_resource.is_empty()
    }

    /// Set the emulator-wide sequences given in `set` (the others stay).
    pub fn set_global(&mut self, set: &DelaySet) {
        for p in Polled::ALL {
            if let Some(d) = set.get(p) {
                let rule = self.rule(d.clone());
                self.global.insert(p, rule);
            }
        }
    }

    pub fn set_pos(&mut self, pos: Uuid, set: &DelaySet) {
        for p in Polled::ALL {
            if let Some(d) = set.get(p) {
                let rule = self.rule(d.clone());
                self.by_pos.insert((pos, p), rule);
            }
        }
    }

    pub fn set_resource(&mut self, id: Uuid, delays: Vec<u64>) {
        let rule = self.rule(delays);
        self.by_resource.insert(id, rule);
    }

    pub fn clear_pos(&mut self, pos: Uuid) -> bool {
        let before = self.by_pos.len();
        self.by_pos.retain(|(id, _), _| *id != pos);
        before != self.by_pos.len()
    }

    pub fn clear_resource(&mut self, id: Uuid) -> bool {
        self.by_resource.remove(&id).is_some()
    }

    /// Forget every rule and count; returns how many rules there were.
    pub fn clear(&mut self) -> usize {
        let n = self.global.len() + self.by_pos.len() + self.by_resource.len();
        *self = PollDelays {
            next_generation: self.next_generation,
            ..PollDelays::default()
        };
        n
    }

    /// The `pollDelayInMs` of a poll at `site`: the most specific rule's next value (used up
    /// when `advance`), or `default` when no rule applies.
    pub fn next(&mut self, site: PollSite, advance: bool, default: u64) -> u64 {
        if self.is_empty() {
            return default;
        }
        let rule = match site.polled {
            Polled::CheckIn => None,
            _ => self.by_resource.get(&site.resource),
        }
        .or_else(|| self.by_pos.get(&(site.pos, site.polled)))
        .or_else(|| self.global.get(&site.polled));
        let Some(rule) = rule else {
            return default;
        };
        let count = self
            .served
            .entry((site.resource, site.polled))
            .or_insert((rule.generation, 0));
        if count.0 != rule.generation {
            *count = (rule.generation, 0);
        }
        let value = rule.delays[count.1.min(rule.delays.len() - 1)];
        if advance {
            count.1 = count.1.saturating_add(1);
        }
        value
    }

    /// The rules, for `GET /_emulator/poll-delays`.
    pub fn describe(&self) -> serde_json::Value {
        let mut global = DelaySet::default();
        for (p, r) in &self.global {
            *global.slot(*p) = Some(r.delays.clone());
        }
        let mut pos: std::collections::BTreeMap<String, DelaySet> = Default::default();
        for ((id, p), r) in &self.by_pos {
            *pos.entry(id.to_string()).or_default().slot(*p) = Some(r.delays.clone());
        }
        let resources: std::collections::BTreeMap<String, &Vec<u64>> = self
            .by_resource
            .iter()
            .map(|(id, r)| (id.to_string(), &r.delays))
            .collect();
        serde_json::json!({ "global": global, "pointOfSales": pos, "resources": resources })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(polled: Polled, resource: Uuid, pos: Uuid) -> PollSite {
        PollSite {
            polled,
            resource,
            pos,
        }
    }

    #[test]
    fn sequences_advance_per_resource_and_the_last_value_repeats() {
        let mut d = PollDelays::default();
        let (pos, a, b) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(d.next(site(Polled::Payment, a, pos), true, 1000), 1000);
        d.set_pos(
            pos,
            &DelaySet {
                payments: Some(vec![1000, 1500]),
                ..DelaySet::default()
            },
        );
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(d.next(site(Polled::Payment, a, pos), true, 7));
        }
        assert_eq!(seen, [1000, 1500, 1500]);
        // Another payment of the PoS has its own count; a judge's look uses nothing up.
        assert_eq!(d.next(site(Polled::Payment, b, pos), false, 7), 1000);
        assert_eq!(d.next(site(Polled::Payment, b, pos), true, 7), 1000);
        assert_eq!(d.next(site(Polled::Payment, b, pos), true, 7), 1500);
        // The check-in of the PoS has no rule: the default.
        assert_eq!(d.next(site(Polled::CheckIn, pos, pos), true, 7), 7);
        // A payment rule wins over the PoS rule and starts its own count.
        d.set_resource(a, vec![200, 300]);
        assert_eq!(d.next(site(Polled::Payment, a, pos), true, 7), 200);
        assert_eq!(d.next(site(Polled::Payment, a, pos), true, 7), 300);
        // Replacing a rule restarts the count.
        d.set_resource(a, vec![5, 6]);
        assert_eq!(d.next(site(Polled::Payment, a, pos), true, 7), 5);
        // Global rules apply where nothing more specific does.
        d.set_global(&DelaySet {
            refunds: Some(vec![50]),
            ..DelaySet::default()
        });
        assert_eq!(d.next(site(Polled::Refund, b, pos), true, 100), 50);
        assert_eq!(d.clear(), 3);
        assert_eq!(d.next(site(Polled::Payment, a, pos), true, 7), 7);
    }
}
