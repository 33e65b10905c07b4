//! Tickets and their conversations inside the [`World`]: creation, updates,
//! soft delete and restore, with `updated_at`, stats and status history kept
//! the way Freshdesk keeps them. Inputs here are already validated.

use serde_json::Value;

use super::records::TicketRec;
use super::shape::html_to_text;
use super::state::World;
use crate::clock::{UnixMs, format_iso};
use crate::freshdesk::types::{Conversation, Ticket, TicketStats, conversation_source};

const HOUR_MS: i64 = 3_600_000;

/// A validated ticket to create.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewTicket {
    pub subject: String,
    pub description: String,
    pub status: i64,
    pub priority: i64,
    pub source: i64,
    pub ticket_type: Option<String>,
    pub requester_id: i64,
    pub responder_id: Option<i64>,
    pub group_id: Option<i64>,
    pub email_config_id: Option<i64>,
    pub tags: Vec<String>,
    pub cc_emails: Vec<String>,
    /// `(due_by, fr_due_by)` when both were sent.
    pub due: Option<(UnixMs, UnixMs)>,
    /// Every custom field of the account, `null` when unset.
    pub custom_fields: Value,
}

/// A validated update: `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub(crate) struct TicketPatch {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<i64>,
    pub priority: Option<i64>,
    pub source: Option<i64>,
    pub ticket_type: Option<Option<String>>,
    pub requester_id: Option<i64>,
    pub responder_id: Option<Option<i64>>,
    pub group_id: Option<Option<i64>>,
    pub email_config_id: Option<Option<i64>>,
    pub tags: Option<Vec<String>>,
    pub due: Option<(UnixMs, UnixMs)>,
    /// The whole merged `custom_fields` object.
    pub custom_fields: Option<Value>,
}

/// What kind of conversation to add.
#[derive(Debug, Clone)]
pub(crate) enum ConversationKind {
    Reply {
        cc_emails: Vec<String>,
        bcc_emails: Vec<String>,
    },
    Note {
        private: bool,
        incoming: bool,
        /// The author is a contact (category 1), not an agent.
        by_customer: bool,
        notify_emails: Vec<String>,
    },
}

/// Why a soft delete did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeleteError {
    NotFound,
    /// Already deleted, or spam: 405.
    Locked,
}

impl World {
    pub(crate) fn ticket(&self, id: i64) -> Option<&TicketRec> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.tickets.get(index)
    }

    pub(crate) fn ticket_mut(&mut self, id: i64) -> Option<&mut TicketRec> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.tickets.get_mut(index)
    }

    /// Stores a new ticket with the next display id.
    pub(crate) fn create_ticket(&mut self, new: NewTicket, now: UnixMs) -> &TicketRec {
        let id = i64::try_from(self.tickets.len()).unwrap_or(i64::MAX - 1) + 1;
        let (status, responder) = (new.status, new.responder_id);
        let mut rec = TicketRec {
            wire: new_wire(id, new, now),
            created_ms: now,
            updated_ms: now,
            stats: TicketStats::default(),
            status_history: Vec::new(),
            responder_history: vec![(now, responder)],
            conversations: Vec::new(),
        };
        rec.set_status(status, now);
        self.tickets.push(rec);
        &self.tickets[self.tickets.len() - 1]
    }

    /// Applies a patch; `updated_at` moves only when something changed.
    pub(crate) fn update_ticket(
        &mut self,
        id: i64,
        p: TicketPatch,
        now: UnixMs,
    ) -> Option<&TicketRec> {
        let t = self.ticket_mut(id)?;
        let before = t.wire.clone();
        if let Some(s) = p.status.filter(|s| *s != t.wire.status) {
            t.set_status(s, now);
        }
        if let Some(r) = p.responder_id.filter(|r| *r != t.wire.responder_id) {
            t.set_responder(r, now);
        }
        let w = &mut t.wire;
        if let Some(d) = p.description {
            w.description_text = Some(html_to_text(&d));
            w.description = Some(d);
        }
        set(&mut w.subject, p.subject);
        set(&mut w.priority, p.priority);
        set(&mut w.source, p.source.map(Some));
        set(&mut w.ticket_type, p.ticket_type);
        set(&mut w.requester_id, p.requester_id.map(Some));
        set(&mut w.group_id, p.group_id);
        set(&mut w.email_config_id, p.email_config_id);
        set(&mut w.tags, p.tags.map(Some));
        set(&mut w.custom_fields, p.custom_fields.map(Some));
        if let Some((due_by, fr_due_by)) = p.due {
            w.due_by = Some(format_iso(due_by));
            w.fr_due_by = Some(format_iso(fr_due_by));
        }
        if t.wire != before {
            t.touch(now);
        }
        Some(&*t)
    }

    /// Soft delete: the ticket stays viewable with `deleted: true`.
    pub(crate) fn soft_delete(&mut self, id: i64, now: UnixMs) -> Result<(), DeleteError> {
        let t = self.ticket_mut(id).ok_or(DeleteError::NotFound)?;
        if t.is_locked() {
            return Err(DeleteError::Locked);
        }
        t.wire.deleted = Some(true);
        t.touch(now);
        Ok(())
    }

    /// Undoes a soft delete; false when the ticket is unknown or not deleted.
    pub(crate) fn restore(&mut self, id: i64, now: UnixMs) -> bool {
        match self.ticket_mut(id) {
            Some(t) if t.is_deleted() => {
                t.wire.deleted = None;
                t.touch(now);
                true
            }
            _ => false,
        }
    }

    /// Adds a reply or note by `user_id`; `None` when the ticket is unknown.
    pub(crate) fn add_conversation(
        &mut self,
        ticket_id: i64,
        body: String,
        user_id: i64,
        kind: ConversationKind,
        now: UnixMs,
    ) -> Option<Conversation> {
        let id = self.next_id();
        let requester_email = self
            .ticket(ticket_id)?
            .wire
            .requester_id
            .and_then(|r| self.user(r))
            .and_then(|u| u.email);
        let mut c = self.conversation_base(id, ticket_id, body, user_id, now);
        apply_kind(&mut c, &kind, self, requester_email);
        let t = self.ticket_mut(ticket_id)?;
        record_response(&mut t.stats, &kind, now);
        t.conversations.push(c.clone());
        t.touch(now);
        Some(c)
    }

    fn conversation_base(
        &self,
        id: i64,
        ticket_id: i64,
        body: String,
        user_id: i64,
        now: UnixMs,
    ) -> Conversation {
        let at = format_iso(now);
        Conversation {
            id,
            body_text: Some(html_to_text(&body)),
            body: Some(body),
            incoming: Some(false),
            private: Some(false),
            user_id: Some(user_id),
            support_email: None,
            source: None,
            category: None,
            to_emails: Some(Vec::new()),
            from_email: None,
            cc_emails: Some(Vec::new()),
            bcc_emails: None,
            ticket_id: Some(ticket_id),
            attachments: Some(Vec::new()),
            created_at: Some(at.clone()),
            updated_at: Some(at),
        }
    }
}

