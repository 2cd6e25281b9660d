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
            journal: Journal::new(config.journal_capacity),
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
        store.tick(now, &self.config);
        store
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
