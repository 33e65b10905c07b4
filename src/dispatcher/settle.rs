//! What a performed step's result becomes in the database: done, tried again
//! later, or the end of its lifecycle. Commits that meet a busy database are
//! repeated with backoff; one that still fails leaves the step to its lease.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::steps::{AFTER_SEND, HeldMarks, StepError, with_held_marks};
use super::{Dispatcher, Outcome, StepEvent};
use crate::clock::UnixMs;
use crate::domain::{self, LifecycleState};
use crate::store::{ClaimedStep, StepWrite, StoreError, Written};

/// Tries of one commit that meets a busy database before the step is left to
/// its lease (taken back when it expires).
const COMMIT_TRIES: u32 = 5;

impl Dispatcher {
    /// Performs one claimed step and commits its outcome. A worker gives the
    /// step up before its lease ends, so no one else can hold it meanwhile.
    pub(super) async fn handle(&self, step: ClaimedStep) {
        self.handle_holding(step, HeldMarks::default(), false).await;
    }

    /// [`Dispatcher::handle`], the records held back for the outcome kept in
    /// `held` (which the caller may read if it gives the step up). With
    /// `chain` (and [`super::DispatcherConfig::chain_steps`]), the lifecycle's
    /// next step, when due, is claimed with the outcome and returned: the
    /// caller must perform it (or release it).
    pub(super) async fn handle_holding(
        &self,
        step: ClaimedStep,
        held: HeldMarks,
        chain: bool,
    ) -> Option<ClaimedStep> {
        AFTER_SEND
            .scope(held, self.perform_and_commit(step, chain))
            .await
    }

    async fn perform_and_commit(&self, step: ClaimedStep, chain: bool) -> Option<ClaimedStep> {
        let budget = Duration::from_millis((self.inner.cfg.lease_ms.max(0) as u64) * 9 / 10);
        // Read once: the step works from it, and its log line and event name
        // its ticket (read again only where the step made the ticket).
        let lifecycle = self.inner.store.lifecycle(step.lifecycle_id).await;
        let ticket = lifecycle.as_ref().ok().and_then(|l| l.ticket_id);
        let work = async {
            match lifecycle {
                Ok(l) => self.perform(&step, l).await,
                Err(e) => Err(e.into()),
            }
        };
        let result = match tokio::time::timeout(budget, work).await {
            Ok(r) => {
                if let (Ok(_), Some(m)) = (&r, self.metrics()) {
                    m.lateness(self.now() - step.due_at);
                }
                r
            }
            Err(_) => Err(StepError::Overran(
                "the step took longer than its lease; it is checked against Freshdesk before anything is re-sent".into(),
            )),
        };
        let mut tries = 0;
        loop {
            tries += 1;
            match self.commit(&step, &result, chain).await {
                Ok(Some((outcome, next))) => {
                    self.emit(&step, ticket, outcome).await;
                    return next;
                }
                Ok(None) => {
                    tracing::warn!(lifecycle = step.lifecycle_id, stage = %step.stage, "step was no longer ours to commit (its lease was taken back)");
                    return None;
                }
                Err(e) if e.is_transient() && tries < COMMIT_TRIES => {
                    let ms = self.backoff(tries as i64).clamp(50, 5_000);
                    tracing::warn!(lifecycle = step.lifecycle_id, error = %e, "database busy while committing a step; trying again");
                    tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                }
                Err(e) => {
                    tracing::error!(lifecycle = step.lifecycle_id, stage = %step.stage, error = %e, "could not commit a step's outcome; it is taken back when its lease expires");
                    return None;
                }
            }
        }
    }

    /// Writes the outcome, with the next step it chained; `None` when the
    /// fence failed (not ours any more).
    async fn commit(
        &self,
        step: &ClaimedStep,
        result: &Result<String, StepError>,
        chain: bool,
    ) -> Result<Option<(Outcome, Option<ClaimedStep>)>, StoreError> {
        let now = self.now();
        match result {
            Ok(done) => {
                let chain = (chain
                    && self.inner.cfg.chain_steps
                    && !self.inner.stopping.load(Ordering::SeqCst))
                .then_some(self.inner.cfg.lease_ms);
                let write = StepWrite::Complete {
                    step: step.clone(),
                    now,
                    chain,
                };
                let written = self.write_outcome(write).await?;
                Ok(written
                    .ours
                    .then(|| (Outcome::Done(done.clone()), written.next)))
            }
            Err(e) => Ok(self
                .settle_failure(step, now, e)
                .await?
                .map(|outcome| (outcome, None))),
        }
    }

    /// Writes an outcome with the records the step held back for it.
    async fn write_outcome(&self, write: StepWrite) -> Result<Written, StoreError> {
        self.inner.writer.write_all(with_held_marks(write)).await
    }

