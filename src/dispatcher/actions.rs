//! The steps after creation: messages (replies, customer notes, private notes),
//! field updates, and time entries.

use super::Dispatcher;
use super::steps::{StepError, StepResult, missing, plan_of, snippet, ticket_of};
use crate::clock::{UnixMs, parse_iso};
use crate::content;
use crate::freshdesk::types::{NewTimeEntry, Note, Reply, Ticket, TimeSpent, UpdateTicket};
use crate::store::{ClaimedStep, Lifecycle, Mark, Message};

impl Dispatcher {
    /// Sends the step's message as its author, once.
    pub(super) async fn send(&self, l: &Lifecycle, step: &ClaimedStep) -> StepResult {
        let store = &self.inner.store;
        let ticket_id = ticket_of(l)?;
        let m = match &step.message {
            Some(m) => Message::clone(m),
            None => store.step_message(l.id, step.seq).await?,
        };
        let agent = self.agent_name(l, Some(m.author_id)).await?;
        let done = format!("{}: \"{}\"", who(l, &m, &agent)?, snippet(&m.body, 70));
        if m.sent_at.is_some() {
            return Ok(done);
        }
        // An intent this very claim recorded is no earlier attempt's.
        if step.message.is_none() && self.adopt_or_intend(l, ticket_id, &m).await? {
            return Ok(done);
        }
        let conversation = self.post_message(ticket_id, &m).await?;
        self.mark_with_outcome(Mark::MessageSent {
            message_id: m.id,
            conversation_id: conversation,
            at: self.now(),
        })
        .await?;
        Ok(done)
    }

    /// Before `m` is sent: adopts what an earlier attempt that recorded an
    /// intent sent (true: nothing to send), else records this attempt's intent.
    async fn adopt_or_intend(
        &self,
        l: &Lifecycle,
        ticket_id: i64,
        m: &Message,
    ) -> Result<bool, StepError> {
        self.wait_for_late_write(m.intent_at)?;
        if m.intent_at.is_some()
            && let Some((id, at)) = self.reconcile(
                "message",
                self.find_sent(ticket_id, m.author_id, &m.body).await?,
            )
        {
            tracing::info!(
                lifecycle = l.id,
                conversation = id,
                "found the message an interrupted attempt sent; not re-sending"
            );
            self.mark(Mark::MessageSent {
                message_id: m.id,
                conversation_id: id,
                at,
            })
            .await?;
            return Ok(true);
        }
        self.mark(Mark::MessageIntent {
            message_id: m.id,
            now: self.now(),
        })
        .await?;
        Ok(false)
    }