/// A new ticket's record as Freshdesk fills it: SLA dates of +1 and +3 days
/// unless given, empty cc lists, no custom fields.
fn new_wire(id: i64, new: NewTicket, now: UnixMs) -> Ticket {
    let at = format_iso(now);
    let (due_by, fr_due_by) = new.due.unwrap_or((now + 72 * HOUR_MS, now + 24 * HOUR_MS));
    Ticket {
        id,
        subject: new.subject,
        status: new.status,
        priority: new.priority,
        source: Some(new.source),
        requester_id: Some(new.requester_id),
        responder_id: new.responder_id,
        group_id: new.group_id,
        company_id: None,
        email_config_id: new.email_config_id,
        product_id: None,
        ticket_type: new.ticket_type,
        cc_emails: Some(new.cc_emails.clone()),
        fwd_emails: Some(Vec::new()),
        reply_cc_emails: Some(new.cc_emails.clone()),
        ticket_cc_emails: Some(new.cc_emails),
        to_emails: None,
        fr_escalated: false,
        is_escalated: false,
        spam: false,
        deleted: None,
        association_type: None,
        due_by: Some(format_iso(due_by)),
        fr_due_by: Some(format_iso(fr_due_by)),
        description_text: Some(html_to_text(&new.description)),
        description: Some(new.description),
        custom_fields: Some(new.custom_fields),
        tags: Some(new.tags),
        attachments: Some(Vec::new()),
        created_at: Some(at.clone()),
        updated_at: Some(at),
        requester: None,
        stats: None,
        conversations: None,
    }
}

/// Fills the fields that differ between replies and notes (§2.6).
fn apply_kind(c: &mut Conversation, kind: &ConversationKind, w: &World, to: Option<String>) {
    use crate::freshdesk::types::conversation_category as cat;
    match kind {
        ConversationKind::Reply {
            cc_emails,
            bcc_emails,
        } => {
            c.source = Some(conversation_source::EMAIL);
            c.category = Some(cat::AGENT_PUBLIC_RESPONSE);
            c.support_email = Some(w.support_email.clone());
            c.from_email = Some(w.from_email.clone());
            c.to_emails = Some(to.into_iter().collect());
            c.cc_emails = Some(cc_emails.clone());
            c.bcc_emails = Some(bcc_emails.clone());
        }
        ConversationKind::Note {
            private,
            incoming,
            by_customer,
            notify_emails,
        } => {
            c.source = Some(conversation_source::NOTE);
            c.private = Some(*private);
            c.incoming = Some(*incoming);
            c.to_emails = Some(notify_emails.clone());
            c.category = Some(match (by_customer, private) {
                (true, _) => cat::CUSTOMER_RESPONSE,
                (false, true) => cat::AGENT_PRIVATE_RESPONSE,
                (false, false) => cat::AGENT_PUBLIC_RESPONSE,
            });
        }
    }
}

/// Replies count as the agent responding; public customer notes as the
/// requester responding (Freshdesk does the latter in a background job).
fn record_response(stats: &mut TicketStats, kind: &ConversationKind, now: UnixMs) {
    let at = Some(format_iso(now));
    match kind {
        ConversationKind::Reply { .. } => {
            if stats.first_responded_at.is_none() {
                stats.first_responded_at = at.clone();
            }
            stats.agent_responded_at = at;
        }
        ConversationKind::Note {
            by_customer: true,
            private: false,
            ..
        } => {
            stats.requester_responded_at = at;
        }
        ConversationKind::Note { .. } => {}
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}
