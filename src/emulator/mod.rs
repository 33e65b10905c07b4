//! A Freshdesk-compatible server (axum) that stands in for the real v2 API.
//!
//! Demos run on it and CI runs every test against it, so it is strict where
//! Freshdesk is strict (unknown keys, JSON types, required fields, rate limit)
//! and answers with Freshdesk's own error bodies and headers
//! (freshdesk-api.md §1-§6, §10). Code that works here must work there.
//!
//! Layout:
//! - [`state`] and `ticket_store`: the account (people, tickets, conversations),
//!   plain synchronous data behind one mutex, mutated with an explicit `now`.
//! - `pipeline`: what every API request goes through (rate limit, auth, `Accept`,
//!   `Content-Type`, JSON parsing, common headers, the request log).
//! - `routes`: one file per resource; each handler validates with `validate`
//!   and `query`, then locks the state once, briefly.
//! - `shape`: turns stored wire records into the exact JSON of each endpoint.

mod auth;
mod contact_store;
mod error;
mod fields;
mod jobs;
mod pipeline;
mod query;
mod ratelimit;
mod routes;
mod search;
mod seed;
mod shape;
mod state;
mod ticket_store;
mod time_store;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, UnixMs, format_iso};
use crate::freshdesk::types::{Agent, Contact, Conversation, Ticket};

pub use fields::{BadFieldSpec, CustomField, CustomKind};
use ratelimit::{Admission, FixedWindow};
use state::{Inner, World};

/// The request log keeps at most this many entries (the oldest are dropped),
/// so a soak test against the emulator runs in bounded memory.
pub const REQUEST_LOG_CAPACITY: usize = 100_000;

/// How the emulated account is set up. `Debug` never shows the API key.
#[derive(Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// The only API key accepted (Basic auth username).
    pub api_key: String,
    /// Seeds the generated agents and contacts: same seed, same people.
    pub seed: u64,
    /// Seeded agents to create (at least one: the key belongs to the first).
    pub agents: usize,
    /// Seeded contacts to create.
    pub contacts: usize,
    /// Account-wide fixed-window limit, requests (credits) per minute.
    pub rate_per_min: u32,
    /// Whether the key may act as a customer (assume-identity plan feature);
    /// `false` makes notes with a contact `user_id` fail with 403 `invalid_user`.
    pub allow_assume_identity: bool,
    /// The admin setting "skip mandatory checks": `status`/`priority` optional.
    pub relaxed: bool,
    /// Host name used when a request has no `Host` header, and for the
    /// support address (`support@<domain>`).
    pub domain: String,
    /// Delay added before every API response, after the request took effect:
    /// widens the window in which a client can crash with its outcome unknown.
    pub latency_ms: u64,
    /// The account's custom ticket fields (none by default).
    pub custom_fields: Vec<CustomField>,
    /// The Timesheets plan feature: without it, time entries give 403
    /// `require_feature`.
    pub timesheets: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            api_key: "emulator-key".to_owned(),
            seed: 1,
            agents: 3,
            contacts: 10,
            rate_per_min: 50_000,
            allow_assume_identity: true,
            relaxed: false,
            domain: "localhost".to_owned(),
            latency_ms: 0,
            custom_fields: Vec::new(),
            timesheets: true,
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("api_key", &"***")
            .field("seed", &self.seed)
            .field("agents", &self.agents)
            .field("contacts", &self.contacts)
            .field("rate_per_min", &self.rate_per_min)
            .field("allow_assume_identity", &self.allow_assume_identity)
            .field("relaxed", &self.relaxed)
            .field("domain", &self.domain)
            .field("latency_ms", &self.latency_ms)
            .field("custom_fields", &self.custom_fields)
            .field("timesheets", &self.timesheets)
            .finish()
    }
}

/// One request as the emulator received it. Never holds the API key.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RequestLogEntry {
    /// When it arrived (from the injected clock), ISO 8601.
    pub at: String,
    pub method: String,
    /// The path as sent (a `.json` suffix is kept).
    pub path: String,
    pub query: Option<String>,
    /// The status code answered.
    pub status: u16,
    /// The request's JSON body, if it had one that parsed.
    pub body: Option<serde_json::Value>,
    /// The `user_id` the request asked to act as (notes, replies), if any.
    pub user_id: Option<i64>,
}

/// The emulator: cheap to clone, all clones share one account.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
}

struct Shared {
    cfg: EmulatorConfig,
    clock: Arc<dyn Clock>,
    /// Account state, rate window and request log. Never held across `.await`.
    inner: Mutex<Inner>,
}

