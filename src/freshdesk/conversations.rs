//! Replies, notes, the conversation list and time entries of a ticket.

use super::budget::Lane;
use super::client::{Call, Client};
use super::error::Error;
use super::types::{Conversation, NewTimeEntry, Note, Reply, TimeEntry};

impl Client {
    /// `POST /tickets/{id}/reply`, sent once: an agent's reply, emailed to the
    /// requester (and to `cc_emails`/`bcc_emails`).
    #[tracing::instrument(skip(self, body))]
    pub async fn add_reply(&self, ticket_id: i64, body: &Reply) -> Result<Conversation, Error> {
        let call = Call::post(format!("tickets/{ticket_id}/reply"), body, Lane::InFlight)?;
        self.fetch(call.what(format!("Ticket {ticket_id}"))).await
    }

    /// `POST /tickets/{id}/notes`, sent once. A 403 `invalid_user` means the key
    /// may not act as the customer; its message says what to change.
    #[tracing::instrument(skip(self, body))]
    pub async fn add_note(&self, ticket_id: i64, body: &Note) -> Result<Conversation, Error> {
        let call = Call::post(format!("tickets/{ticket_id}/notes"), body, Lane::InFlight)?;
        self.fetch(call.what(format!("Ticket {ticket_id}"))).await
    }

    /// Every conversation of a ticket, oldest first.
    #[tracing::instrument(skip(self))]
    pub async fn list_conversations(&self, ticket_id: i64) -> Result<Vec<Conversation>, Error> {
        let call = Call::get(format!("tickets/{ticket_id}/conversations"), Lane::InFlight);
        self.fetch_all(call.what(format!("Ticket {ticket_id}")))
            .await
    }

    /// `POST /tickets/{id}/time_entries`, sent once. Needs the Timesheets feature
    /// (else 403 `require_feature`); a deleted ticket gives 404.
    #[tracing::instrument(skip(self, body))]
    pub async fn add_time_entry(
        &self,
        ticket_id: i64,
        body: &NewTimeEntry,
    ) -> Result<TimeEntry, Error> {
        let path = format!("tickets/{ticket_id}/time_entries");
        let call = Call::post(path, body, Lane::InFlight)?;
        self.fetch(call.what(format!("Ticket {ticket_id}"))).await
    }

    /// The time entries of a ticket.
    #[tracing::instrument(skip(self))]
    pub async fn list_time_entries(&self, ticket_id: i64) -> Result<Vec<TimeEntry>, Error> {
        let call = Call::get(format!("tickets/{ticket_id}/time_entries"), Lane::InFlight);
        self.fetch_all(call.what(format!("Ticket {ticket_id}")))
            .await
    }
}
