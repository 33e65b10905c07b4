//! Cron → slot rows. The only user of tokio-cron-scheduler: it fires, we insert
//! a slot keyed by its scheduled time (UNIQUE, so a slot never starts twice)
//! and wake the dispatcher. Per-ticket steps are rows, never cron jobs.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use croner::Cron;
use tokio::sync::Notify;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::clock::{Clock, UnixMs, format_iso};
use crate::domain;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("cron scheduler: {0}")]
    Scheduler(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many missed occurrences are counted at most when catching up (older
/// ones are skipped without being enumerated).
const MAX_MISSED_SCAN: usize = 100_000;

/// Parses a six-field cron (seconds first) the way tokio-cron-scheduler does.
pub fn parse_schedule(expr: &str) -> Result<Cron, String> {
    crate::cron::parse(expr)
}

/// Inserts slots: on cron firings, and for missed slots at start-up.
#[derive(Clone)]
pub struct Triggers {
    store: Store,
    cron: Arc<Cron>,
    expr: String,
    seed: u64,
    wake: Arc<Notify>,
}

impl Triggers {
    pub fn new(store: Store, expr: &str, seed: u64, wake: Arc<Notify>) -> Result<Triggers, String> {
        Ok(Triggers {
            store,
            cron: Arc::new(parse_schedule(expr)?),
            expr: expr.to_string(),
            seed,
            wake,
        })
    }

    /// Starts the slot for scheduled time `at` (idempotent) and wakes the dispatcher.
    pub async fn start_slot(&self, at: UnixMs, now: UnixMs) -> Result<Option<i64>, StoreError> {
        let id = self.store.start_slot(at, now, self.seed).await?;
        if let Some(id) = id {
            tracing::info!(lifecycle = id, slot = %format_iso(at), "slot started");
            self.wake.notify_one();
        }
        Ok(id)
    }

    /// A cron firing at `now`: the slot is the latest scheduled time ≤ now.
    pub async fn fire(&self, now: UnixMs) -> Result<Option<i64>, StoreError> {
        match self.latest_at_or_before(now) {
            Some(at) => self.start_slot(at, now).await,
            None => Ok(None),
        }
    }

    fn latest_at_or_before(&self, now: UnixMs) -> Option<UnixMs> {
        // croner keeps sub-second parts; cron times are whole seconds.
        let t = DateTime::<Utc>::from_timestamp_millis(now - now.rem_euclid(1_000))?;
        self.cron
            .find_previous_occurrence(&t, true)
            .ok()
            .map(|d| d.timestamp_millis())
    }

    /// Applies the missed-slot policy at start-up: slots scheduled after the
    /// last recorded one and up to `now` were missed while the daemon was down;
    /// the latest runs if within `window_ms`, the rest are logged as skipped.
    pub async fn catch_up(
        &self,
        now: UnixMs,
        window_ms: i64,
    ) -> Result<domain::CatchUp, StoreError> {
        let Some(last) = self.store.last_slot_at().await? else {
            return Ok(domain::catch_up(&[], now, window_ms));
        };
        let missed = self.missed_between(last, now);
        let plan = domain::catch_up(&missed, now, window_ms);
        if let Some(at) = plan.run {
            tracing::info!(slot = %format_iso(at), "running the most recent missed slot");
            self.start_slot(at, now).await?;
        }
        if let Some(at) = plan.skip_latest {
            self.store
                .skip_slot(at, now, "missed while down; older than the catch-up window")
                .await?;
        }
        if plan.skipped > 0 {
            tracing::warn!(
                skipped = plan.skipped,
                first = %format_iso(missed[0]),
                window = %domain::format_duration(window_ms),
                "missed slots skipped (daemon was down); only the most recent one within the catch-up window runs"
            );
        }
        Ok(plan)
    }

    fn missed_between(&self, after: UnixMs, now: UnixMs) -> Vec<UnixMs> {
        let Some(start) = DateTime::<Utc>::from_timestamp_millis(after - after.rem_euclid(1_000))
        else {
            return vec![];
        };
        // find_next_occurrence step by step: croner's iterator skips every other
        // second of a per-second cron.
        let mut out = Vec::new();
        let mut t = start;
        while out.len() < MAX_MISSED_SCAN {
            let Ok(next) = self.cron.find_next_occurrence(&t, false) else {
                break;
            };
            let ms = next.timestamp_millis();
            if ms > now {
                break;
            }
            if ms > after {
                out.push(ms);
            }
            t = next;
        }
        out
    }

    /// Starts tokio-cron-scheduler with one job that inserts a slot per firing.
    /// The returned scheduler must be kept and shut down by the caller.
    pub async fn spawn(&self, clock: Arc<dyn Clock>) -> Result<JobScheduler, TriggerError> {
        let sched = JobScheduler::new()
            .await
            .map_err(|e| TriggerError::Scheduler(e.to_string()))?;
        let this = self.clone();
        let job = Job::new_async(self.expr.as_str(), move |_id, _lock| {
            let this = this.clone();
            let clock = clock.clone();
            Box::pin(async move {
                if let Err(e) = this.fire(clock.now_ms()).await {
                    tracing::error!(error = %e, "could not record the cron slot; it will be caught up at the next start");
                }
            })
        })
        .map_err(|e| TriggerError::Scheduler(e.to_string()))?;
        sched
            .add(job)
            .await
            .map_err(|e| TriggerError::Scheduler(e.to_string()))?;
        sched
            .start()
            .await
            .map_err(|e| TriggerError::Scheduler(e.to_string()))?;
        Ok(sched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::temp_store;

    const MIN: i64 = 60_000;

    async fn triggers(expr: &str) -> (Triggers, Store, tempfile::TempDir) {
        let (s, d) = temp_store().await;
        let t = Triggers::new(s.clone(), expr, 1, Arc::new(Notify::new())).unwrap();
        (t, s, d)
    }

    #[test]
    fn six_field_crons_parse_and_five_field_ones_do_not_matter_here() {
        assert!(parse_schedule("0 0 * * * *").is_ok());
        assert!(parse_schedule("*/10 * * * * *").is_ok());
        assert!(parse_schedule("0 0 25 * * *").is_err());
    }

    #[tokio::test]
    async fn a_firing_starts_the_slot_of_its_scheduled_time_once() {
        let (t, s, _d) = triggers("0 */5 * * * *").await;
        // fired a little late, at 10:07:01 → slot 10:05:00
        let now = 1_700_000_000_000 - 1_700_000_000_000 % (5 * MIN) + 2 * MIN + 1_000;
        assert!(t.fire(now).await.unwrap().is_some());
        assert!(t.fire(now + 500).await.unwrap().is_none());
        assert_eq!(s.last_slot_at().await.unwrap(), Some(now - 2 * MIN - 1_000));
    }

    #[tokio::test]
    async fn catch_up_runs_a_recent_missed_slot_and_skips_older_ones() {
        let (t, s, _d) = triggers("0 * * * * *").await;
        let base = 1_700_000_040_000 - 1_700_000_040_000 % MIN;
        s.start_slot(base, base, 1).await.unwrap();
        // down for 10 minutes and 30 s; window 5 minutes → run the latest only
        let plan = t.catch_up(base + 10 * MIN + 30_000, 5 * MIN).await.unwrap();
        assert_eq!(plan.run, Some(base + 10 * MIN));
        assert_eq!(plan.skipped, 9);
        let st = s.status(0).await.unwrap();
        assert_eq!((st.slots_started, st.slots_skipped), (2, 0));
    }

    #[tokio::test]
    async fn catch_up_after_long_downtime_records_one_skipped_slot() {
        let (t, s, _d) = triggers("0 * * * * *").await;
        let base = 1_700_000_040_000 - 1_700_000_040_000 % MIN;
        s.start_slot(base, base, 1).await.unwrap();
        let now = base + 120 * MIN + 30_000;
        let plan = t.catch_up(now, 10_000).await.unwrap();
        assert_eq!(plan.run, None);
        assert_eq!(plan.skipped, 120);
        let st = s.status(0).await.unwrap();
        assert_eq!((st.slots_started, st.slots_skipped), (1, 1));
        // a second start-up finds nothing more to catch up
        assert_eq!(t.catch_up(now, 10_000).await.unwrap().skipped, 0);
    }

    #[tokio::test]
    async fn a_per_second_cron_counts_every_missed_second() {
        let (t, s, _d) = triggers("* * * * * *").await;
        let base = 1_700_000_000_000;
        s.start_slot(base, base, 1).await.unwrap();
        let plan = t.catch_up(base + 10_000, 60_000).await.unwrap();
        assert_eq!(plan.run, Some(base + 10_000));
        assert_eq!(plan.skipped, 9, "seconds 1..9 skipped, 10 runs");
    }

    #[tokio::test]
    async fn a_first_start_catches_nothing_up() {
        let (t, s, _d) = triggers("0 * * * * *").await;
        let plan = t.catch_up(1_700_000_000_000, MIN).await.unwrap();
        assert_eq!((plan.run, plan.skipped), (None, 0));
        assert_eq!(s.last_slot_at().await.unwrap(), None);
    }
}
