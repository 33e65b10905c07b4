//! The daemon's loop: a pool of up to `workers` steps in flight. A step is
//! claimed as soon as a worker is free; expired leases are taken back on the
//! way; the loop sleeps until the nearest due step or lease end (capped), a
//! worker finishing, a new slot, or a stop.
//!
//! Stopping: no more claims; steps in hand get `stop_grace_ms` to finish and
//! commit (requests on the wire normally answer well within it); the rest are
//! cancelled, which drops their waits on the rate budget and on backoff, and
//! released (back to `pending`, attempt not counted). Every POST records its
//! intent first, so a released step that did send looks before re-sending.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::backlog::Backlog;
use super::heartbeat::BEAT_EVERY;
use super::order::{SendOrder, Turn};
use super::steps::HeldMarks;
use super::{DispatchError, Dispatcher};
use crate::clock::UnixMs;
use crate::freshdesk::track_writes;
use crate::store::{ClaimOptions, ClaimedStep, Mark, StoreError};

/// How often expired leases are looked for (a lease lasts minutes).
const LEASE_CHECK_EVERY: Duration = Duration::from_secs(1);

/// How long cancelled workers get to write their release.
const RELEASE_WAIT: Duration = Duration::from_millis(1_500);

/// True once a stop was asked for, or when no one can ask any more (a closed
/// channel means stop: it must never turn into a busy loop).
pub fn stop_requested(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

impl Dispatcher {
    /// Runs the worker pool until `stop` turns true (or its sender is gone).
    /// With `drain`, starts no ticket that was not already attempted and
    /// returns as soon as the started lifecycles have nothing left to do.
    pub async fn run(
        &self,
        mut stop: watch::Receiver<bool>,
        drain: bool,
    ) -> Result<(), DispatchError> {
        self.recover().await?;
        let workers = self.inner.cfg.workers.max(1);
        let claim_at = (workers / 8).max(1);
        let mut leases_checked: Option<Instant> = None;
        let mut opts = self.claim_options(!drain);
        let order = Arc::new(SendOrder::default());
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let mut set: JoinSet<()> = JoinSet::new();
        let mut backlog = Backlog::default();
        loop {
            self.inner.heartbeat.beat();
            super::heartbeat::wedge_if_asked(self.inner.cfg.wedge_file.as_deref()).await;
            if stop_requested(&stop) {
                break;
            }
            while let Some(joined) = set.try_join_next() {
                log_join(joined);
            }
            self.watch_backlog(&mut backlog).await;
            let free = workers.saturating_sub(set.len());
            let mut wait_ms = self.inner.cfg.max_idle_ms;
            // A claim is a commit of its own: with most workers busy, wait
            // until an eighth of them is free and claim for all of them.
            if free > 0 && (free >= claim_at || set.is_empty()) {
                // New tickets after the due steps of tickets in flight (the
                // daemon: only once none is due); they send nothing before the
                // in-flight steps claimed earlier.
                opts.new_tickets = self.inner.cfg.new_tickets;
                match self
                    .claim_some(free as i64, opts, &mut leases_checked)
                    .await
                {
                    Ok(steps) if !steps.is_empty() => {
                        for step in steps {
                            self.spawn_worker(&mut set, step, cancel_rx.clone(), &order);
                        }
                        continue;
                    }
                    Ok(_) if drain && set.is_empty() && self.drained().await => break,
                    Ok(_) => wait_ms = self.idle_ms().await,
                    Err(e) => wait_ms = claim_failed(&e),
                }
            }
            self.idle(wait_ms, &mut set, &mut stop).await;
        }
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.shut_down(set, cancel_tx).await;
        Ok(())
    }

    /// Waits `wait_ms`, or less: a worker finishing, a wake-up or a stop end
    /// the wait. Beats the heartbeat every [`BEAT_EVERY`] meanwhile.
    async fn idle(&self, wait_ms: i64, set: &mut JoinSet<()>, stop: &mut watch::Receiver<bool>) {
        let sleep = tokio::time::sleep(Duration::from_millis(wait_ms.max(0) as u64));
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return,
                Some(joined) = set.join_next(), if !set.is_empty() => return log_join(joined),
                _ = self.inner.wake.notified() => return,
                _ = stop.changed() => return,
                _ = tokio::time::sleep(BEAT_EVERY) => self.inner.heartbeat.beat(),
            }
        }
    }

    /// Takes expired leases back (at most once every [`LEASE_CHECK_EVERY`]),
    /// then claims up to `n` due steps.
    async fn claim_some(
        &self,
        n: i64,
        opts: ClaimOptions,
        checked: &mut Option<Instant>,
    ) -> Result<Vec<ClaimedStep>, StoreError> {
        let store = &self.inner.store;
        let now = self.now();
        if checked.is_none_or(|t| t.elapsed() >= LEASE_CHECK_EVERY) {
            let taken = store.take_back_expired(now).await?;
            *checked = Some(Instant::now());
            if taken > 0 {
                tracing::warn!(
                    steps = taken,
                    "took back steps whose lease expired; each is checked against Freshdesk before anything is re-sent"
                );
            }
        }
        self.inner.writer.claim(now, n, opts).await
    }

    /// Runs `step` on a worker of the pool; the worker goes on with the steps
    /// its commits chain (each an in-flight step, holding its turn), and
    /// releases the step in hand when cancelled at a stop.
    fn spawn_worker(
        &self,
        set: &mut JoinSet<()>,
        step: ClaimedStep,
        mut cancel: watch::Receiver<bool>,
        order: &Arc<SendOrder>,
    ) {
        let this = self.clone();
        let order = order.clone();
        let mut place = Place::of(&order, &step);
        set.spawn(async move {
            let mut step = step;
            loop {
                let held = step.clone();
                let marks = HeldMarks::default();
                let sent = Arc::new(AtomicBool::new(false));
                let work = track_writes(sent.clone(), async {
                    let _turn = match place {
                        Place::InFlight(turn) => Some(turn),
                        Place::New { order, mark } => {
                            order.wait_for_earlier(mark).await;
                            None
                        }
                    };
                    this.handle_holding(step, marks.clone(), true).await
                });
                let next = tokio::select! {
                    next = work => next,
                    () = cancelled(&mut cancel) => {
                        this.release(&held, !sent.load(Ordering::SeqCst), marks.snapshot()).await;
                        None
                    }
                };
                let Some(next) = next else { return };
                place = Place::of(&order, &next);
                step = next;
            }
        });
    }

    /// Puts a step given up at a stop back to `pending` (`unsent`: none of
    /// its writes left, so nothing needs looking for at the next start).
    /// What the step had recorded of its sent writes (`marks`) is written
    /// first, so the next start need not look for them in Freshdesk.
    async fn release(&self, step: &ClaimedStep, unsent: bool, marks: Vec<Mark>) {
        for mark in marks {
            if let Err(e) = self.inner.store.mark(mark).await {
                tracing::warn!(lifecycle = step.lifecycle_id, error = %e, "could not record a sent write at stop; the next start looks for it in Freshdesk");
            }
        }
        match self.inner.store.release_step(step, unsent).await {
            Ok(true) if unsent => {
                tracing::info!(lifecycle = step.lifecycle_id, stage = %step.stage, "released a step at stop before it sent anything; it runs at the next start")
            }
            Ok(true) => {
                tracing::info!(lifecycle = step.lifecycle_id, stage = %step.stage, "released a step at stop after one of its writes had left; the next start checks Freshdesk before sending again")
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(lifecycle = step.lifecycle_id, error = %e, "could not release a step at stop; it is recovered at the next start")
            }
        }
    }

    /// Lets steps in hand finish within the grace period, then cancels and
    /// releases the rest.
    async fn shut_down(&self, mut set: JoinSet<()>, cancel: watch::Sender<bool>) {
        let grace = Duration::from_millis(self.inner.cfg.stop_grace_ms);
        if !set.is_empty() {
            tracing::info!(
                steps = set.len(),
                "stopping: no more claims; letting steps in hand finish"
            );
        }
        let _ = tokio::time::timeout(grace, join_all(&mut set)).await;
        let _ = cancel.send(true);
        if tokio::time::timeout(RELEASE_WAIT, join_all(&mut set))
            .await
            .is_err()
        {
            set.abort_all();
        }
    }

    /// True when a drain has nothing left (slots never started stay pending).
    async fn drained(&self) -> bool {
        match self.inner.store.open_started_steps().await {
            Ok(n) => n == 0,
            Err(e) => {
                tracing::warn!(error = %e, "could not count the open steps");
                false
            }
        }
    }

    /// Milliseconds until the nearest due step or lease end, capped.
    async fn idle_ms(&self) -> i64 {
        let store = &self.inner.store;
        let idle = self.inner.cfg.max_idle_ms;
        let due = store.next_due_at().await.ok().flatten();
        let lease = store.next_lease_end().await.ok().flatten();
        let next: Option<UnixMs> = match (due, lease) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let now = self.now();
        next.map_or(idle, |d| (d - now).clamp(20, idle))
    }
}

