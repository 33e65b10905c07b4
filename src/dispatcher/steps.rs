//! What each kind of step does against Freshdesk. Every POST is preceded by a
//! recorded intent; a step that runs again after an uncertain outcome looks in
//! Freshdesk before re-sending, so no ticket, message or time entry is ever
//! duplicated. PUTs set values (never toggle them), so repeating one is harmless.

use super::Dispatcher;
use crate::clock::UnixMs;
use crate::content;
use crate::domain::Stage;
use crate::freshdesk::Error as FdError;
use crate::freshdesk::types::status;
use crate::store::{ClaimedStep, Lifecycle, Mark, Plan, StepWrite, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Freshdesk(#[from] FdError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Setup(String),
    /// The step ran out of time (its lease); tried again after a look.
    #[error("{0}")]
    Overran(String),
    /// A write whose outcome is unknown may still land in Freshdesk: it is
    /// looked for no sooner than `at`.
    #[error("an earlier attempt's write may still land; looking for it no sooner than {}", crate::clock::format_iso(*at))]
    TooEarly { at: UnixMs },
    /// A PUT was repeated after an uncertain outcome and the ticket does not
    /// show its value yet.
    #[error("ticket {ticket} does not show {what} after the update; trying again")]
    NotApplied { ticket: i64, what: String },
}

impl StepError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        match self {
            StepError::Freshdesk(e) => e.is_transient(),
            StepError::Store(e) => e.is_transient(),
            StepError::Overran(_) | StepError::TooEarly { .. } | StepError::NotApplied { .. } => {
                true
            }
            StepError::Setup(_) => false,
        }
    }

    /// Not a failed attempt (a busy database, a look that must wait): retried
    /// however often it happens, never counted towards failing the lifecycle.
    pub fn is_busy(&self) -> bool {
        matches!(self, StepError::Store(e) if e.is_transient())
            || matches!(self, StepError::TooEarly { .. })
    }

    /// A write may have taken effect although it failed (timeout, dropped
    /// connection, 5xx after sending, or the step overran its lease).
    pub fn is_uncertain(&self) -> bool {
        match self {
            StepError::Freshdesk(e) => e.outcome_uncertain(),
            StepError::Overran(_) => true,
            _ => false,
        }
    }

    /// The earliest time the step may be tried again, when the error says so:
    /// an uncertain write waits `reconcile_after_ms` (a late write lands first).
    pub fn not_before(&self, now: UnixMs, reconcile_after_ms: i64) -> Option<UnixMs> {
        match self {
            StepError::TooEarly { at } => Some(*at),
            StepError::Freshdesk(FdError::RateLimited { retry_after }) => {
                Some(now + i64::try_from(retry_after.as_millis()).unwrap_or(i64::MAX / 4))
            }
            _ if self.is_uncertain() => Some(now + reconcile_after_ms),
            _ => None,
        }
    }

    /// The ticket was deleted by someone: stop this lifecycle only. Freshdesk
    /// answers 404 for a ticket deleted forever, and 405 to a PUT on a ticket
    /// in the trash or marked as spam.
    pub fn is_ticket_gone(&self) -> bool {
        matches!(
            self,
            StepError::Freshdesk(FdError::NotFound { .. })
                | StepError::Freshdesk(FdError::Http { status: 405, .. })
        )
    }
}

pub(super) type StepResult = Result<String, StepError>;

impl Dispatcher {
    /// Does the step for lifecycle `l` (as read when the step began).
    pub(super) async fn perform(&self, step: &ClaimedStep, l: Lifecycle) -> StepResult {
        let params = &step.params;
        let again = step.attempts > 1;
        match step.stage {
            Stage::Create => self.create(l, again).await,
            Stage::AgentReply | Stage::CustomerReply | Stage::PrivateNote => {
                let sent = self.send(&l, step).await?;
                match params.status {
                    Some(to) => Ok(format!(
                        "{sent} + {}",
                        self.set_status(&l, to, again).await?
                    )),
                    None => Ok(sent),
                }
            }
            Stage::Resolve => {
                let sent = self.send(&l, step).await?;
                Ok(format!(
                    "{sent} + {}",
                    self.set_status(&l, status::RESOLVED, again).await?
                ))
            }
            Stage::Close => self.set_status(&l, status::CLOSED, again).await,
            Stage::Status => match params.status {
                Some(to) => self.set_status(&l, to, again).await,
                None => Err(missing(step, "status")),
            },
            Stage::Priority | Stage::Reassign | Stage::Tags => self.update_fields(&l, step).await,
            Stage::TimeEntry => self.log_time(&l, step).await,
        }
    }

