//! The Freshdesk client and the one way every call goes out ([`Call`]).
//!
//! The typed actions live next to their resource (`tickets.rs`, `people.rs`,
//! `conversations.rs`, `search.rs`, `bulk.rs`, `fields.rs`); each picks a lane and a
//! retry policy:
//! - reads (GET), set-style updates (PUT) and deletes are repeated inside the client
//!   on transient failures;
//! - creates, replies and notes (POST) are sent once: only a 429 or a connection that
//!   never opened is repeated. When the outcome is uncertain the caller gets an error
//!   with [`Error::outcome_uncertain`] and must look before sending again.
//!
//! Steps of tickets already in flight (updates, replies, notes, and the reads that
//! reconcile them) use [`Lane::InFlight`]; creating tickets and loading people use
//! [`Lane::New`].

use std::fmt;
use std::sync::Arc;

use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::budget::Lane;
use super::config::{self, ClientConfig};
use super::error::Error;
use super::retry::Policy;
use super::transport::{Page, Request, Transport};

/// Freshdesk's largest page.
pub(super) const PER_PAGE: u32 = 100;
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

/// One call before it is sent: method, path under `/api/v2/`, query, body, and how
/// it may be repeated. Built by the typed actions, sent by [`Client::fetch`].
pub(super) struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    lane: Lane,
    policy: Policy,
    what: Option<String>,
    cost: u32,
    ok_on_repeat: Option<u16>,
}

impl Call {
    fn new(method: Method, path: impl Into<String>, lane: Lane, policy: Policy) -> Call {
        Call {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            lane,
            policy,
            what: None,
            cost: 1,
            ok_on_repeat: None,
        }
    }

    pub(super) fn get(path: impl Into<String>, lane: Lane) -> Call {
        Call::new(Method::GET, path, lane, Policy::Idempotent)
    }

    /// A POST is sent once unless [`Call::policy`] says it is safe to repeat.
    pub(super) fn post<B: Serialize + ?Sized>(
        path: impl Into<String>,
        body: &B,
        lane: Lane,
    ) -> Result<Call, Error> {
        Call::new(Method::POST, path, lane, Policy::SendOnce).json(body)
    }

    /// PUTs are set-style in Freshdesk, so they are repeated on transient failures.
    pub(super) fn put<B: Serialize + ?Sized>(
        path: impl Into<String>,
        body: &B,
        lane: Lane,
    ) -> Result<Call, Error> {
        Call::new(Method::PUT, path, lane, Policy::Idempotent).json(body)
    }

    /// A PUT without a body (Freshdesk refuses one on `restore`).
    pub(super) fn put_empty(path: impl Into<String>, lane: Lane) -> Call {
        Call::new(Method::PUT, path, lane, Policy::Idempotent)
    }

    pub(super) fn delete(path: impl Into<String>, lane: Lane) -> Call {
        Call::new(Method::DELETE, path, lane, Policy::Idempotent)
    }

    fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Call, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::Invalid(format!("cannot encode the request body: {e}")))?;
        self.body = Some(bytes);
        Ok(self)
    }

    /// Names the target in a 404 message: "Ticket 12", "Contact 67000000001".
    pub(super) fn what(mut self, what: impl Into<String>) -> Call {
        self.what = Some(what.into());
        self
    }

    pub(super) fn query(mut self, key: &'static str, value: impl ToString) -> Call {
        self.query.push((key, value.to_string()));
        self
    }

    pub(super) fn cost(mut self, credits: u32) -> Call {
        self.cost = credits.max(1);
        self
    }

    pub(super) fn policy(mut self, policy: Policy) -> Call {
        self.policy = policy;
        self
    }

    pub(super) fn ok_on_repeat(mut self, status: u16) -> Call {
        self.ok_on_repeat = Some(status);
        self
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

    /// Requests per minute the budget allows: the configured rate, or the plan's
    /// `X-RateLimit-Total` once a response showed it is lower.
    pub fn budget_per_min(&self) -> u32 {
        self.inner.budget().limit()
    }

    /// How long every request still waits on a 429's `Retry-After` (zero when none).
    pub fn budget_paused_for(&self) -> std::time::Duration {
        self.inner.budget().paused_for()
    }

    /// Sends one call and decodes its answer.
    pub(super) async fn fetch<T: DeserializeOwned>(&self, call: Call) -> Result<T, Error> {
        let url = self.inner.url(&call.path, &call.query)?;
        Ok(self.inner.execute(&request(call, url)).await?.value)
    }

    /// Sends one call and returns the decoded page with its `rel="next"` link.
    pub(super) async fn fetch_page<T: DeserializeOwned>(
        &self,
        call: Call,
        url: Option<Url>,
    ) -> Result<Page<T>, Error> {
        let url = match url {
            Some(url) => url,
            None => self.inner.url(&call.path, &call.query)?,
        };
        self.inner.execute(&request(call, url)).await
    }

    /// A GET of a list, following `Link: <...>; rel="next"` until there is none,
    /// 100 items a page.
    pub(super) async fn fetch_all<T: DeserializeOwned>(&self, call: Call) -> Result<Vec<T>, Error> {
        let call = call.query("per_page", PER_PAGE);
        let (path, lane, cost, what) = (call.path.clone(), call.lane, call.cost, call.what.clone());
        let mut next = Some(self.inner.url(&call.path, &call.query)?);
        let mut items = Vec::new();
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error::Decode(format!(
                    "Freshdesk announced more than {MAX_PAGES} pages of /api/v2/{path}; stopped"
                )));
            }
            let mut page_call = Call::get(path.clone(), lane).cost(cost);
            page_call.what = what.clone();
            let page = self.fetch_page::<Vec<T>>(page_call, Some(url)).await?;
            items.extend(page.value);
            next = page.next;
        }
        Ok(items)
    }
}

fn request(call: Call, url: Url) -> Request {
    let what = call
        .what
        .unwrap_or_else(|| format!("Path /api/v2/{}", call.path));
    Request {
        method: call.method,
        url,
        body: call.body,
        lane: call.lane,
        policy: call.policy,
        what,
        cost: call.cost,
        ok_on_repeat: call.ok_on_repeat,
    }
}
