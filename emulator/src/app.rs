//! The application state every request shares: configuration, seed, virtual clock, token
//! service, the store behind its one lock, the journal and the scripted faults.
//!
//! It sits below the handlers and the HTTP edge: both use it, it uses neither, so a handler
//! depends on the state it works on and not on the server that happens to run it.

use crate::auth::TokenService;
use crate::callbacks::CallbackRegistry;
use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::journal::Journal;
use crate::seed::Seed;
use crate::state::Store;
use chrono::{DateTime, Utc};
use std::sync::{Mutex, MutexGuard};

/// Everything the handlers share.
pub struct App {
    pub config: EmulatorConfig,
    pub seed: Seed,
    pub clock: Clock,
    pub tokens: TokenService,
    /// Reached only through [`App::lock`] and [`App::reset`], so that no operation can see the
    /// store before the expiries due at its time have been applied.
    store: Mutex<Store>,
    pub journal: Journal,
    pub faults: Faults,
    /// Whitelisted check-in notification URLs, by callback alias.
    pub callbacks: CallbackRegistry,
}

impl App {
    pub fn new(config: EmulatorConfig) -> App {
        App {
            seed: Seed::from_config(&config),
            clock: Clock::default(),
            tokens: TokenService::new(),
            store: Mutex::new(Store::default()),
            journal: Journal::with_max_bytes(config.journal_capacity, config.journal_max_bytes),
            faults: Faults::default(),
            callbacks: CallbackRegistry::default(),
            config,
        }
    }

    /// The store, locked, with every time-driven transition due at `now` applied first.
    ///
    /// A handler that panicked while holding the lock poisons it; carrying on with the store
    /// as it stands keeps one bad request from failing every later one.
    pub fn lock(&self, now: DateTime<Utc>) -> MutexGuard<'_, Store> {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if store.tick(now, &self.config) && self.tokens.has_pos_rules() {
            // A token rule scoped to a PoS the store forgot (its retention passed, or its case
            // was released) can never match again: every request naming that PoS is a 404.
            self.tokens
                .retain_pos_rules(|pos| store.poses.contains_key(&pos));
        }
        store
    }

    /// The sizes of everything the emulator keeps, for `GET /_emulator/stats`.
    pub fn stats(&self, now: DateTime<Utc>) -> serde_json::Value {
        let store = self.lock(now).stats();
        let (token_rules, token_pos_rules) = self.tokens.rule_counts();
        serde_json::json!({
            "clock": {"now": crate::clock::rfc3339_ms(now), "offsetMs": self.clock.offset_ms()},
            "store": store,
            "tokenRules": token_rules,
            "tokenPosRules": token_pos_rules,
            "faults": self.faults.len(),
            "callbacks": self.callbacks.len(),
            "journal": {
                "entries": self.journal.len(),
                "capacity": self.config.journal_capacity,
                "bytes": self.journal.bytes(),
                "maxBytes": self.config.journal_max_bytes,
                "inFlight": self.journal.in_flight_len(),
            },
        })
    }

    /// Move the virtual clock forward by `ms` and apply every expiry that became due, so the
    /// effects are visible at once rather than on the next request. Returns the new time.
    pub fn advance_clock(&self, ms: i64) -> DateTime<Utc> {
        self.clock.advance_ms(ms);
        let now = self.clock.now();
        drop(self.lock(now));
        now
    }

    /// Back to the seed: state, idempotency keys, journal, faults, callback registrations and
    /// clock. The token-signing
    /// key, the revocation epoch and the journal's sequence counter survive (README, inferred
    /// choice 14), so tokens issued before a reset stay valid.
    pub fn reset(&self) {
        {
            let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            *store = Store::default();
        }
        self.journal.clear();
        self.faults.clear();
        self.callbacks.clear();
        self.clock.reset();
    }
}
