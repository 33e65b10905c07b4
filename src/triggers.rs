//! Cron → slot rows. The only user of tokio-cron-scheduler: it fires, we insert
//! a slot keyed by its scheduled time (UNIQUE, so a slot never starts twice)
//! and wake the dispatcher. Per-ticket steps are rows, never cron jobs.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use croner::Cron;
use tokio::sync::{Notify, RwLock};
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use crate::clock::{Clock, UnixMs, format_iso};
use crate::domain;
use crate::store::{SlotRequest, SlotSource, SlotStart, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("cron scheduler: {0}")]
    Scheduler(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many missed occurrences are counted at most when catching up: the
/// latest ones, scanning back from now (older ones are skipped without being
/// enumerated).
const MAX_MISSED_SCAN: usize = 100_000;

/// The most slots started for the short gap between the start-up catch-up and
/// the scheduler's start.
const MAX_GAP_SLOTS: usize = 100;

/// How long a slot whose insert failed is retried when no catch-up window was
/// given (the default catch-up window): later it would be skipped anyway.
const DEFAULT_RETRY_WINDOW_MS: i64 = 3_600_000;

/// Backoff between retries of a failed slot insert: doubling from 1 s to 30 s,
/// at most this many times per firing (each next firing retries as well).
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(30);
const MAX_RETRIES: u32 = 40;

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
    edge: Arc<Edge>,
    /// `TICKETSIM_MAX_TICKETS_PER_DAY`: slots past it are recorded as skipped.
    daily_cap: Option<u32>,
}

/// What the clones of one [`Triggers`] share.
#[derive(Default)]
struct Edge {
    /// `true` once [`Triggers::stop`] ran. Every slot insert holds the read
    /// side, so taking the write side waits for the inserts in flight.
    stopped: RwLock<bool>,
    /// The running scheduler, shut down by [`Triggers::stop`].
    sched: tokio::sync::Mutex<Option<JobScheduler>>,
    /// `(now, window_ms)` of the last catch-up: where the scheduler's start
    /// takes over, and how long a failed slot is worth retrying.
    caught_up: Mutex<Option<(UnixMs, i64)>>,
    /// Slots whose insert failed, retried until recorded or too old.
    unrecorded: Mutex<BTreeSet<UnixMs>>,
}

