//! The virtual clock.
//!
//! Real time plus an offset that `POST /_emulator/clock/advance` grows, so that reservation
//! expiry (7 days), refund auto-capture (24 h), inactivity cancellation and token expiry can be
//! tested in milliseconds. Every time the emulator reasons about (deadlines, token `exp`,
//! journal timestamps) comes from here, never from `SystemTime` directly.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// The clock never runs more than this far ahead (1000 years), so date arithmetic cannot
/// overflow however often a client advances it.
pub const MAX_OFFSET_MS: i64 = 1000 * 366 * 24 * 3600 * 1000;

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Move the clock forward (negative values are ignored: time never runs backwards
    /// except through [`Clock::reset`]).
    pub fn advance_ms(&self, ms: i64) {
        if ms > 0 {
            let _ = self
                .offset_ms
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
                    Some(o.saturating_add(ms).min(MAX_OFFSET_MS))
                });
        }
    }

    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}

/// RFC 3339 with milliseconds and `Z`, the format of every timestamp the emulator prints.
pub fn rfc3339_ms(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward_and_reset_returns() {
        let c = Clock::default();
        let before = c.now();
        c.advance_ms(3_600_000);
        assert!(c.now() - before >= Duration::minutes(59));
        c.advance_ms(-10_000_000);
        assert!(c.now() - before >= Duration::minutes(59));
        for _ in 0..10 {
            c.advance_ms(i64::MAX);
        }
        assert_eq!(c.offset_ms(), MAX_OFFSET_MS);
        let _ = c.now() + Duration::days(200 * 365);
        c.reset();
        assert!(c.now() - before < Duration::minutes(1));
    }
}