/// Where a claimed step stands in the send order (see [`SendOrder`]).
enum Place {
    /// A step of a ticket in flight, holding its turn until done.
    InFlight(Turn),
    /// A new ticket, sending nothing before the in-flight steps claimed earlier.
    New { order: Arc<SendOrder>, mark: u64 },
}

impl Place {
    fn of(order: &Arc<SendOrder>, step: &ClaimedStep) -> Place {
        if step.seq > 0 {
            Place::InFlight(order.in_flight())
        } else {
            Place::New {
                order: order.clone(),
                mark: order.mark(),
            }
        }
    }
}

fn claim_failed(e: &StoreError) -> i64 {
    if e.is_transient() {
        tracing::warn!(error = %e, "database busy while claiming; trying again in 1 s");
        1_000
    } else {
        tracing::error!(error = %e, "claiming steps failed; trying again in 5 s");
        5_000
    }
}

async fn join_all(set: &mut JoinSet<()>) {
    while let Some(joined) = set.join_next().await {
        log_join(joined);
    }
}

fn log_join(joined: Result<(), tokio::task::JoinError>) {
    if let Err(e) = joined
        && !e.is_cancelled()
    {
        tracing::error!(error = %e, "step task failed; its lease lets it be taken back");
    }
}

/// Resolves once cancellation is asked for (or can no longer be).
async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    while !*cancel.borrow_and_update() {
        if cancel.changed().await.is_err() {
            return;
        }
    }
}
