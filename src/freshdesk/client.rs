//! The typed calls of the Freshdesk v2 API that ticketsim uses.
//!
//! Each call picks a lane and a retry policy:
//! - reads (GET) and set-style updates (PUT) are repeated inside the client on
//!   transient failures;
//! - creates, replies and notes (POST) are sent once: only a 429 or a connection that
//!   never opened is repeated. When the outcome is uncertain the caller gets an error
//!   with [`Error::outcome_uncertain`] and must look before sending again.
//!
//! Steps of tickets already in flight (updates, replies, notes, and the reads that
//! reconcile them) use [`Lane::InFlight`]; creating tickets and loading people use
//! [`Lane::New`].

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::budget::Lane;
use super::config::{self, ClientConfig};
use super::error::Error;
use super::retry::Policy;
use super::transport::{Request, Transport};
use super::types::{
    Agent, Contact, Conversation, CreateTicket, NoteRequest, ReplyRequest, Ticket, UpdateTicket,
};

/// Freshdesk's largest page.
const PER_PAGE: &str = "100";
/// A guard against a server that never stops announcing a next page. Ticket lists
/// stop at 300 pages anyway (api §2.4).
const MAX_PAGES: usize = 1000;

/// The Freshdesk client. Cheap to clone; clones share one rate budget.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Transport>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Checks the configuration; [`Error::Config`] on a bad URL, key or budget.
    pub fn new(cfg: ClientConfig) -> Result<Client, Error> {
        cfg.validate()?;
        let base = config::base_url(&cfg.base_url, &cfg.api_key)?;
        Ok(Client {
            inner: Arc::new(Transport::new(&cfg, base)?),
        })
    }

    /// The normalized base URL, e.g. `https://acme.freshdesk.com` (no trailing slash).
    pub fn base_url(&self) -> &str {
        self.inner.base_display()
    }

    /// What the last response said about the account's limit:
    /// `(X-RateLimit-Total, X-RateLimit-Remaining)`.
    pub fn last_rate_headers(&self) -> Option<(u32, u32)> {
        self.inner.budget().last_headers()
    }

    /// Every contact (deleted and blocked ones are left out by Freshdesk).
    #[tracing::instrument(skip(self))]
    pub async fn list_contacts(&self) -> Result<Vec<Contact>, Error> {
        self.get_all("contacts", &[], Lane::New).await
    }

    /// Every agent.
    #[tracing::instrument(skip(self))]
    pub async fn list_agents(&self) -> Result<Vec<Agent>, Error> {
        self.get_all("agents", &[], Lane::New).await
    }

    /// The agent the API key belongs to.
    #[tracing::instrument(skip(self))]
    pub async fn me(&self) -> Result<Agent, Error> {
        self.get_one("agents/me", Lane::New, "Path /api/v2/agents/me")
            .await
    }

    /// `POST /tickets`, sent once (see the module docs).
    #[tracing::instrument(skip(self, body))]
    pub async fn create_ticket(&self, body: &CreateTicket) -> Result<Ticket, Error> {
        let what = "Path /api/v2/tickets";
        self.send_json(Method::POST, "tickets", body, Lane::New, what)
            .await
    }

    /// `PUT /tickets/{id}`: set-style, so repeated on transient failures.
    #[tracing::instrument(skip(self, body))]
    pub async fn update_ticket(&self, id: i64, body: &UpdateTicket) -> Result<Ticket, Error> {
        let (path, what) = (format!("tickets/{id}"), format!("Ticket {id}"));
        self.send_json(Method::PUT, &path, body, Lane::InFlight, &what)
            .await
    }

    /// `GET /tickets/{id}`.
    #[tracing::instrument(skip(self))]
    pub async fn get_ticket(&self, id: i64) -> Result<Ticket, Error> {
        let (path, what) = (format!("tickets/{id}"), format!("Ticket {id}"));
        self.get_one(&path, Lane::InFlight, &what).await
    }

    /// `POST /tickets/{id}/reply`, sent once.
    #[tracing::instrument(skip(self, body))]
    pub async fn reply(&self, ticket_id: i64, body: &ReplyRequest) -> Result<Conversation, Error> {
        let path = format!("tickets/{ticket_id}/reply");
        let what = format!("Ticket {ticket_id}");
        self.send_json(Method::POST, &path, body, Lane::InFlight, &what)
            .await
    }

    /// `POST /tickets/{id}/notes`, sent once. A 403 `invalid_user` means the key may
    /// not act as the customer; its message says what to change.
    #[tracing::instrument(skip(self, body))]
    pub async fn add_note(
        &self,
        ticket_id: i64,
        body: &NoteRequest,
    ) -> Result<Conversation, Error> {
        let path = format!("tickets/{ticket_id}/notes");
        let what = format!("Ticket {ticket_id}");
        self.send_json(Method::POST, &path, body, Lane::InFlight, &what)
            .await
    }

    /// Every conversation of a ticket, oldest first.
    #[tracing::instrument(skip(self))]
    pub async fn list_conversations(&self, ticket_id: i64) -> Result<Vec<Conversation>, Error> {
        let path = format!("tickets/{ticket_id}/conversations");
        self.get_all(&path, &[], Lane::InFlight).await
    }

    /// The requester's tickets, newest first, all pages. `requester_id` lifts the
    /// 30-day default of the ticket list. Used to reconcile an uncertain create.
    #[tracing::instrument(skip(self))]
    pub async fn list_requester_tickets(&self, requester_id: i64) -> Result<Vec<Ticket>, Error> {
        let query = [
            ("requester_id", requester_id.to_string()),
            ("order_by", "created_at".to_string()),
            ("order_type", "desc".to_string()),
        ];
        self.get_all("tickets", &query, Lane::InFlight).await
    }

    async fn get_one<T: DeserializeOwned>(
        &self,
        path: &str,
        lane: Lane,
        what: &str,
    ) -> Result<T, Error> {
        let request = Request {
            method: Method::GET,
            url: self.inner.url(path, &[])?,
            body: None,
            lane,
            policy: Policy::Idempotent,
            what,
        };
        Ok(self.inner.execute(&request).await?.value)
    }

    /// Follows `Link: <...>; rel="next"` until there is none, 100 items a page.
    async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        lane: Lane,
    ) -> Result<Vec<T>, Error> {
        let mut query = query.to_vec();
        query.push(("per_page", PER_PAGE.to_string()));
        let what = format!("Path /api/v2/{path}");
        let mut next = Some(self.inner.url(path, &query)?);
        let mut items = Vec::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error::Decode(format!(
                    "Freshdesk announced more than {MAX_PAGES} pages of /api/v2/{path}; stopped"
                )));
            }
            let request = Request {
                method: Method::GET,
                url,
                body: None,
                lane,
                policy: Policy::Idempotent,
                what: &what,
            };
            let page = self.inner.execute::<Vec<T>>(&request).await?;
            items.extend(page.value);
            next = page.next;
        }
        Ok(items)
    }

    /// POSTs are sent once, PUTs repeated; both carry a JSON body.
    async fn send_json<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &B,
        lane: Lane,
        what: &str,
    ) -> Result<T, Error> {
        let policy = if method == Method::POST {
            Policy::SendOnce
        } else {
            Policy::Idempotent
        };
        let body = serde_json::to_vec(body)
            .map_err(|e| Error::Config(format!("cannot encode the request body: {e}")))?;
        let request = Request {
            method,
            url: self.inner.url(path, &[])?,
            body: Some(body),
            lane,
            policy,
            what,
        };
        Ok(self.inner.execute(&request).await?.value)
    }
}
