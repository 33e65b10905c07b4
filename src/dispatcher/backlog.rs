//! Tells the operator when steps pile up (more than `overdue_warn` steps at
//! least `overdue_late_ms` late) and when the pile is gone again.

use std::time::Duration;

use tokio::time::Instant;

use super::Dispatcher;

/// How often the pool counts overdue steps at most.
const CHECK_EVERY: Duration = Duration::from_secs(10);

/// What changed since the last look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BacklogChange {
    /// More than the threshold are overdue (the count is capped at threshold + 1).
    Grew(i64),
    /// Nothing is overdue any more.
    Cleared,
}

/// Whether the dispatcher is behind; a WARN once when it falls behind, an
/// INFO once when it has caught up.
#[derive(Debug, Default)]
pub struct Backlog {
    behind: bool,
    checked: Option<Instant>,
}

impl Backlog {
    /// Takes a count of overdue steps; returns the change worth a log line.
    pub fn observe(&mut self, overdue: i64, threshold: i64) -> Option<BacklogChange> {
        if !self.behind && overdue > threshold {
            self.behind = true;
            return Some(BacklogChange::Grew(overdue));
        }
        if self.behind && overdue == 0 {
            self.behind = false;
            return Some(BacklogChange::Cleared);
        }
        None
    }
}

impl Dispatcher {
    /// Counts overdue steps (at most every 10 s) and logs a change.
    pub(super) async fn watch_backlog(&self, backlog: &mut Backlog) {
        if backlog.checked.is_some_and(|t| t.elapsed() < CHECK_EVERY) {
            return;
        }
        backlog.checked = Some(Instant::now());
        let cfg = &self.inner.cfg;
        let late = self.now() - cfg.overdue_late_ms;
        let Ok(n) = self
            .inner
            .store
            .overdue_steps(late, cfg.overdue_warn + 1)
            .await
        else {
            return;
        };
        match backlog.observe(n, cfg.overdue_warn) {
            Some(BacklogChange::Grew(n)) => tracing::warn!(
                overdue = n,
                late_ms = cfg.overdue_late_ms,
                "more than {} steps are overdue: Freshdesk or the rate budget (TICKETSIM_RATE_PER_MIN) cannot keep up with the schedule",
                cfg.overdue_warn
            ),
            Some(BacklogChange::Cleared) => {
                tracing::info!("the backlog of overdue steps has cleared")
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backlog_warns_once_when_it_passes_the_threshold_and_once_when_it_clears() {
        let mut b = Backlog::default();
        assert_eq!(b.observe(100, 100), None);
        assert_eq!(b.observe(101, 100), Some(BacklogChange::Grew(101)));
        assert_eq!(b.observe(101, 100), None, "once");
        assert_eq!(b.observe(5, 100), None, "not cleared yet");
        assert_eq!(b.observe(0, 100), Some(BacklogChange::Cleared));
        assert_eq!(b.observe(0, 100), None);
    }
}
