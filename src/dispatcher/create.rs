//! The creation step: the plan (people and every message, with the create
//! intent, in one commit), `POST /tickets` once (or the ticket an interrupted
//! attempt made), and the assignment.

use super::Dispatcher;
use super::plan;
use super::steps::{StepError, StepResult, plan_of};
use crate::clock::{UnixMs, parse_iso};
use crate::content;
use crate::freshdesk::types::{CreateTicket, UpdateTicket, status};
use crate::store::{Lifecycle, Mark, Plan, StepWrite};

/// How far Freshdesk's clock (which stamps `created_at`, in whole seconds)
/// may run behind ours when matching a ticket to its create intent. A
/// ticket created earlier than the intent by more than this is not ours.
const CLOCK_SKEW_MS: i64 = 60_000;

impl Dispatcher {
    /// Plans the lifecycle (once), creates its ticket (once) and assigns it.
    pub(super) async fn create(&self, mut l: Lifecycle, again: bool) -> StepResult {
        let store = &self.inner.store;
        // A plan made now is committed with the create intent: the ticket's
        // description is in hand and no earlier attempt can have sent it.
        let mut fresh = None;
        if l.plan.is_none() {
            match self.make_plan(&l).await? {
                Some((plan, description)) => {
                    l.plan = Some(plan);
                    fresh = Some(description);
                }
                None => l = store.lifecycle(l.id).await?,
            }
        }
        let plan = plan_of(&l)?;
        let ticket_id = match (l.ticket_id, fresh) {
            (Some(id), _) => id,
            (None, Some(description)) => self.post_ticket(&l, plan, description).await?,
            (None, None) => self.create_ticket(&l, plan).await?,
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
        self.mark(Mark::CreateIntent {
            lifecycle_id: l.id,
            now: self.now(),
        })
        .await?;
        self.post_ticket(l, plan, description).await
    }

    /// `POST /tickets`, its create intent committed.
    async fn post_ticket(
        &self,
        l: &Lifecycle,
        plan: &Plan,
        description: String,
    ) -> Result<i64, StepError> {
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

    /// Picks the people and writes the whole lifecycle (steps and every
    /// message) before any request, with the create intent, in one commit.
    /// Returns the plan and the ticket's description, or `None` if the
    /// lifecycle had a plan already (then it is read back, intent and all).
    async fn make_plan(&self, l: &Lifecycle) -> Result<Option<(Plan, String)>, StepError> {
        let people = self.people().await?;
        let asked = self.inner.store.requested_playbook(l.id).await?;
        let content = plan::content_for(&self.inner.cfg.content, asked.as_deref())
            .map_err(|e| StepError::Setup(e.0))?;
        let planned =
            plan::plan_lifecycle(l.seed, &people, &content).map_err(|e| StepError::Setup(e.0))?;
        let description = planned
            .steps
            .first()
            .and_then(|s| s.message.as_ref())
            .map(|m| m.body.clone())
            .ok_or_else(|| StepError::Setup("the plan has no ticket description".into()))?;
        // Through the writer: batched with other outcomes, one commit for many.
        let saved = self
            .inner
            .writer
            .write(StepWrite::Plan {
                lifecycle_id: l.id,
                plan: Box::new(planned.plan.clone()),
                steps: planned.steps,
                now: self.now(),
                create_intent: true,
            })
            .await?;
        Ok(saved.then_some((planned.plan, description)))
    }
}
