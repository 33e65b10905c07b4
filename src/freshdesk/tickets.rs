//! Ticket actions: create, update (and its set-style shorthands), view with
//! embeds, soft delete and restore.

use super::budget::Lane;
use super::client::{Call, Client, PER_PAGE};
use super::error::Error;
use super::types::{CreateTicket, Ticket, TicketInclude, UpdateTicket};

impl Client {
    /// `POST /tickets`, sent once (see the module docs of `client.rs`). Send
    /// `status` and `priority`: default accounts require them.
    #[tracing::instrument(skip(self, body))]
    pub async fn create_ticket(&self, body: &CreateTicket) -> Result<Ticket, Error> {
        self.fetch(Call::post("tickets", body, Lane::New)?).await
    }

    /// `PUT /tickets/{id}` with only the fields that are set: set-style, so
    /// repeated on transient failures. 405 on a deleted or spam ticket.
    #[tracing::instrument(skip(self, body))]
    pub async fn update_ticket(&self, id: i64, body: &UpdateTicket) -> Result<Ticket, Error> {
        let call = Call::put(format!("tickets/{id}"), body, Lane::InFlight)?;
        self.fetch(call.what(format!("Ticket {id}"))).await
    }

    /// Assigns the ticket to an agent and/or a group (at least one).
    #[tracing::instrument(skip(self))]
    pub async fn assign_ticket(
        &self,
        id: i64,
        agent_id: Option<i64>,
        group_id: Option<i64>,
    ) -> Result<Ticket, Error> {
        if agent_id.is_none() && group_id.is_none() {
            return Err(Error::Invalid(format!(
                "assigning ticket {id} needs an agent, a group or both"
            )));
        }
        let body = UpdateTicket {
            responder_id: agent_id,
            group_id,
            ..UpdateTicket::default()
        };
        self.update_ticket(id, &body).await
    }

    /// Sets the status (2 Open, 3 Pending, 4 Resolved, 5 Closed, or a custom id).
    /// Fields required for closure must already be set for 4 and 5.
    #[tracing::instrument(skip(self))]
    pub async fn change_status(&self, id: i64, status: i64) -> Result<Ticket, Error> {
        let body = UpdateTicket {
            status: Some(status),
            ..UpdateTicket::default()
        };
        self.update_ticket(id, &body).await
    }

    /// `GET /tickets/{id}`. Deleted tickets are returned too, with `deleted: true`.
    #[tracing::instrument(skip(self))]
    pub async fn get_ticket(&self, id: i64) -> Result<Ticket, Error> {
        self.get_ticket_with(id, &[]).await
    }

    /// `GET /tickets/{id}?include=...`: each embed costs one more credit.
    #[tracing::instrument(skip(self))]
    pub async fn get_ticket_with(
        &self,
        id: i64,
        include: &[TicketInclude],
    ) -> Result<Ticket, Error> {
        let mut names: Vec<&str> = include.iter().map(|i| i.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let mut call = Call::get(format!("tickets/{id}"), Lane::InFlight)
            .what(format!("Ticket {id}"))
            .cost(1 + names.len() as u32);
        if !names.is_empty() {
            call = call.query("include", names.join(","));
        }
        self.fetch(call).await
    }

    /// `DELETE /tickets/{id}`: a soft delete (204). Repeated on transient failures;
    /// when a repeat is answered 405 ("already deleted"), the first attempt did it.
    #[tracing::instrument(skip(self))]
    pub async fn delete_ticket(&self, id: i64) -> Result<(), Error> {
        let call = Call::delete(format!("tickets/{id}"), Lane::New)
            .what(format!("Ticket {id}"))
            .ok_on_repeat(405);
        self.fetch(call).await
    }

    /// `PUT /tickets/{id}/restore` (204). A ticket that is not deleted gives 404, so
    /// a 404 answered to a repeat means the first attempt restored it.
    #[tracing::instrument(skip(self))]
    pub async fn restore_ticket(&self, id: i64) -> Result<(), Error> {
        let call = Call::put_empty(format!("tickets/{id}/restore"), Lane::New)
            .what(format!("Ticket {id}"))
            .ok_on_repeat(404);
        self.fetch(call).await
    }

    /// The requester's tickets, newest first, all pages. `requester_id` lifts the
    /// 30-day default of the ticket list. Used to reconcile an uncertain create.
    #[tracing::instrument(skip(self))]
    pub async fn list_requester_tickets(&self, requester_id: i64) -> Result<Vec<Ticket>, Error> {
        let call = Call::get("tickets", Lane::InFlight)
            .query("requester_id", requester_id)
            .query("order_by", "created_at")
            .query("order_type", "desc");
        self.fetch_all(call).await
    }

    /// The requester's newest tickets, one page of up to 100 (newest first,
    /// one request). Enough to find a ticket made minutes ago.
    #[tracing::instrument(skip(self))]
    pub async fn recent_requester_tickets(&self, requester_id: i64) -> Result<Vec<Ticket>, Error> {
        let call = Call::get("tickets", Lane::InFlight)
            .query("requester_id", requester_id)
            .query("order_by", "created_at")
            .query("order_type", "desc")
            .query("per_page", PER_PAGE);
        self.fetch(call).await
    }
}
