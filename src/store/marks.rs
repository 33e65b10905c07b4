//! The records a step makes around its request: the intent before a POST
//! (a crash after it means "look before re-sending") and what Freshdesk
//! answered. Each is one [`Mark`], written alone or in a batch with other
//! steps' outcomes by the dispatcher's single writer, so that many steps share
//! one fsync. Either way it is durable before the call that writes it returns.

use super::{Result, StepWrite, Store};
use crate::clock::UnixMs;

/// One record of a step's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// `POST /tickets` is about to be sent for this lifecycle.
    CreateIntent { lifecycle_id: i64, now: UnixMs },
    /// The ticket was created (or found); the description counts as sent.
    Ticket {
        lifecycle_id: i64,
        ticket_id: i64,
        at: UnixMs,
    },
    /// The message is about to be sent.
    MessageIntent { message_id: i64, now: UnixMs },
    /// The message is in Freshdesk as this conversation.
    MessageSent {
        message_id: i64,
        conversation_id: i64,
        at: UnixMs,
    },
    /// A step's own POST (a time entry) is about to be sent.
    StepIntent { step_id: i64, now: UnixMs },
    /// The Freshdesk id of what the step's POST created.
    StepObject { step_id: i64, object_id: i64 },
}

impl Store {
    /// Writes one mark in its own transaction.
    pub async fn mark(&self, mark: Mark) -> Result<()> {
        self.apply_one(StepWrite::Mark(mark)).await.map(|_| ())
    }

    /// Records that `POST /tickets` is about to be sent for this lifecycle.
    pub async fn mark_create_intent(&self, lifecycle_id: i64, now: UnixMs) -> Result<()> {
        self.mark(Mark::CreateIntent { lifecycle_id, now }).await
    }

    /// Records the created ticket, and the description as the first message sent.
    pub async fn record_ticket(&self, lifecycle_id: i64, ticket_id: i64, at: UnixMs) -> Result<()> {
        self.mark(Mark::Ticket {
            lifecycle_id,
            ticket_id,
            at,
        })
        .await
    }

    /// Records that the message is about to be sent.
    pub async fn mark_message_intent(&self, message_id: i64, now: UnixMs) -> Result<()> {
        self.mark(Mark::MessageIntent { message_id, now }).await
    }

    /// Records that the message is in Freshdesk as conversation `conversation_id`.
    pub async fn mark_message_sent(
        &self,
        message_id: i64,
        conversation_id: i64,
        at: UnixMs,
    ) -> Result<()> {
        self.mark(Mark::MessageSent {
            message_id,
            conversation_id,
            at,
        })
        .await
    }

    /// Records that a step's own POST (a time entry) is about to be sent.
    pub async fn mark_step_intent(&self, step_id: i64, now: UnixMs) -> Result<()> {
        self.mark(Mark::StepIntent { step_id, now }).await
    }

    /// Records the Freshdesk id of what the step's POST created.
    pub async fn record_step_object(&self, step_id: i64, object_id: i64) -> Result<()> {
        self.mark(Mark::StepObject { step_id, object_id }).await
    }
}
