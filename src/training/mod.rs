//! Training mode: a simulated customer who answers real trainee agents.
//!
//! Events (webhooks, polling) land in the durable inbox first (`store`); this
//! module's loop takes them in order, lists the ticket's conversations, and
//! answers each public reply by a human agent that it has not answered yet:
//! the answer is appended to the lifecycle as ordinary steps, so the
//! dispatcher sends it like every other step (intent first, reconciled, never
//! twice). The loop also makes the customer chase when nobody answered within
//! the SLA, and grades the ticket when it closes.

mod grade;
mod inbox;
mod react;

#[cfg(test)]
mod data_tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tokio::sync::{Notify, watch};

use crate::clock::{Clock, UnixMs};
use crate::freshdesk::{Client, Error as FdError};
use crate::store::{InboxEvent, Store, StoreError};

pub use grade::{Grade, Report, Summary};
pub use react::{Progress, Reaction, mentions, react};

/// The customer's reaction times and what the loop does besides answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingConfig {
    /// `TICKETSIM_TRAINEE_SLA`: how long the customer waits for a reply
    /// before chasing.
    pub sla_ms: i64,
    /// `TICKETSIM_CUSTOMER_DELAY`: the range each answer waits, in ms.
    pub delay_ms: (i64, i64),
    /// `TICKETSIM_POLL_INTERVAL`: list updated tickets this often; `None` = off.
    pub poll_interval_ms: Option<i64>,
    /// `TICKETSIM_GRADE_NOTE=on`: add the grade as a private note at close.
    pub grade_note: bool,
    /// Chases at most per ticket; the customer gives up after that.
    pub max_chases: u32,
    pub seed: u64,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            sla_ms: 3_600_000,
            delay_ms: (120_000, 600_000),
            poll_interval_ms: None,
            grade_note: false,
            max_chases: 6,
            seed: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Freshdesk(#[from] FdError),
}

/// The training loop's handle. Cheap to clone.
#[derive(Clone)]
pub struct Training {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    client: Client,
    clock: Arc<dyn Clock>,
    cfg: TrainingConfig,
    /// Wakes the dispatcher when an answer step is added.
    dispatcher: Arc<Notify>,
    /// Wakes this loop when an event is recorded.
    wake: Notify,
    rng: Mutex<StdRng>,
    /// Agents' names by id, for the customer's greeting and the report.
    agents: Mutex<HashMap<i64, String>>,
    /// The last poll: its time, and the `updated_since` it asked from.
    polled: Mutex<Option<UnixMs>>,
}

/// Events handled per round at most.
const BATCH: i64 = 32;
/// Longest sleep of the loop: new trainee tickets are noticed this fast.
const IDLE_MS: i64 = 1_000;
/// How far back a poll looks before its last run (clock skew, late writes).
const POLL_OVERLAP_MS: i64 = 60_000;

impl Training {
    pub fn new(
        store: Store,
        client: Client,
        clock: Arc<dyn Clock>,
        cfg: TrainingConfig,
        dispatcher: Arc<Notify>,
    ) -> Training {
        let rng = StdRng::seed_from_u64(cfg.seed ^ 0x7472_6169_6e65_6573);
        Training {
            inner: Arc::new(Inner {
                store,
                client,
                clock,
                cfg,
                dispatcher,
                wake: Notify::new(),
                rng: Mutex::new(rng),
                agents: Mutex::new(HashMap::new()),
                polled: Mutex::new(None),
            }),
        }
    }

    /// Records an event durably; false for a re-delivery (already recorded).
    /// The loop is woken to handle it.
    pub async fn record(&self, event: &InboxEvent) -> Result<bool, StoreError> {
        let new = self.inner.store.record_event(event, self.now()).await?;
        if new {
            self.inner.wake.notify_one();
        }
        Ok(new)
    }

    /// One round: follow new trainee tickets, poll when due, handle the inbox,
    /// chase where the SLA has passed. What tests call.
    pub async fn tick(&self) -> Result<(), TrainingError> {
        let now = self.now();
        self.adopt(now).await?;
        if let Err(e) = self.poll_if_due(now).await {
            tracing::warn!(error = %e, "training: polling Freshdesk for updated tickets failed; trying again at the next interval");
        }
        self.handle_inbox().await?;
        self.chase_due(self.now()).await?;
        Ok(())
    }

    /// Runs rounds until `stop` turns true (or closes).
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.tick().await {
                tracing::warn!(error = %e, "training round failed; trying again shortly");
            }
            let sleep = self.idle_ms().await;
            tokio::select! {
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(sleep as u64)) => {}
                changed = stop.changed() => if changed.is_err() { return },
            }
        }
    }

    /// Until the next chase, capped at [`IDLE_MS`].
    async fn idle_ms(&self) -> i64 {
        let now = self.now();
        let next = self.inner.store.next_chase_at().await.ok().flatten();
        next.map_or(IDLE_MS, |at| (at - now).clamp(10, IDLE_MS))
    }

    /// Lists the tickets updated since the last poll (with an overlap) and
    /// records an event for each trainee ticket among them.
    async fn poll_if_due(&self, now: UnixMs) -> Result<(), TrainingError> {
        let Some(every) = self.inner.cfg.poll_interval_ms else {
            return Ok(());
        };
        let last = *self.inner.polled.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|at| now < at + every) {
            return Ok(());
        }
        // Freshdesk's `updated_at` has whole seconds, so two changes in one
        // second look alike: every poll records its own event (keyed by the
        // poll's time) for what changed since the last one, with an overlap
        // for clock skew. Replies already answered are skipped by id.
        let overlap = every.clamp(2_000, POLL_OVERLAP_MS);
        let since = last.unwrap_or(now - every) - overlap;
        let query = crate::freshdesk::TicketQuery::updated_since(crate::clock::format_iso(since));
        let tickets = self.inner.client.list_tickets(&query).await?;
        *self.inner.polled.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
        for t in tickets {
            let Some(known) = self.inner.store.training_ticket(t.id).await? else {
                continue;
            };
            if known.closed_at.is_some() {
                continue;
            }
            let stamp = t.updated_at.clone().unwrap_or_default();
            let event = InboxEvent {
                event_key: format!("{}:0:poll:{stamp}:{}:{now}", t.id, t.status),
                ticket_id: t.id,
                event: "poll".into(),
                source: "poll".into(),
                status: Some(t.status),
            };
            self.record(&event).await?;
        }
        Ok(())
    }

    fn now(&self) -> UnixMs {
        self.inner.clock.now_ms()
    }

    /// A delay for the customer's next answer.
    fn delay(&self) -> i64 {
        let draw = self
            .inner
            .rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_u64();
        react::delay_in(self.inner.cfg.delay_ms, draw)
    }

    /// An agent's display name, fetched (once) from Freshdesk.
    async fn agent_name(&self, id: i64) -> Option<String> {
        if let Some(name) = self.cached_agent(id) {
            return Some(name);
        }
        match self.inner.client.list_agents().await {
            Ok(agents) => {
                let mut cache = self.inner.agents.lock().unwrap_or_else(|p| p.into_inner());
                for a in agents {
                    cache.insert(a.id, a.contact.name.clone());
                }
            }
            Err(e) => tracing::warn!(error = %e, "training: could not list the agents"),
        }
        self.cached_agent(id)
    }

    fn cached_agent(&self, id: i64) -> Option<String> {
        let cache = self.inner.agents.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(&id).cloned()
    }
}