impl Edge {
    fn caught_up(&self) -> Option<(UnixMs, i64)> {
        *self
            .caught_up
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn unrecorded(&self) -> MutexGuard<'_, BTreeSet<UnixMs>> {
        self.unrecorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Triggers {
    pub fn new(store: Store, expr: &str, seed: u64, wake: Arc<Notify>) -> Result<Triggers, String> {
        Ok(Triggers {
            store,
            cron: Arc::new(parse_schedule(expr)?),
            expr: expr.to_string(),
            seed,
            wake,
            edge: Arc::new(Edge::default()),
            daily_cap: None,
        })
    }

    /// Caps the slots started per UTC day (counted in the database).
    pub fn with_daily_cap(mut self, cap: Option<u32>) -> Triggers {
        self.daily_cap = cap;
        self
    }

    /// Starts the slot for scheduled time `at` (idempotent) and wakes the
    /// dispatcher. After [`Triggers::stop`] it starts nothing (`Ok(None)`).
    pub async fn start_slot(&self, at: UnixMs, now: UnixMs) -> Result<Option<i64>, StoreError> {
        let mut started = self.start_slots(&[(at, 1)], now).await?;
        Ok(started.pop().and_then(|ids| ids.first().copied()))
    }

    /// Starts the slots `(at, lifecycles)` in one transaction (one commit for
    /// all); the lifecycle ids of each (none where it was not started).
    pub async fn start_slots(
        &self,
        slots: &[(UnixMs, u32)],
        now: UnixMs,
    ) -> Result<Vec<Vec<i64>>, StoreError> {
        let stopped = self.edge.stopped.read().await;
        if *stopped {
            return Ok(vec![Vec::new(); slots.len()]);
        }
        let reqs: Vec<SlotRequest> = slots
            .iter()
            .map(|&(at, lifecycles)| SlotRequest {
                at,
                now,
                run_seed: self.seed,
                source: SlotSource::Cron,
                playbook: None,
                daily_cap: self.daily_cap,
                lifecycles,
            })
            .collect();
        let started = self.store.start_slots(&reqs).await?;
        drop(stopped);
        let ids: Vec<Vec<i64>> = slots
            .iter()
            .zip(started)
            .map(|(&(at, _), s)| match s {
                SlotStart::Started(ids) => {
                    for id in &ids {
                        tracing::info!(lifecycle = id, slot = %format_iso(at), "slot started");
                    }
                    ids
                }
                SlotStart::Capped(note) => {
                    tracing::warn!(slot = %format_iso(at), "slot skipped: {note}");
                    Vec::new()
                }
                SlotStart::Exists => Vec::new(),
            })
            .collect();
        if ids.iter().any(|v| !v.is_empty()) {
            self.wake.notify_one();
        }
        Ok(ids)
    }

    /// A cron firing at `now`: the slot is the latest scheduled time ≤ now.
    /// Slots whose insert failed earlier go first; when this one fails it is
    /// kept for [`Triggers::retry_unrecorded`].
    pub async fn fire(&self, now: UnixMs) -> Result<Option<i64>, StoreError> {
        let Some(at) = self.latest_at_or_before(now) else {
            return Ok(None);
        };
        self.edge.unrecorded().insert(at);
        let started = self.retry_unrecorded(now).await?;
        Ok(started
            .into_iter()
            .find(|(t, _)| *t == at)
            .and_then(|(_, id)| id))
    }

    /// Inserts the slots whose insert failed, oldest first, each with its own
    /// scheduled time; those older than the catch-up window are given up
    /// (logged), as catch-up would skip them. Returns what each insert gave;
    /// on an error the slot and the later ones stay for the next retry.
    pub async fn retry_unrecorded(
        &self,
        now: UnixMs,
    ) -> Result<Vec<(UnixMs, Option<i64>)>, StoreError> {
        let window = self
            .edge
            .caught_up()
            .map_or(DEFAULT_RETRY_WINDOW_MS, |c| c.1);
        let due: Vec<UnixMs> = self.edge.unrecorded().iter().copied().collect();
        let mut started = Vec::new();
        for at in due {
            if now - at > window {
                tracing::error!(slot = %format_iso(at), "gave up recording the cron slot; it is older than the catch-up window");
            } else {
                started.push((at, self.start_slot(at, now).await?));
            }
            self.edge.unrecorded().remove(&at);
        }
        Ok(started)
    }

    /// Retries failed slot inserts with backoff (doubling from `base` up to
    /// [`RETRY_CAP`]) until none is left, the triggers stop, or
    /// [`MAX_RETRIES`] rounds passed.
    async fn retry_with_backoff(&self, clock: &dyn Clock, base: Duration) {
        let mut pause = base;
        for _ in 0..MAX_RETRIES {
            tokio::time::sleep(pause).await;
            if *self.edge.stopped.read().await {
                return;
            }
            match self.retry_unrecorded(clock.now_ms()).await {
                Ok(_) if self.edge.unrecorded().is_empty() => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "could not record the cron slot yet; retrying")
                }
            }
            pause = (pause * 2).min(RETRY_CAP);
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
    /// Remembers `now`, so that [`Triggers::spawn`] starts a slot that falls
    /// between this and the scheduler's start.
    pub async fn catch_up(
        &self,
        now: UnixMs,
        window_ms: i64,
    ) -> Result<domain::CatchUp, StoreError> {
        *self
            .edge
            .caught_up
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((now, window_ms));
        let Some(last) = self.store.last_slot_at().await? else {
            return Ok(domain::catch_up(&[], now, window_ms));
        };
        let missed = self.latest_between(last, now, MAX_MISSED_SCAN);
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
            let more = if missed.len() == MAX_MISSED_SCAN {
                " (at least)"
            } else {
                ""
            };
            tracing::warn!(
                skipped = plan.skipped,
                first = %format_iso(missed[0]),
                window = %domain::format_duration(window_ms),
                "missed slots skipped{more} (daemon was down); only the most recent one within the catch-up window runs"
            );
        }
        Ok(plan)
    }

    /// The latest `max` scheduled times in `(after, now]`, oldest first,
    /// scanning back from `now` (so after a long outage the newest are kept).
    fn latest_between(&self, after: UnixMs, now: UnixMs, max: usize) -> Vec<UnixMs> {
        let mut out = Vec::new();
        let mut at = self.latest_at_or_before(now);
        while let Some(ms) = at.filter(|ms| *ms > after && out.len() < max) {
            out.push(ms);
            // find_previous_occurrence step by step (exclusive): croner's
            // iterator skips every other second of a per-second cron.
            at = DateTime::<Utc>::from_timestamp_millis(ms)
                .and_then(|t| self.cron.find_previous_occurrence(&t, false).ok())
                .map(|d| d.timestamp_millis());
        }
        out.reverse();
        out
    }

    /// Starts tokio-cron-scheduler with one job that inserts a slot per firing
    /// (retrying a failed insert with backoff), then starts the slots that fell
    /// between the last [`Triggers::catch_up`] and now. The returned scheduler
    /// may be shut down by the caller; [`Triggers::stop`] does it too.
    pub async fn spawn(&self, clock: Arc<dyn Clock>) -> Result<JobScheduler, TriggerError> {
        let sched = self.start_scheduler(clock.clone()).await?;
        *self.edge.sched.lock().await = Some(sched.clone());
        if let Some((caught_up_at, _)) = self.edge.caught_up() {
            let now = clock.now_ms();
            for at in self.latest_between(caught_up_at, now, MAX_GAP_SLOTS) {
                tracing::info!(slot = %format_iso(at), "starting a slot that fell between catch-up and the scheduler's start");
                self.start_slot(at, now).await?;
            }
        }
        Ok(sched)
    }

    async fn start_scheduler(&self, clock: Arc<dyn Clock>) -> Result<JobScheduler, TriggerError> {
        let scheduler = |e: JobSchedulerError| TriggerError::Scheduler(e.to_string());
        let sched = JobScheduler::new().await.map_err(scheduler)?;
        let this = self.clone();
        let job = Job::new_async(self.expr.as_str(), move |_id, _lock| {
            let this = this.clone();
            let clock = clock.clone();
            Box::pin(async move {
                if let Err(e) = this.fire(clock.now_ms()).await {
                    tracing::error!(error = %e, "could not record the cron slot; retrying with backoff");
                    tokio::spawn(async move { this.retry_with_backoff(&*clock, RETRY_BASE).await });
                }
            })
        })
        .map_err(scheduler)?;
        sched.add(job).await.map_err(scheduler)?;
        sched.start().await.map_err(scheduler)?;
        Ok(sched)
    }

    /// Stops the triggers: once this returns no slot is started (inserts in
    /// flight have finished, later ones are refused) and the scheduler is
    /// shut down. Call it first when stopping.
    pub async fn stop(&self) {
        *self.edge.stopped.write().await = true;
        let sched = self.edge.sched.lock().await.take();
        if let Some(mut sched) = sched
            && let Err(e) = sched.shutdown().await
        {
            tracing::warn!(error = %e, "cron scheduler did not shut down cleanly");
        }
    }
}

#[cfg(test)]
#[path = "triggers_tests.rs"]
mod tests;
