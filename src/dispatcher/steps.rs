//! What each stage does against Freshdesk. Every POST is preceded by a recorded
//! intent; a step that runs again after an uncertain outcome looks in Freshdesk
//! before re-sending, so no ticket or message is ever duplicated.

use std::sync::Arc;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::Dispatcher;
use crate::clock::{UnixMs, parse_iso};
use crate::content::{self, Person};
use crate::domain::Stage;
use crate::freshdesk::Error as FdError;
use crate::freshdesk::types::{
    Agent, Contact, CreateTicket, NoteRequest, ReplyRequest, UpdateTicket, status,
};
use crate::store::{ClaimedStep, Lifecycle, Plan, PlannedMessage, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Freshdesk(#[from] FdError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Setup(String),
}

impl StepError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        match self {
            StepError::Freshdesk(e) => e.is_transient(),
            StepError::Store(StoreError::Busy { .. }) => true,
            _ => false,
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

/// The helpdesk's people, fetched once and reused for a while.
#[derive(Debug, Default)]
pub struct People {
    pub contacts: Vec<Contact>,
    pub agents: Vec<Agent>,
}

impl People {
    /// Sorted by id so that a seed picks the same people whatever the list order.
    pub fn new(mut contacts: Vec<Contact>, agents: Vec<Agent>) -> People {
        contacts.retain(|c| c.deleted != Some(true));
        contacts.sort_by_key(|c| c.id);
        let mut active: Vec<Agent> = agents
            .iter()
            .filter(|a| a.contact.active)
            .cloned()
            .collect();
        if active.is_empty() {
            active = agents;
        }
        active.sort_by_key(|a| a.id);
        People {
            contacts,
            agents: active,
        }
    }
}

type StepResult = Result<String, StepError>;

impl Dispatcher {
    pub(super) async fn perform(&self, step: &ClaimedStep) -> StepResult {
        let l = self.inner.store.lifecycle(step.lifecycle_id).await?;
        match step.stage {
            Stage::Create => self.create(l).await,
            Stage::AgentReply | Stage::CustomerReply => self.send(&l, step.stage).await,
            Stage::Resolve => {
                let sent = self.send(&l, Stage::Resolve).await?;
                self.set_status(&l, status::RESOLVED).await?;
                Ok(format!("{sent} + status Resolved"))
            }
            Stage::Close => {
                self.set_status(&l, status::CLOSED).await?;
                Ok("status Closed".to_string())
            }
        }
    }

    async fn create(&self, mut l: Lifecycle) -> StepResult {
        let store = &self.inner.store;
        if l.plan.is_none() {
            self.make_plan(&l).await?;
            l = store.lifecycle(l.id).await?;
        }
        let plan = plan_of(&l)?;
        let ticket_id = match l.ticket_id {
            Some(id) => id,
            None => self.create_ticket(&l, plan).await?,
        };
        let assign = UpdateTicket {
            responder_id: Some(plan.agent_id),
            ..Default::default()
        };
        self.inner.client.update_ticket(ticket_id, &assign).await?;
        Ok(format!(
            "{} opened \"{}\", assigned to {}",
            plan.contact_name, plan.subject, plan.agent_name
        ))
    }

    /// Sends `POST /tickets` once, or adopts the ticket an interrupted attempt made.
    async fn create_ticket(&self, l: &Lifecycle, plan: &Plan) -> Result<i64, StepError> {
        let store = &self.inner.store;
        if l.create_intent_at.is_some()
            && let Some((id, at)) = self.find_created_ticket(plan).await?
        {
            tracing::info!(
                lifecycle = l.id,
                ticket = id,
                "found the ticket an interrupted attempt created; not re-sending"
            );
            store.record_ticket(l.id, id, at).await?;
            return Ok(id);
        }
        let description = store.message(l.id, Stage::Create).await?.body;
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
        store.mark_create_intent(l.id, self.now()).await?;
        let ticket = self.inner.client.create_ticket(&body).await?;
        store.record_ticket(l.id, ticket.id, self.now()).await?;
        Ok(ticket.id)
    }

    /// Looks for a ticket of this requester with our subject that no lifecycle owns.
    async fn find_created_ticket(&self, plan: &Plan) -> Result<Option<(i64, UnixMs)>, StepError> {
        let tickets = self
            .inner
            .client
            .list_requester_tickets(plan.contact_id)
            .await?;
        for t in tickets {
            let tagged = t
                .tags
                .as_ref()
                .is_none_or(|tags| tags.contains(&self.inner.cfg.tag));
            if t.subject == plan.subject
                && tagged
                && !self.inner.store.ticket_is_known(t.id).await?
            {
                let at = t
                    .created_at
                    .as_deref()
                    .and_then(parse_iso)
                    .unwrap_or_else(|| self.now());
                return Ok(Some((t.id, at)));
            }
        }
        Ok(None)
    }

    /// Picks the people and writes the whole conversation before any request.
    async fn make_plan(&self, l: &Lifecycle) -> Result<(), StepError> {
        let people = self.people().await?;
        let mut rng = StdRng::seed_from_u64(l.seed);
        let contact = people.contacts.choose(&mut rng).ok_or_else(|| {
            StepError::Setup("the helpdesk has no contacts to open tickets for: add some in Freshdesk (Contacts → New contact) first".into())
        })?;
        let agent = people.agents.choose(&mut rng).ok_or_else(|| {
            StepError::Setup("the helpdesk has no agents to assign tickets to: add an agent in Freshdesk (Admin → Agents) first".into())
        })?;
        let agent_name = agent.contact.name.clone();
        let thread = content::generate(
            &mut rng,
            &Person {
                name: &contact.name,
            },
            &Person { name: &agent_name },
        );
        let mut tags = vec![self.inner.cfg.tag.clone()];
        tags.extend(
            thread
                .tags
                .iter()
                .filter(|t| **t != self.inner.cfg.tag)
                .cloned(),
        );
        let plan = Plan {
            contact_id: contact.id,
            contact_name: contact.name.clone(),
            contact_email: contact.email.clone(),
            agent_id: agent.id,
            agent_name,
            category: thread.category.clone(),
            scenario: thread.scenario.clone(),
            subject: thread.subject.clone(),
            ticket_type: thread.ticket_type.clone(),
            priority: thread.priority,
            tags,
        };
        let messages = [
            (Stage::Create, thread.description),
            (Stage::AgentReply, thread.agent_reply),
            (Stage::CustomerReply, thread.customer_reply),
            (Stage::Resolve, thread.resolution),
        ]
        .map(|(stage, body)| PlannedMessage { stage, body });
        self.inner
            .store
            .save_plan(l.id, &plan, &messages, self.now())
            .await?;
        Ok(())
    }

    /// Sends the stage's message as its author, once.
    async fn send(&self, l: &Lifecycle, stage: Stage) -> StepResult {
        let store = &self.inner.store;
        let plan = plan_of(l)?;
        let ticket_id = ticket_of(l)?;
        let m = store.message(l.id, stage).await?;
        let who = if m.author_kind == "agent" {
            format!("{} → {}", plan.agent_name, plan.contact_name)
        } else {
            format!("{} → {}", plan.contact_name, plan.agent_name)
        };
        let done = format!("{who}: \"{}\"", snippet(&m.body, 70));
        if m.sent_at.is_some() {
            return Ok(done);
        }
        if m.intent_at.is_some()
            && let Some((id, at)) = self.find_sent(ticket_id, m.author_id, &m.body).await?
        {
            tracing::info!(
                lifecycle = l.id,
                conversation = id,
                "found the message an interrupted attempt sent; not re-sending"
            );
            store.mark_message_sent(m.id, id, at).await?;
            return Ok(done);
        }
        store.mark_message_intent(m.id, self.now()).await?;
        let client = &self.inner.client;
        let conversation = if stage == Stage::CustomerReply {
            let note = NoteRequest {
                body: m.body.clone(),
                private: Some(false),
                incoming: Some(true),
                user_id: Some(plan.contact_id),
            };
            client.add_note(ticket_id, &note).await?
        } else {
            let reply = ReplyRequest {
                body: m.body.clone(),
                user_id: Some(plan.agent_id),
                from_email: None,
            };
            client.reply(ticket_id, &reply).await?
        };
        store
            .mark_message_sent(m.id, conversation.id, self.now())
            .await?;
        Ok(done)
    }

    /// A conversation by this author with this text that no message owns yet.
    async fn find_sent(
        &self,
        ticket_id: i64,
        author: i64,
        body: &str,
    ) -> Result<Option<(i64, UnixMs)>, StepError> {
        let want = content::html_to_text(body);
        for c in self.inner.client.list_conversations(ticket_id).await? {
            let text = c
                .body
                .as_deref()
                .map(content::html_to_text)
                .or(c.body_text.clone());
            if c.user_id == Some(author)
                && text.as_deref() == Some(want.as_str())
                && !self.inner.store.conversation_is_known(c.id).await?
            {
                let at = c
                    .created_at
                    .as_deref()
                    .and_then(parse_iso)
                    .unwrap_or_else(|| self.now());
                return Ok(Some((c.id, at)));
            }
        }
        Ok(None)
    }

    /// Set-style status change (never a toggle), safe to repeat.
    async fn set_status(&self, l: &Lifecycle, to: i64) -> Result<(), StepError> {
        let update = UpdateTicket {
            status: Some(to),
            ..Default::default()
        };
        self.inner
            .client
            .update_ticket(ticket_of(l)?, &update)
            .await?;
        Ok(())
    }

    async fn people(&self) -> Result<Arc<People>, StepError> {
        let mut cached = self.inner.people.lock().await;
        let now = self.now();
        if let Some((at, people)) = cached.as_ref()
            && now - at < self.inner.cfg.people_ttl_ms
        {
            return Ok(people.clone());
        }
        let client = &self.inner.client;
        let people = Arc::new(People::new(
            client.list_contacts().await?,
            client.list_agents().await?,
        ));
        tracing::info!(
            contacts = people.contacts.len(),
            agents = people.agents.len(),
            "loaded the helpdesk's people"
        );
        *cached = Some((now, people.clone()));
        Ok(people)
    }

    fn now(&self) -> UnixMs {
        self.inner.clock.now_ms()
    }
}

/// The start of a message's text, for one-line summaries.
fn snippet(html: &str, max_chars: usize) -> String {
    let text = content::html_to_text(html);
    if text.chars().count() <= max_chars {
        return text;
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{}…", cut.trim_end())
}

fn plan_of(l: &Lifecycle) -> Result<&Plan, StepError> {
    l.plan
        .as_ref()
        .ok_or_else(|| StepError::Setup(format!("lifecycle {} has no plan", l.id)))
}

fn ticket_of(l: &Lifecycle) -> Result<i64, StepError> {
    l.ticket_id
        .ok_or_else(|| StepError::Setup(format!("lifecycle {} has no ticket yet", l.id)))
}
