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
//!   The records it holds (`TicketRec`, `TimeEntryRec`, `JobRec`) live in the
//!   leaf `records`, so the account and the modules that change it do not
//!   import each other.
//! - `ctx`: what the pipeline hands each handler about its request (a leaf
//!   that both the pipeline and the routes use).
//! - `faults` and `misbehave`: which fault a request gets, and how it is
//!   answered (including late writes, which land after the client gave up).
//! - `pipeline`: what every API request goes through (rate limit, auth, `Accept`,
//!   `Content-Type`, JSON parsing, common headers, the request log).
//! - `routes`: one file per resource; each handler validates with `validate`
//!   and `query`, then locks the state once, briefly.
//! - `shape`: turns stored wire records into the exact JSON of each endpoint.

mod auth;
mod contact_store;
mod ctx;
mod error;
mod faults;
mod fields;
mod inspect;
mod jobs;
mod latency;
mod misbehave;
mod persist;
mod pipeline;
mod plan;
mod query;
mod ratelimit;
mod records;
mod reqlog;
mod routes;
mod search;
mod seed;
mod server;
mod shape;
mod state;
mod ticket_store;
mod time_store;
mod validate;
mod webhooks;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, UnixMs};

pub use faults::LateWriteMode;
pub use faults::{DEFAULT_LATE_WRITE_MS, Faults, Latency};
use faults::{Fault, FaultState};
pub use fields::{BadFieldSpec, CustomField, CustomKind};
pub use persist::StateFileError;
use ratelimit::{Admission, Endpoint, Limiter};
pub use ratelimit::{EndpointLimits, Plan};
use reqlog::RequestLog;
use state::{Inner, World};
pub use webhooks::{Delivery, RETRY_DELAYS_MS, WebhookSettings, WebhookTarget};

/// The request log keeps at most this many entries (the oldest are dropped),
/// so a soak test against the emulator runs in bounded memory.
pub const REQUEST_LOG_CAPACITY: usize = 100_000;

/// How the emulated account is set up. `Debug` never shows the API key.
#[derive(Clone, PartialEq)]
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
    /// Per-endpoint limits on top (a plan's; none by default).
    pub endpoint_limits: EndpointLimits,
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
    /// Faults from the start (changeable at runtime). A `latency_ms` above
    /// takes the place of `faults.latency_ms` when that is zero.
    pub faults: Faults,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            api_key: "emulator-key".to_owned(),
            seed: 1,
            agents: 3,
            contacts: 10,
            rate_per_min: 50_000,
            endpoint_limits: EndpointLimits::default(),
            allow_assume_identity: true,
            relaxed: false,
            domain: "localhost".to_owned(),
            latency_ms: 0,
            custom_fields: Vec::new(),
            timesheets: true,
            faults: Faults::default(),
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
            .field("endpoint_limits", &self.endpoint_limits)
            .field("allow_assume_identity", &self.allow_assume_identity)
            .field("relaxed", &self.relaxed)
            .field("domain", &self.domain)
            .field("latency_ms", &self.latency_ms)
            .field("custom_fields", &self.custom_fields)
            .field("timesheets", &self.timesheets)
            .field("faults", &self.faults)
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
    /// The status code answered (also for a dropped or hanging request,
    /// whose answer was never sent).
    pub status: u16,
    /// The request's JSON body, if it had one that parsed.
    pub body: Option<serde_json::Value>,
    /// The `user_id` the request asked to act as (notes, replies), if any.
    pub user_id: Option<i64>,
    /// The fault injected, if any: `429`, `500` (or another 5xx), `hang`,
    /// `drop`, `malformed`, `late_write_hang` or `late_write_drop` (a late
    /// write is logged when it lands, with the status it got).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// The emulator: cheap to clone, all clones share one account.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
}

struct Shared {
    cfg: EmulatorConfig,
    clock: Arc<dyn Clock>,
    /// Account state and rate window. Never held across `.await`.
    inner: Mutex<Inner>,
    faults: Mutex<FaultState>,
    /// No fault is set: requests skip the fault lock altogether.
    quiet: AtomicBool,
    log: RequestLog,
    /// `--state`: where the account is kept between runs.
    state_file: Option<PathBuf>,
    /// Counts changes to the account; compared with `saved` to know when
    /// the state file is behind.
    generation: AtomicU64,
    /// The generation last written; its lock also keeps saves in order.
    saved: Mutex<u64>,
    /// Webhook targets (automation rules) and their delivery log.
    hooks: webhooks::Hooks,
}

impl Emulator {
    /// Builds a fresh account: 2 groups, the seeded agents and contacts.
    pub fn new(cfg: EmulatorConfig, clock: Arc<dyn Clock>) -> Emulator {
        let world = World::new(seed::seed(&cfg, clock.now_ms()), &cfg.domain);
        Emulator::with_world(cfg, clock, world, None)
    }