    /// Refuses to look for (or repeat) a write recorded at `intent_at` before
    /// `reconcile_after_ms` has passed: Freshdesk may apply a write after the
    /// client gave up on it, and a look made before that finds nothing.
    pub(super) fn wait_for_late_write(&self, intent_at: Option<UnixMs>) -> Result<(), StepError> {
        let Some(intent) = intent_at else {
            return Ok(());
        };
        let at = intent + self.inner.cfg.reconcile_after_ms;
        if self.now() < at {
            return Err(StepError::TooEarly { at });
        }
        Ok(())
    }

    /// Records what a step's POST made (a conversation's or a time entry's id)
    /// with the step's outcome, in its transaction, rather than in one of its
    /// own. Safe because the POST's intent was committed before it left: a
    /// step interrupted before its outcome commits looks in Freshdesk before
    /// re-sending. Outside a worker (no outcome to ride on) it is written now.
    pub(super) async fn mark_with_outcome(&self, mark: Mark) -> Result<(), StoreError> {
        let held = AFTER_SEND.try_with(|v| v.push(mark.clone()));
        match held {
            Ok(()) => Ok(()),
            Err(_) => self.mark(mark).await,
        }
    }

    /// Writes a record of the step's progress through the single writer (it
    /// shares an fsync with whatever else is ready); returns once committed.
    pub(super) async fn mark(&self, mark: Mark) -> Result<(), StoreError> {
        self.inner
            .writer
            .write(StepWrite::Mark(mark))
            .await
            .map(|_| ())
    }

    /// Counts a look made before re-sending, and hands its answer on.
    pub(super) fn reconcile<T>(&self, kind: &'static str, found: Option<T>) -> Option<T> {
        if let Some(m) = self.metrics() {
            m.reconciliation(kind, found.is_some());
        }
        found
    }

    pub(super) fn now(&self) -> UnixMs {
        self.inner.clock.now_ms()
    }
}

tokio::task_local! {
    /// The records a step holds back for its outcome's transaction
    /// ([`Dispatcher::mark_with_outcome`]).
    pub(super) static AFTER_SEND: HeldMarks;
}

/// The records a worker's step holds back for its outcome; the worker keeps a
/// handle, so a step released at a stop writes them with its release.
#[derive(Clone, Default)]
pub(super) struct HeldMarks(std::sync::Arc<std::sync::Mutex<Vec<Mark>>>);

impl HeldMarks {
    fn push(&self, mark: Mark) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(mark);
    }

    pub(super) fn snapshot(&self) -> Vec<Mark> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// `write` preceded by the records the step held back for it.
pub(super) fn with_held_marks(write: StepWrite) -> Vec<StepWrite> {
    let mut writes: Vec<StepWrite> = AFTER_SEND
        .try_with(|v| v.snapshot().into_iter().map(StepWrite::Mark).collect())
        .unwrap_or_default();
    writes.push(write);
    writes
}

/// The start of a message's text, for one-line summaries.
pub(super) fn snippet(html: &str, max_chars: usize) -> String {
    let text = content::html_to_text(html);
    if text.chars().count() <= max_chars {
        return text;
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{}…", cut.trim_end())
}

pub(super) fn plan_of(l: &Lifecycle) -> Result<&Plan, StepError> {
    l.plan
        .as_ref()
        .ok_or_else(|| StepError::Setup(format!("lifecycle {} has no plan", l.id)))
}

pub(super) fn ticket_of(l: &Lifecycle) -> Result<i64, StepError> {
    l.ticket_id
        .ok_or_else(|| StepError::Setup(format!("lifecycle {} has no ticket yet", l.id)))
}

/// A step whose stored parameters lack what its kind needs (a damaged database).
pub(super) fn missing(step: &ClaimedStep, what: &str) -> StepError {
    StepError::Setup(format!(
        "step {} ({}) of lifecycle {} has no {what} in its parameters",
        step.seq, step.stage, step.lifecycle_id
    ))
}
