//! Claims due steps under a lease, performs them, commits outcomes.
//!
//! `tick(now)` does one round and is what tests call; `run(stop)` is a pool of
//! workers (`pool.rs`): a step is claimed as soon as a worker is free, expired
//! leases are taken back, and a stop releases what has not been sent. Nothing
//! is held in memory that SQLite does not also hold.

mod actions;
mod backlog;
mod create;
mod heartbeat;
mod order;
mod people;
pub mod plan;
mod pool;
mod settle;
mod steps;
mod writer;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;

use crate::clock::{Clock, UnixMs};
use crate::domain::{LifecycleState, Stage};
use crate::freshdesk::{self, Client};
use crate::metrics::Metrics;
use crate::store::{ClaimOptions, DEFAULT_LEASE_MS, NewTickets, Store, StoreError};

pub use heartbeat::{BEAT_EVERY, Heartbeat};
pub use plan::{Content, People, Planned, plan_lifecycle};
pub use pool::stop_requested;

/// Tuning of the dispatcher; the defaults suit a real helpdesk.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// What lifecycles are written from: scenarios, playbooks, offsets, the tag.
    pub content: Content,
    /// Steps claimed by one `tick()` at most (the daemon uses `workers`).
    pub batch: i64,
    /// Attempts of one step before its lifecycle is marked failed.
    pub max_attempts: i64,
    pub backoff_base_ms: i64,
    pub backoff_cap_ms: i64,
    /// Longest sleep between rounds when nothing is due.
    pub max_idle_ms: i64,
    /// How long the contact and agent lists are reused before being fetched again.
    pub people_ttl_ms: i64,
    /// Steps in flight at most (the worker pool's size); see [`workers_for_rate`].
    pub workers: usize,
    /// How long a claimed step stays ours; a worker gives its step up before.
    pub lease_ms: i64,
    /// How long a stop lets steps in hand finish before releasing them.
    pub stop_grace_ms: u64,
    /// How long after an uncertain write (timeout, dropped connection, 5xx) the
    /// step is retried or looked for: twice the request timeout, so that a
    /// write Freshdesk applies after the client gave up has landed first.
    pub reconcile_after_ms: i64,
    /// A WARN when more steps than this are at least `overdue_late_ms` late.
    pub overdue_warn: i64,
    pub overdue_late_ms: i64,
    /// Where steps, retries, reconciliations, lateness and commits are counted.
    pub metrics: Option<Arc<Metrics>>,
    /// Test hook: the loop wedges for good once this file exists (heartbeat.rs).
    pub wedge_file: Option<PathBuf>,
    /// `TICKETSIM_TRAINEE_GROUP`: the group (id or name) trainee tickets go
    /// to; unassigned when `None`.
    pub trainee_group: Option<String>,
    /// When the pool's claims may open new tickets. The daemon's
    /// [`NewTickets::WhenNoneInFlight`] finishes every due step of a ticket in
    /// flight before opening another; `load` fills free workers with new
    /// tickets after those steps ([`NewTickets::Fill`]), so that the arrival
    /// rate, not the pool's turn-taking, sets how many tickets are in flight.
    pub new_tickets: NewTickets,
    /// A worker whose step completes goes on with the lifecycle's next step
    /// when that one is due already, claimed in the completion's commit
    /// (`load`: at zero offsets a ticket's steps follow each other at once,
    /// and each would otherwise wait for a claim of its own). Off for the
    /// daemon, whose steps are minutes apart.
    pub chain_steps: bool,
}

