//! The dispatcher's sign of life: its loop beats at least every [`BEAT_EVERY`]
//! while it runs (also while it sleeps), so a stale heartbeat means the loop is
//! stuck (a wedged claim, a deadlock), which the watchdog and `/readyz` report.
//!
//! A test hook wedges the loop on purpose: with `wedge_file` set in
//! [`super::DispatcherConfig`] (the daemon takes it from
//! `TICKETSIM_TEST_WEDGE_FILE`, meant for tests only), the loop stops forever,
//! beating no more, as soon as that file exists.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often the loop beats at the least while it waits for work.
pub const BEAT_EVERY: Duration = Duration::from_secs(1);

/// A shared heartbeat; cheap to clone.
#[derive(Clone, Debug)]
pub struct Heartbeat {
    start: Instant,
    /// Milliseconds after `start` of the last beat; `u64::MAX` before the first.
    last_ms: Arc<AtomicU64>,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat {
            start: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(u64::MAX)),
        }
    }
}

impl Heartbeat {
    pub fn beat(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Time since the last beat; `None` before the loop first ran.
    pub fn age(&self) -> Option<Duration> {
        let last = self.last_ms.load(Ordering::Relaxed);
        (last != u64::MAX).then(|| {
            self.start
                .elapsed()
                .saturating_sub(Duration::from_millis(last))
        })
    }

    /// Beaten within `limit`.
    pub fn is_fresh(&self, limit: Duration) -> bool {
        self.age().is_some_and(|a| a <= limit)
    }
}

/// The test hook: never returns once `file` exists (see the module doc).
pub(super) async fn wedge_if_asked(file: Option<&Path>) {
    if file.is_some_and(|f| f.exists()) {
        tracing::error!(
            "TICKETSIM_TEST_WEDGE_FILE exists: the dispatcher stops beating (test hook)"
        );
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_is_stale_before_its_first_beat_and_fresh_after() {
        let h = Heartbeat::default();
        assert!(!h.is_fresh(Duration::from_secs(3600)));
        h.clone().beat();
        assert!(h.is_fresh(Duration::from_secs(5)));
        assert!(h.age().unwrap() < Duration::from_secs(5));
    }
}
