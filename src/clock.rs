//! Time as a value passed in, never read behind the caller's back.
//!
//! The state machine and the dispatcher take `now` (unix milliseconds) from a
//! [`Clock`]; production uses [`SystemClock`], tests and demos step a
//! [`ManualClock`] so that no test has to sleep.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub use crate::domain::UnixMs;

pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> UnixMs;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> UnixMs {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that moves only when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: UnixMs) -> Self {
        Self(Arc::new(AtomicI64::new(start)))
    }

    pub fn set(&self, now: UnixMs) {
        self.0.store(now, Ordering::SeqCst);
    }

    pub fn advance(&self, by_ms: i64) -> UnixMs {
        self.0.fetch_add(by_ms, Ordering::SeqCst) + by_ms
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> UnixMs {
        self.0.load(Ordering::SeqCst)
    }
}

/// Formats unix ms as Freshdesk does: `YYYY-MM-DDTHH:MM:SSZ`, no fractions.
pub fn format_iso(ms: UnixMs) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Parses the ISO 8601 forms Freshdesk accepts (`...Z`, offsets, or a bare date).
pub fn parse_iso(s: &str) -> Option<UnixMs> {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let a = ManualClock::new(1_000);
        let b = a.clone();
        a.advance(500);
        assert_eq!(b.now_ms(), 1_500);
    }

    #[test]
    fn iso_round_trips_without_fractions() {
        let s = format_iso(1_668_615_418_123);
        assert_eq!(s, "2022-11-16T16:16:58Z");
        assert_eq!(parse_iso(&s), Some(1_668_615_418_000));
        assert_eq!(parse_iso("2022-11-16"), Some(1_668_556_800_000));
        assert_eq!(parse_iso("garbage"), None);
    }
}
