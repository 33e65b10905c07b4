//! Claims due steps, performs them, commits outcomes.
//!
//! `tick(now)` does one round and is what tests call; `run(stop)` is a thin loop
//! over it that sleeps until the nearest due step (capped), or until woken by a
//! new slot. Nothing is held in memory between rounds: SQLite is the truth.

mod steps;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;

use crate::clock::{Clock, UnixMs};
use crate::domain::{self, LifecycleState, Stage};
use crate::freshdesk::{self, Client};
use crate::store::{ClaimedStep, Store, StoreError};

pub use steps::People;

/// Tuning of the dispatcher; the defaults suit a real helpdesk.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// Tag put on every ticket ticketsim creates.
    pub tag: String,
    /// Steps claimed per round at most (bounds memory and concurrency).
    pub batch: i64,
    /// Attempts of one step before its lifecycle is marked failed.
    pub max_attempts: i64,
    pub backoff_base_ms: i64,
    pub backoff_cap_ms: i64,
    /// Longest sleep between rounds when nothing is due.
    pub max_idle_ms: i64,
    /// How long the contact and agent lists are reused before being fetched again.
    pub people_ttl_ms: i64,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            tag: crate::config::DEFAULT_TAG.to_string(),
            batch: 32,
            max_attempts: 8,
            backoff_base_ms: 2_000,
            backoff_cap_ms: 300_000,
            max_idle_ms: 30_000,
            people_ttl_ms: 600_000,
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
    people: tokio::sync::Mutex<Option<(UnixMs, Arc<People>)>>,
    jitter: Mutex<StdRng>,
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
        Dispatcher {
            inner: Arc::new(Inner {
                store,
                client,
                clock,
                cfg,
                wake,
                events,
                people: tokio::sync::Mutex::new(None),
                jitter: Mutex::new(StdRng::seed_from_u64(seed)),
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

    /// One round: claims the steps due at `now` and performs them, one per
    /// lifecycle, concurrently. Returns how many steps were handled.
    pub async fn tick(&self, now: UnixMs) -> Result<usize, DispatchError> {
        let claimed = self
            .inner
            .store
            .claim_due(now, self.inner.cfg.batch)
            .await?;
        let n = claimed.len();
        let mut set = JoinSet::new();
        for step in claimed {
            let this = self.clone();
            set.spawn(async move { this.handle(step).await });
        }
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "could not commit a step's outcome; it is recovered at the next start")
                }
                Err(e) => tracing::error!(error = %e, "step task failed"),
            }
        }
        Ok(n)
    }

    /// Runs rounds until `stop` turns true. A round in progress is finished
    /// first, so the step in hand is committed. With `drain`, returns as soon as
    /// no step is left to do.
    pub async fn run(
        &self,
        mut stop: watch::Receiver<bool>,
        drain: bool,
    ) -> Result<(), DispatchError> {
        self.recover().await?;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let handled = match self.tick(self.inner.clock.now_ms()).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "dispatcher round failed; trying again in 5 s");
                    wait(&mut stop, &self.inner.wake, 5_000).await;
                    continue;
                }
            };
            if drain && self.inner.store.open_steps().await? == 0 {
                return Ok(());
            }
            if handled > 0 {
                continue;
            }
            let now = self.inner.clock.now_ms();
            let next = self.inner.store.next_due_at().await?;
            let idle = self.inner.cfg.max_idle_ms;
            let ms = next.map_or(idle, |d| (d - now).clamp(20, idle));
            wait(&mut stop, &self.inner.wake, ms).await;
        }
    }

    /// Performs one claimed step and commits its outcome.
    async fn handle(&self, step: ClaimedStep) -> Result<(), StoreError> {
        let result = self.perform(&step).await;
        let inner = &self.inner;
        let now = inner.clock.now_ms();
        let outcome = match result {
            Ok(done) => {
                if !inner.store.complete_step(&step, now).await? {
                    // Only possible if another process took the step over.
                    tracing::warn!(lifecycle = step.lifecycle_id, stage = %step.stage, "step was no longer ours to commit");
                    return Ok(());
                }
                Outcome::Done(done)
            }
            Err(e) => self.settle_failure(&step, now, e).await?,
        };
        self.emit(&step, now, outcome).await;
        Ok(())
    }

    /// Decides what a failure means: try again later, or end the lifecycle.
    async fn settle_failure(
        &self,
        step: &ClaimedStep,
        now: UnixMs,
        e: steps::StepError,
    ) -> Result<Outcome, StoreError> {
        let store = &self.inner.store;
        let reason = e.to_string();
        if e.is_ticket_gone() {
            let ticket = store.lifecycle(step.lifecycle_id).await?.ticket_id;
            let ticket = ticket.map_or("the ticket".to_string(), |t| format!("ticket {t}"));
            let reason = format!(
                "{ticket} was deleted (or marked as spam) in Freshdesk: {reason}; lifecycle stopped"
            );
            store
                .end_lifecycle(step, now, LifecycleState::Cancelled, &reason)
                .await?;
            return Ok(Outcome::Ended {
                state: LifecycleState::Cancelled,
                reason,
            });
        }
        if e.is_transient() && step.attempts < self.inner.cfg.max_attempts {
            let at = now + self.backoff(step.attempts);
            store.retry_step(step, at, &reason).await?;
            return Ok(Outcome::Retry { error: reason, at });
        }
        let reason = if e.is_transient() {
            format!("gave up after {} attempts: {reason}", step.attempts)
        } else {
            reason
        };
        store
            .end_lifecycle(step, now, LifecycleState::Failed, &reason)
            .await?;
        Ok(Outcome::Ended {
            state: LifecycleState::Failed,
            reason,
        })
    }

    fn backoff(&self, attempts: i64) -> i64 {
        let cfg = &self.inner.cfg;
        let mut rng = self.inner.jitter.lock().unwrap_or_else(|p| p.into_inner());
        domain::backoff_ms(
            attempts as u32,
            cfg.backoff_base_ms,
            cfg.backoff_cap_ms,
            &mut *rng,
        )
    }

    async fn emit(&self, step: &ClaimedStep, at: UnixMs, outcome: Outcome) {
        match &outcome {
            Outcome::Done(what) => {
                tracing::info!(lifecycle = step.lifecycle_id, stage = %step.stage, "{what}")
            }
            Outcome::Retry { error, .. } => {
                tracing::warn!(lifecycle = step.lifecycle_id, stage = %step.stage, attempt = step.attempts, %error, "step will be retried")
            }
            Outcome::Ended { state, reason } => {
                tracing::error!(lifecycle = step.lifecycle_id, stage = %step.stage, %state, %reason, "lifecycle ended")
            }
        }
        let Some(tx) = &self.inner.events else { return };
        let ticket_id = self
            .inner
            .store
            .lifecycle(step.lifecycle_id)
            .await
            .ok()
            .and_then(|l| l.ticket_id);
        let _ = tx.send(StepEvent {
            lifecycle_id: step.lifecycle_id,
            ticket_id,
            stage: step.stage,
            at,
            outcome,
        });
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn client(&self) -> &freshdesk::Client {
        &self.inner.client
    }
}

/// Sleeps up to `ms`, returning early when woken or told to stop.
async fn wait(stop: &mut watch::Receiver<bool>, wake: &Notify, ms: i64) {
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(ms.max(0) as u64)) => {}
        _ = wake.notified() => {}
        _ = stop.changed() => {}
    }
}