    /// The POST itself: a customer's message is a public note posted as the
    /// requester, an agent's private note a note with `private: true`, any other
    /// agent message a reply. Returns the conversation's id.
    async fn post_message(&self, ticket_id: i64, m: &Message) -> Result<i64, StepError> {
        let client = &self.inner.client;
        let customer = m.author_kind == "customer";
        let conversation = if customer || m.private {
            let note = Note {
                body: m.body.clone(),
                private: Some(!customer),
                incoming: customer.then_some(true),
                user_id: Some(m.author_id),
                ..Default::default()
            };
            client.add_note(ticket_id, &note).await?
        } else {
            let reply = Reply {
                body: m.body.clone(),
                user_id: Some(m.author_id),
                from_email: None,
                ..Default::default()
            };
            client.add_reply(ticket_id, &reply).await?
        };
        Ok(conversation.id)
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

    /// Set-style status change (never a toggle), safe to repeat. On a step
    /// tried again, the ticket is read first (see [`Dispatcher::ensure_update`]).
    pub(super) async fn set_status(&self, l: &Lifecycle, to: i64, again: bool) -> StepResult {
        let update = UpdateTicket {
            status: Some(to),
            ..Default::default()
        };
        let what = format!("status {}", status_name(to));
        self.ensure_update(ticket_of(l)?, &update, again, &what)
            .await?;
        Ok(what)
    }

    /// Priority, group and agent, or tags: the values the plan fixed, set again
    /// as a whole if the step is repeated.
    pub(super) async fn update_fields(&self, l: &Lifecycle, step: &ClaimedStep) -> StepResult {
        let p = &step.params;
        let update = UpdateTicket {
            priority: p.priority,
            group_id: p.group_id,
            responder_id: p.responder_id,
            tags: p.tags.clone(),
            ..Default::default()
        };
        if update == UpdateTicket::default() {
            return Err(missing(step, "field to update"));
        }
        let what = p.summary();
        self.ensure_update(ticket_of(l)?, &update, step.attempts > 1, &what)
            .await?;
        match p.responder_id {
            Some(id) => Ok(format!("{what} ({})", self.agent_name(l, Some(id)).await?)),
            None => Ok(what),
        }
    }

    /// Makes the ticket show `update`. On a step tried again, an earlier PUT
    /// may have landed after the client gave up (the step was retried only
    /// after the reconciliation delay, so such a late write has landed by
    /// now): the ticket is read first, and when it already shows the update
    /// nothing is sent. A PUT whose answer does not show it is not applied.
    pub(super) async fn ensure_update(
        &self,
        ticket: i64,
        update: &UpdateTicket,
        again: bool,
        what: &str,
    ) -> Result<(), StepError> {
        let client = &self.inner.client;
        if again && shows(&client.get_ticket(ticket).await?, update) {
            tracing::info!(
                ticket,
                what,
                "the ticket already shows the update; not sending it again"
            );
            return Ok(());
        }
        let after = client.update_ticket(ticket, update).await?;
        if !shows(&after, update) {
            let what = what.to_string();
            return Err(StepError::NotApplied { ticket, what });
        }
        Ok(())
    }

    /// An agent's name for one-line summaries: the assignee's from the plan, any
    /// other's from the people last loaded, else "agent <id>".
    async fn agent_name(&self, l: &Lifecycle, agent_id: Option<i64>) -> Result<String, StepError> {
        let plan = plan_of(l)?;
        let Some(id) = agent_id.filter(|id| *id != plan.agent_id) else {
            return Ok(plan.agent_name.clone());
        };
        let known = self.cached_people().and_then(|p| {
            let agent = p.agents.iter().find(|a| a.id == id)?;
            Some(agent.contact.name.clone())
        });
        Ok(known.unwrap_or_else(|| format!("agent {id}")))
    }

    /// `POST /tickets/{id}/time_entries`, once: the intent is recorded on the step
    /// first, and after an uncertain outcome the ticket's time entries are read
    /// before anything is sent again.
    pub(super) async fn log_time(&self, l: &Lifecycle, step: &ClaimedStep) -> StepResult {
        let store = &self.inner.store;
        let ticket_id = ticket_of(l)?;
        let p = &step.params;
        let minutes = p.minutes.ok_or_else(|| missing(step, "minutes"))?;
        let time_spent = TimeSpent::from_minutes(minutes.clamp(0, i64::from(u32::MAX)) as u32);
        let done = format!(
            "{} logged {} on \"{}\"",
            self.agent_name(l, p.agent_id).await?,
            time_spent.as_str(),
            p.note.as_deref().unwrap_or_default()
        );
        let (intent, logged) = store.step_intent(step.step_id).await?;
        if logged.is_some() {
            return Ok(done);
        }
        self.wait_for_late_write(intent)?;
        if intent.is_some()
            && let Some(id) = self.reconcile(
                "time_entry",
                self.find_time_entry(ticket_id, step, &time_spent).await?,
            )
        {
            tracing::info!(
                lifecycle = l.id,
                time_entry = id,
                "found the time entry an interrupted attempt logged; not re-sending"
            );
            self.mark(Mark::StepObject {
                step_id: step.step_id,
                object_id: id,
            })
            .await?;
            return Ok(done);
        }
        let entry = NewTimeEntry {
            time_spent: Some(time_spent.clone()),
            billable: p.billable,
            note: p.note.clone(),
            agent_id: p.agent_id,
            ..Default::default()
        };
        self.mark(Mark::StepIntent {
            step_id: step.step_id,
            now: self.now(),
        })
        .await?;
        let created = self.inner.client.add_time_entry(ticket_id, &entry).await?;
        self.mark_with_outcome(Mark::StepObject {
            step_id: step.step_id,
            object_id: created.id,
        })
        .await?;
        Ok(done)
    }

    /// A time entry of this agent, with this note and time, that no step owns yet.
    async fn find_time_entry(
        &self,
        ticket_id: i64,
        step: &ClaimedStep,
        time_spent: &TimeSpent,
    ) -> Result<Option<i64>, StepError> {
        let p = &step.params;
        for e in self.inner.client.list_time_entries(ticket_id).await? {
            let same = e.agent_id == p.agent_id
                && e.note.as_deref().unwrap_or_default() == p.note.as_deref().unwrap_or_default()
                && e.time_spent.as_deref() == Some(time_spent.as_str());
            if same && !self.inner.store.step_object_is_known(e.id).await? {
                return Ok(Some(e.id));
            }
        }
        Ok(None)
    }
}

/// "Omar Haddad → Nadia Fenwick", or "Omar Haddad (private note)", for logs and
/// the demo; `agent` is the name of the message's agent.
fn who(l: &Lifecycle, m: &Message, agent: &str) -> Result<String, StepError> {
    let plan = plan_of(l)?;
    Ok(match (m.author_kind.as_str(), m.private) {
        ("customer", _) => format!("{} → {}", plan.contact_name, plan.agent_name),
        (_, true) => format!("{agent} (private note)"),
        _ => format!("{agent} → {}", plan.contact_name),
    })
}

/// Freshdesk's default statuses by name (api §6.3).
fn status_name(status: i64) -> String {
    match status {
        2 => "Open".into(),
        3 => "Pending".into(),
        4 => "Resolved".into(),
        5 => "Closed".into(),
        other => other.to_string(),
    }
}

/// Whether the ticket shows every field the update sets that a step sets
/// (status, priority, group, agent, tags as a set).
fn shows(t: &Ticket, u: &UpdateTicket) -> bool {
    let same_tags = |want: &Vec<String>| {
        let mut have = t.tags.clone().unwrap_or_default();
        let mut want = want.clone();
        have.sort();
        want.sort();
        have == want
    };
    u.status.is_none_or(|v| t.status == v)
        && u.priority.is_none_or(|v| t.priority == v)
        && u.group_id.is_none_or(|v| t.group_id == Some(v))
        && u.responder_id.is_none_or(|v| t.responder_id == Some(v))
        && u.tags.as_ref().is_none_or(same_tags)
}
