//! What each kind of step does against Freshdesk. Every POST is preceded by a
//! recorded intent; a step that runs again after an uncertain outcome looks in
//! Freshdesk before re-sending, so no ticket, message or time entry is ever
//! duplicated. PUTs set values (never toggle them), so repeating one is harmless.

use super::Dispatcher;
use super::plan;
use crate::clock::{UnixMs, parse_iso};
use crate::content;
use crate::domain::Stage;
use crate::freshdesk::Error as FdError;
use crate::freshdesk::types::{CreateTicket, UpdateTicket, status};
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

/// How far Freshdesk's clock (which stamps `created_at`, in whole seconds)
/// may run behind ours when matching a ticket to its create intent. A
/// ticket created earlier than the intent by more than this is not ours.
const CLOCK_SKEW_MS: i64 = 60_000;

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

    async fn create(&self, mut l: Lifecycle, again: bool) -> StepResult {
        let store = &self.inner.store;
        if l.plan.is_none() {
            match self.make_plan(&l).await? {
                Some(plan) => l.plan = Some(plan),
                None => l = store.lifecycle(l.id).await?,
            }
        }
        let plan = plan_of(&l)?;
        let ticket_id = match l.ticket_id {
            Some(id) => id,
            None => self.create_ticket(&l, plan).await?,
        };
        if plan.playbook == content::TRAINEE {
            return self.assign_trainees(ticket_id, plan, again).await;
        }
        let assign = UpdateTicket {
            responder_id: Some(plan.agent_id),
            ..Default::default()
        };
        self.ensure_update(ticket_id, &assign, again, "assignment")
            .await?;
        Ok(format!(
            "{} opened \"{}\", assigned to {}",
            plan.contact_name, plan.subject, plan.agent_name
        ))
    }

    /// A trainee ticket goes to nobody, or to `TICKETSIM_TRAINEE_GROUP` (an id,
    /// or a group's name looked up among the helpdesk's groups).
    async fn assign_trainees(&self, ticket_id: i64, plan: &Plan, again: bool) -> StepResult {
        let opened = format!("{} opened \"{}\"", plan.contact_name, plan.subject);
        let Some(group) = self.inner.cfg.trainee_group.clone() else {
            return Ok(format!("{opened}, for the trainees (unassigned)"));
        };
        let id = match group.parse::<i64>() {
            Ok(id) => id,
            Err(_) => {
                let people = self.people().await?;
                let found = people
                    .groups
                    .iter()
                    .find(|g| g.name.eq_ignore_ascii_case(&group));
                found.map(|g| g.id).ok_or_else(|| {
                    StepError::Setup(format!("TICKETSIM_TRAINEE_GROUP: the helpdesk has no group named \"{group}\"; use a group's name or id from Admin → Groups"))
                })?
            }
        };
        let assign = UpdateTicket {
            group_id: Some(id),
            ..Default::default()
        };
        self.ensure_update(ticket_id, &assign, again, "group")
            .await?;
        Ok(format!("{opened}, for the trainees of group {group}"))
    }

    /// Sends `POST /tickets` once, or adopts the ticket an interrupted attempt made.
    async fn create_ticket(&self, l: &Lifecycle, plan: &Plan) -> Result<i64, StepError> {
        let store = &self.inner.store;
        self.wait_for_late_write(l.create_intent_at)?;
        if let Some(intent_at) = l.create_intent_at
            && let Some((id, at)) =
                self.reconcile("ticket", self.find_created_ticket(plan, intent_at).await?)
        {
            tracing::info!(
                lifecycle = l.id,
                ticket = id,
                "found the ticket an interrupted attempt created; not re-sending"
            );
            self.mark(Mark::Ticket {
                lifecycle_id: l.id,
                ticket_id: id,
                at,
            })
            .await?;
            return Ok(id);
        }
        let description = store.step_message(l.id, 0).await?.body;
        let body = CreateTicket {
            subject: plan.subject.clone(),
            description,
            status: status::OPEN,
            priority: plan.priority,
            requester_id: Some(plan.contact_id),
            source: Some(2),
            ticket_type: Some(plan.ticket_type.clone()).filter(|t| !t.is_empty()),
            tags: plan.tags.clone(),
            ..Default::default()
        };
        self.mark(Mark::CreateIntent {
            lifecycle_id: l.id,
            now: self.now(),
        })
        .await?;
        let ticket = self.inner.client.create_ticket(&body).await?;
        // Recorded with the step's outcome: until then, the create intent makes a
        // new attempt look for this ticket before creating another.
        self.mark_with_outcome(Mark::Ticket {
            lifecycle_id: l.id,
            ticket_id: ticket.id,
            at: self.now(),
        })
        .await?;
        Ok(ticket.id)
    }

    /// Looks for a ticket of this requester with our subject and tag that no
    /// lifecycle owns, created after the create intent (less [`CLOCK_SKEW_MS`]):
    /// an older one was made by someone else. Reads one page, newest first.
    async fn find_created_ticket(
        &self,
        plan: &Plan,
        intent_at: UnixMs,
    ) -> Result<Option<(i64, UnixMs)>, StepError> {
        let tickets = self
            .inner
            .client
            .recent_requester_tickets(plan.contact_id)
            .await?;
        let tag = &self.inner.cfg.content.tag;
        let since = intent_at - CLOCK_SKEW_MS;
        for t in tickets {
            // Newest first: once one is too old, so are the rest.
            let Some(at) = t.created_at.as_deref().and_then(parse_iso) else {
                continue;
            };
            if at < since {
                break;
            }
            let tagged = t.tags.as_ref().is_none_or(|tags| tags.contains(tag));
            if t.subject == plan.subject
                && tagged
                && !self.inner.store.ticket_is_known(t.id).await?
            {
                return Ok(Some((t.id, at)));
            }
        }
        Ok(None)
    }

    /// Picks the people and writes the whole lifecycle (steps and every message)
    /// before any request.
    /// Plans the lifecycle and saves the plan; the plan, or `None` if the
    /// lifecycle had one already (then it is read back).
    async fn make_plan(&self, l: &Lifecycle) -> Result<Option<Plan>, StepError> {
        let people = self.people().await?;
        let asked = self.inner.store.requested_playbook(l.id).await?;
        let content = plan::content_for(&self.inner.cfg.content, asked.as_deref())
            .map_err(|e| StepError::Setup(e.0))?;
        let planned =
            plan::plan_lifecycle(l.seed, &people, &content).map_err(|e| StepError::Setup(e.0))?;
        // Through the writer: batched with other outcomes, one commit for many.
        let saved = self
            .inner
            .writer
            .write(StepWrite::Plan {
                lifecycle_id: l.id,
                plan: Box::new(planned.plan.clone()),
                steps: planned.steps,
                now: self.now(),
            })
            .await?;
        Ok(saved.then_some(planned.plan))
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