impl Emulator {
    pub(crate) fn latency_ms(&self) -> u64 {
        self.shared.cfg.latency_ms
    }

    /// Builds a fresh account: 2 groups, the seeded agents and contacts.
    pub fn new(cfg: EmulatorConfig, clock: Arc<dyn Clock>) -> Emulator {
        let now = clock.now_ms();
        let world = World::new(seed::seed(&cfg, now), &cfg.domain);
        let inner = Inner {
            world,
            limiter: FixedWindow::new(cfg.rate_per_min),
            log: VecDeque::new(),
        };
        let shared = Shared {
            cfg,
            clock,
            inner: Mutex::new(inner),
        };
        Emulator {
            shared: Arc::new(shared),
        }
    }

    /// The whole app: `/api/v2/...` plus the unauthenticated `/_emulator/...` admin routes.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    pub fn api_key(&self) -> &str {
        &self.shared.cfg.api_key
    }

    /// Agents in seeded order; the first one owns the API key.
    pub fn agents(&self) -> Vec<Agent> {
        self.lock().world.agents.clone()
    }

    /// All contacts (seeded and created), in id order.
    pub fn contacts(&self) -> Vec<Contact> {
        self.lock().world.contacts.values().cloned().collect()
    }

    /// All tickets, deleted ones included, in id order, with their description.
    pub fn tickets(&self) -> Vec<Ticket> {
        let inner = self.lock();
        inner.world.tickets.iter().map(|t| t.wire.clone()).collect()
    }

    /// A ticket's conversations, oldest first (empty for an unknown ticket).
    pub fn conversations(&self, ticket_id: i64) -> Vec<Conversation> {
        let inner = self.lock();
        inner
            .world
            .ticket(ticket_id)
            .map(|t| t.conversations_oldest_first())
            .unwrap_or_default()
    }

    /// Every request received, in arrival order (the last
    /// [`REQUEST_LOG_CAPACITY`]). Admin routes are not logged.
    pub fn requests(&self) -> Vec<RequestLogEntry> {
        self.lock().log.iter().cloned().collect()
    }

    /// Soft-deletes a ticket as a human would in the UI. False when the
    /// ticket is unknown or already deleted.
    pub fn delete_ticket_as_someone(&self, ticket_id: i64) -> bool {
        let now = self.now_ms();
        self.lock().world.soft_delete(ticket_id, now).is_ok()
    }

    /// Blocks a contact as a human would in the UI (marks it as spam). False
    /// when the contact is unknown.
    pub fn block_contact_as_someone(&self, contact_id: i64) -> bool {
        self.lock().world.block_contact(contact_id)
    }

    /// The ticket's statuses in the order they were set, starting with the
    /// status it was created with: `(ISO time, status)`.
    pub fn status_history(&self, ticket_id: i64) -> Vec<(String, i64)> {
        let inner = self.lock();
        let Some(t) = inner.world.ticket(ticket_id) else {
            return Vec::new();
        };
        t.status_history
            .iter()
            .map(|(at, s)| (format_iso(*at), *s))
            .collect()
    }

    /// The ticket's responders in the order they were set, starting with the
    /// one it was created with (`None` = unassigned).
    pub fn responder_history(&self, ticket_id: i64) -> Vec<(String, Option<i64>)> {
        let inner = self.lock();
        let Some(t) = inner.world.ticket(ticket_id) else {
            return Vec::new();
        };
        t.responder_history
            .iter()
            .map(|(at, r)| (format_iso(*at), *r))
            .collect()
    }

    fn cfg(&self) -> &EmulatorConfig {
        &self.shared.cfg
    }

    fn now_ms(&self) -> UnixMs {
        self.shared.clock.now_ms()
    }

    /// Locks the state. A panic elsewhere while locked leaves data that is
    /// still consistent per request, so a poisoned lock is simply taken over.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Charges `cost` credits against the account-wide window, and runs the
    /// bulk jobs that are due, so that every request sees them done.
    fn admit(&self, now: UnixMs, cost: u32) -> Admission {
        let mut inner = self.lock();
        if inner.world.has_pending_jobs() {
            routes::settle_jobs(&mut inner.world, &self.shared.cfg.custom_fields, now);
        }
        inner.limiter.admit(now, cost)
    }

    /// Appends to the request log, dropping the oldest entry when full.
    fn record(&self, entry: RequestLogEntry) {
        let mut inner = self.lock();
        if inner.log.len() >= REQUEST_LOG_CAPACITY {
            inner.log.pop_front();
        }
        inner.log.push_back(entry);
    }
}