    /// Decides what a failure means: try again later, or end the lifecycle.
    async fn settle_failure(
        &self,
        step: &ClaimedStep,
        now: UnixMs,
        e: &StepError,
    ) -> Result<Option<Outcome>, StoreError> {
        let store = &self.inner.store;
        let reason = e.to_string();
        if e.is_ticket_gone() {
            let ticket = store.lifecycle(step.lifecycle_id).await?.ticket_id;
            let ticket = ticket.map_or("the ticket".to_string(), |t| format!("ticket {t}"));
            let reason = format!(
                "{ticket} was deleted (or marked as spam) in Freshdesk: {reason}; lifecycle stopped"
            );
            let state = LifecycleState::Cancelled;
            let ok = self.end(step, now, state, &reason).await?;
            return Ok(ok.then_some(Outcome::Ended { state, reason }));
        }
        if e.is_transient() && (step.attempts < self.inner.cfg.max_attempts || e.is_busy()) {
            let at = self.retry_at(step, now, e);
            if let Some(m) = self.metrics() {
                m.retry(retry_reason(e));
            }
            let write = StepWrite::Retry {
                step: step.clone(),
                due_at: at,
                error: reason.clone(),
            };
            let ok = self.write_outcome(write).await?.ours;
            return Ok(ok.then_some(Outcome::Retry { error: reason, at }));
        }
        let reason = if e.is_transient() {
            format!("gave up after {} attempts: {reason}", step.attempts)
        } else {
            reason
        };
        let state = LifecycleState::Failed;
        let ok = self.end(step, now, state, &reason).await?;
        Ok(ok.then_some(Outcome::Ended { state, reason }))
    }

    async fn end(
        &self,
        step: &ClaimedStep,
        now: UnixMs,
        end: LifecycleState,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let write = StepWrite::End {
            step: step.clone(),
            now,
            end,
            reason: reason.to_string(),
        };
        Ok(self.write_outcome(write).await?.ours)
    }

    /// When a transient failure is tried again: after the backoff, never before
    /// what the error itself asks for (a `Retry-After`, a reconciliation delay).
    pub(super) fn retry_at(&self, step: &ClaimedStep, now: UnixMs, e: &StepError) -> UnixMs {
        // A look that must wait is no failure: it goes at its time, however
        // many attempts (killed claims count too) came before.
        if let StepError::TooEarly { at } = e {
            return *at;
        }
        let backoff = now + self.backoff(step.attempts);
        e.not_before(now, self.inner.cfg.reconcile_after_ms)
            .map_or(backoff, |at| at.max(backoff))
    }

    pub(super) fn backoff(&self, attempts: i64) -> i64 {
        let cfg = &self.inner.cfg;
        let mut rng = self.inner.jitter.lock().unwrap_or_else(|p| p.into_inner());
        domain::backoff_ms(
            attempts as u32,
            cfg.backoff_base_ms,
            cfg.backoff_cap_ms,
            &mut *rng,
        )
    }

    async fn emit(&self, step: &ClaimedStep, ticket_id: Option<i64>, outcome: Outcome) {
        let at = self.now();
        let ticket_id = match ticket_id {
            Some(id) => Some(id),
            None => self
                .inner
                .store
                .lifecycle(step.lifecycle_id)
                .await
                .ok()
                .and_then(|l| l.ticket_id),
        };
        let ticket = ticket_id.unwrap_or_default();
        let (lifecycle, stage) = (step.lifecycle_id, step.stage);
        if let Some(m) = self.metrics() {
            m.step(&stage.to_string(), &result_label(&outcome));
        }
        match &outcome {
            Outcome::Done(what) => tracing::info!(lifecycle, ticket, %stage, "{what}"),
            Outcome::Retry { error, .. } => {
                tracing::warn!(lifecycle, ticket, %stage, attempt = step.attempts, %error, "step will be retried")
            }
            Outcome::Ended { state, reason } => {
                tracing::error!(lifecycle, ticket, %stage, %state, %reason, "lifecycle ended")
            }
        }
        let Some(tx) = &self.inner.events else { return };
        let _ = tx.send(StepEvent {
            lifecycle_id: step.lifecycle_id,
            ticket_id,
            stage: step.stage,
            at,
            outcome,
        });
    }
}

/// The `result` label of a step's outcome: done, retried, or the lifecycle's end state.
fn result_label(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Done(_) => "done".into(),
        Outcome::Retry { .. } => "retried".into(),
        Outcome::Ended { state, .. } => state.to_string(),
    }
}

/// Why a step is tried again, as a bounded label.
fn retry_reason(e: &StepError) -> &'static str {
    match e {
        StepError::Freshdesk(crate::freshdesk::Error::RateLimited { .. }) => "rate_limited",
        _ if e.is_busy() => "busy",
        _ if e.is_uncertain() => "uncertain",
        _ => "transient",
    }
}