/// The pool size that suits a request budget: `max(4, rate / 10)`, at most 64.
pub fn workers_for_rate(rate_per_min: u32) -> usize {
    (rate_per_min as usize / 10).clamp(4, 64)
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            content: Content::default(),
            batch: 32,
            max_attempts: 8,
            backoff_base_ms: 2_000,
            backoff_cap_ms: 300_000,
            max_idle_ms: 30_000,
            people_ttl_ms: 600_000,
            workers: workers_for_rate(40),
            lease_ms: DEFAULT_LEASE_MS,
            stop_grace_ms: 2_000,
            reconcile_after_ms: 60_000,
            overdue_warn: 100,
            overdue_late_ms: 60_000,
            metrics: None,
            wedge_file: None,
            trainee_group: None,
            new_tickets: NewTickets::WhenNoneInFlight,
            chain_steps: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What happened to a step, for the demo's live output and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEvent {
    pub lifecycle_id: i64,
    pub ticket_id: Option<i64>,
    /// The step's kind.
    pub stage: Stage,
    pub at: UnixMs,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the text says what was done, e.g. who wrote to whom.
    Done(String),
    /// Will be tried again at the given time.
    Retry { error: String, at: UnixMs },
    /// The lifecycle ended here.
    Ended {
        state: LifecycleState,
        reason: String,
    },
}

#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    client: Client,
    clock: Arc<dyn Clock>,
    cfg: DispatcherConfig,
    wake: Arc<Notify>,
    events: Option<mpsc::UnboundedSender<StepEvent>>,
    people: people::Cache,
    writer: writer::Writer,
    jitter: Mutex<StdRng>,
    heartbeat: Heartbeat,
    /// The pool stopped claiming (a stop was asked for): no step is chained.
    stopping: AtomicBool,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        client: Client,
        clock: Arc<dyn Clock>,
        cfg: DispatcherConfig,
        wake: Arc<Notify>,
        events: Option<mpsc::UnboundedSender<StepEvent>>,
    ) -> Dispatcher {
        let seed = clock.now_ms() as u64;
        let writer = writer::Writer::spawn(store.clone(), cfg.metrics.clone());
        Dispatcher {
            inner: Arc::new(Inner {
                store,
                client,
                clock,
                cfg,
                wake,
                events,
                people: people::Cache::default(),
                writer,
                jitter: Mutex::new(StdRng::seed_from_u64(seed)),
                heartbeat: Heartbeat::default(),
                stopping: AtomicBool::new(false),
            }),
        }
    }

    /// Makes the orphans of a crash (`running` steps) due again. Run once at start.
    pub async fn recover(&self) -> Result<u64, DispatchError> {
        let n = self
            .inner
            .store
            .recover_running(self.inner.clock.now_ms())
            .await?;
        if n > 0 {
            tracing::warn!(
                steps = n,
                "recovered steps interrupted by a crash; each is checked against Freshdesk before anything is re-sent"
            );
        }
        Ok(n)
    }

    /// One round: claims the steps due at `now` (up to `batch`) and performs
    /// them, one per lifecycle, concurrently, waiting for all. What tests call;
    /// the daemon runs the worker pool ([`Dispatcher::run`]) instead.
    pub async fn tick(&self, now: UnixMs) -> Result<usize, DispatchError> {
        let opts = self.claim_options(true);
        let claimed = self
            .inner
            .store
            .claim(now, self.inner.cfg.batch, opts)
            .await?;
        let n = claimed.len();
        let mut set = JoinSet::new();
        for step in claimed {
            let this = self.clone();
            set.spawn(async move { this.handle(step).await });
        }
        while let Some(joined) = set.join_next().await {
            if let Err(e) = joined {
                tracing::error!(error = %e, "step task failed; its lease lets it be taken back");
            }
        }
        Ok(n)
    }

    fn claim_options(&self, start_new: bool) -> ClaimOptions {
        ClaimOptions {
            lease_ms: self.inner.cfg.lease_ms,
            start_new,
            ..ClaimOptions::default()
        }
    }

    /// The loop's sign of life (beaten while [`Dispatcher::run`] is running).
    pub fn heartbeat(&self) -> Heartbeat {
        self.inner.heartbeat.clone()
    }

    /// Records into the metrics, when the dispatcher has them.
    pub(super) fn metrics(&self) -> Option<&Metrics> {
        self.inner.cfg.metrics.as_deref()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn client(&self) -> &freshdesk::Client {
        &self.inner.client
    }
}
