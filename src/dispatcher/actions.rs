//! The steps after creation: messages (replies, customer notes, private notes),
//! field updates, and time entries.

use super::Dispatcher;
use super::steps::{StepError, StepResult, missing, plan_of, snippet, ticket_of};
use crate::clock::{UnixMs, parse_iso};
use crate::content;
use crate::freshdesk::types::{NoteRequest, ReplyRequest, UpdateTicket};
use crate::store::{ClaimedStep, Lifecycle, Message};

impl Dispatcher {
    /// Sends the step's message as its author, once.
    pub(super) async fn send(&self, l: &Lifecycle, step: &ClaimedStep) -> StepResult {
        let store = &self.inner.store;
        let ticket_id = ticket_of(l)?;
        let m = store.step_message(l.id, step.seq).await?;
        let done = format!("{}: \"{}\"", who(l, &m)?, snippet(&m.body, 70));
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
        let conversation = if m.author_kind == "customer" || m.private {
            // A customer's message is a public note posted as the requester; an
            // agent's private note is a note with `private: true`.
            let customer = m.author_kind == "customer";
            let note = NoteRequest {
                body: m.body.clone(),
                private: Some(!customer),
                incoming: customer.then_some(true),
                user_id: Some(m.author_id),
            };
            client.add_note(ticket_id, &note).await?
        } else {
            let reply = ReplyRequest {
                body: m.body.clone(),
                user_id: Some(m.author_id),
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
    pub(super) async fn set_status(&self, l: &Lifecycle, to: i64) -> StepResult {
        let update = UpdateTicket {
            status: Some(to),
            ..Default::default()
        };
        self.inner
            .client
            .update_ticket(ticket_of(l)?, &update)
            .await?;
        Ok(format!("status {}", status_name(to)))
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
        self.inner
            .client
            .update_ticket(ticket_of(l)?, &update)
            .await?;
        Ok(p.summary())
    }

    /// `POST /tickets/{id}/time_entries`, once.
    pub(super) async fn log_time(&self, _l: &Lifecycle, step: &ClaimedStep) -> StepResult {
        Err(missing(step, "time entry support (client pending)"))
    }
}

/// "Omar Haddad → Nadia Fenwick", or "Omar Haddad (private note)", for logs and
/// the demo. An agent other than the assignee (after an escalation) is named by id.
fn who(l: &Lifecycle, m: &Message) -> Result<String, StepError> {
    let plan = plan_of(l)?;
    let agent = if m.author_id == plan.agent_id {
        plan.agent_name.clone()
    } else {
        format!("agent {}", m.author_id)
    };
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