    /// The account kept in `path`: read back when the file exists (the
    /// seed, agents and contacts settings are then not used), else freshly
    /// seeded and written there at once. Changes are written shortly after
    /// they happen while serving, and by [`Emulator::close`].
    pub fn with_state_file(
        cfg: EmulatorConfig,
        clock: Arc<dyn Clock>,
        path: &Path,
    ) -> Result<Emulator, StateFileError> {
        let loaded = persist::load(path)?;
        let fresh = loaded.is_none();
        let world =
            loaded.unwrap_or_else(|| World::new(seed::seed(&cfg, clock.now_ms()), &cfg.domain));
        let emu = Emulator::with_world(cfg, clock, world, Some(path.to_owned()));
        if fresh {
            emu.mark_changed();
            emu.save_now()?;
        }
        Ok(emu)
    }

    fn with_world(
        cfg: EmulatorConfig,
        clock: Arc<dyn Clock>,
        world: World,
        state_file: Option<PathBuf>,
    ) -> Emulator {
        let inner = Inner {
            world,
            limiter: Limiter::new(cfg.rate_per_min, cfg.endpoint_limits),
        };
        let mut faults = cfg.faults.clone();
        if faults.latency_ms.is_zero() && cfg.latency_ms > 0 {
            faults.latency_ms = Latency::fixed(cfg.latency_ms);
        }
        let shared = Shared {
            quiet: AtomicBool::new(faults.is_quiet()),
            faults: Mutex::new(FaultState::new(faults, cfg.seed)),
            log: RequestLog::new(REQUEST_LOG_CAPACITY),
            cfg,
            clock,
            inner: Mutex::new(inner),
            state_file,
            generation: AtomicU64::new(0),
            saved: Mutex::new(0),
            hooks: webhooks::Hooks::default(),
        };
        Emulator {
            shared: Arc::new(shared),
        }
    }

    /// The whole app: `/api/v2/...` plus the unauthenticated `/_emulator/...` admin routes.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// The emulator as a server inside this process, for a client's
    /// `in_process` setting: requests reach the routes with no socket.
    pub fn in_process(&self) -> crate::freshdesk::InProcess {
        server::in_process(self.router())
    }

    /// Serves on `listener` until `shutdown` completes; requests still
    /// running then get a second to finish.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let saver = self.shared.state_file.is_some().then(|| self.spawn_saver());
        let served = server::serve(listener, self.router(), shutdown).await;
        if let Some(task) = saver {
            task.abort();
        }
        served
    }

    /// Also appends the request log to `path` as JSON lines from now on.
    pub fn log_to_file(&self, path: &std::path::Path) -> std::io::Result<()> {
        self.shared.log.write_to(path)
    }

    /// Writes out what is still queued for the log file and the last
    /// changes to the state file; call at shutdown.
    pub fn close(&self) -> Result<(), StateFileError> {
        self.shared.log.close();
        self.save_now().map(|_| ())
    }

    /// The fault settings now (counts go down as faults are injected).
    pub fn faults(&self) -> Faults {
        self.lock_faults().faults.clone()
    }

    /// Replaces the fault settings; refused with a one-line reason when a
    /// value is out of range.
    pub fn set_faults(&self, faults: Faults) -> Result<(), String> {
        if let Some(problem) = faults.problem() {
            return Err(problem);
        }
        let mut st = self.lock_faults();
        self.shared
            .quiet
            .store(faults.is_quiet(), Ordering::Relaxed);
        st.faults = faults;
        Ok(())
    }

    pub fn api_key(&self) -> &str {
        &self.shared.cfg.api_key
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
    fn admit(&self, now: UnixMs, cost: u32, endpoint: Option<Endpoint>) -> Admission {
        let mut inner = self.lock();
        if inner.world.has_pending_jobs() {
            routes::settle_jobs(&mut inner.world, &self.shared.cfg.custom_fields, now);
            self.mark_changed();
        }
        inner.limiter.admit(now, cost, endpoint)
    }

    /// Appends to the request log, dropping the oldest entry when full.
    fn record(&self, entry: RequestLogEntry) {
        self.shared.log.record(entry);
    }

    fn lock_faults(&self) -> MutexGuard<'_, FaultState> {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The fault for the next request (`write`: POST, PUT or DELETE) and
    /// the latency to add (ms).
    fn draw_fault(&self, write: bool) -> (Option<Fault>, u64) {
        if self.shared.quiet.load(Ordering::Relaxed) {
            return (None, 0);
        }
        let mut st = self.lock_faults();
        let drawn = st.decide(write);
        self.shared
            .quiet
            .store(st.faults.is_quiet(), Ordering::Relaxed);
        drawn
    }
}
