//! The only file of `load` that knows the engine: it builds the daemon's parts
//! (and, with `--emulator`, an in-process emulator), starts lifecycles, runs
//! the dispatcher and turns its step events into [`StepOutcome`]s. Written
//! against today's API (`Daemon::build`, `Triggers::start_slot`, `StepEvent`,
//! `Dispatcher::run`); adapt this file, not the rest, when the engine changes.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::recorder::StepOutcome;
use crate::app::{AppError, Daemon, Schedule};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ProcessEnv};
use crate::content::{Library, Selection};
use crate::dispatcher::{Content, DispatcherConfig, Outcome, StepEvent};
use crate::domain::{LifecycleState, Stage, StageOffsets};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::freshdesk::{ApiKey, Client, ClientConfig, ObserverHook};
use crate::store::NewTickets;

/// The emulator's plan limit with `--emulator`: high enough never to bind.
pub const EMULATOR_RATE_PER_MIN: u32 = 1_000_000;

#[derive(Clone)]
pub struct EngineOptions {
    pub db: PathBuf,
    /// In-process emulator instead of FRESHDESK_URL.
    pub emulator: bool,
    pub playbooks: Option<Selection>,
    pub offsets: StageOffsets,
    pub seed: u64,
    /// Use at most this share of the plan's rate limit.
    pub budget_share: f64,
    pub observer: ObserverHook,
}

/// Steps in flight at most in a load run: one per 10 requests/min of the
/// budget (as `run`), up to [`MAX_LOAD_WORKERS`] rather than `run`'s 64. A
/// step in flight mostly waits (on its request, on the commit of its outcome),
/// so at an unlimited budget the engine needs many to keep the write
/// connection busy: 64 gave 600 lifecycles/s where 1024 gave 960 on this
/// project's 2-core machine.
pub fn load_workers(rate_per_min: u32) -> usize {
    (rate_per_min as usize / 10).clamp(4, MAX_LOAD_WORKERS)
}

pub const MAX_LOAD_WORKERS: usize = 1024;

/// A step's outcome as `load` counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub lifecycle_id: i64,
    pub at: i64,
    pub outcome: StepOutcome,
}

pub struct Engine {
    daemon: Daemon,
    pub clock: Arc<dyn Clock>,
    /// Requests/min the client may use (the plan's limit × the share).
    pub budget_per_min: f64,
    pub offsets: StageOffsets,
}

/// Where the client goes: its settings (with `--emulator`, an emulator in
/// this process), the playbooks and the library.
type Target = (ClientConfig, Selection, Option<Arc<Library>>);

fn target(opts: &EngineOptions) -> Result<Target, AppError> {
    let playbooks = |fallback: Selection| opts.playbooks.clone().unwrap_or(fallback);
    if !opts.emulator {
        let cfg = Config::from_env(&ProcessEnv, Some(&opts.db))?;
        return Ok((
            cfg.client_config(),
            playbooks(cfg.playbooks.clone()),
            Some(cfg.library.clone()),
        ));
    }
    let emu = Emulator::new(
        EmulatorConfig {
            api_key: format!("load-{:016x}", rand::random::<u64>()),
            seed: opts.seed,
            agents: 8,
            contacts: 50,
            rate_per_min: EMULATOR_RATE_PER_MIN,
            ..EmulatorConfig::default()
        },
        Arc::new(SystemClock),
    );
    // Requests go to the emulator's routes in this process, with no socket
    // (`ClientConfig::in_process`); the URL only names the host in headers.
    let mut cc = ClientConfig::new("http://localhost", ApiKey::new(emu.api_key()));
    cc.rate_per_min = EMULATOR_RATE_PER_MIN;
    cc.in_process = Some(emu.in_process());
    Ok((cc, playbooks(Selection::default()), None))
}

/// Builds the engine; step events go to `events`.
pub async fn open(
    opts: &EngineOptions,
    events: mpsc::UnboundedSender<StepEvent>,
) -> Result<Engine, AppError> {
    let (mut cc, playbooks, library) = target(opts)?;
    let plan = cc.rate_per_min;
    cc.rate_per_min = ((f64::from(plan) * opts.budget_share).floor() as u32).max(1);
    cc.observer = Some(opts.observer.clone());
    let budget_per_min = f64::from(cc.rate_per_min);
    let reconcile_after_ms = 2 * cc.request_timeout.as_millis() as i64;
    let workers = load_workers(cc.rate_per_min);
    let client = Client::new(cc)?;
    let mut content = Content {
        playbooks,
        ..Content::default()
    };
    if let Some(l) = library {
        content.library = l;
    }
    let dcfg = DispatcherConfig {
        content,
        max_idle_ms: 200,
        workers,
        reconcile_after_ms,
        new_tickets: NewTickets::Fill,
        chain_steps: true,
        ..Default::default()
    };
    let schedule = Schedule {
        cron: "0 0 0 1 1 *".into(),
        seed: opts.seed,
        offsets: opts.offsets,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let daemon = Daemon::build(
        &opts.db,
        client,
        clock.clone(),
        &schedule,
        dcfg,
        Some(events),
    )
    .await?;
    daemon.store.set_meta("mode", "load").await?;
    Ok(Engine {
        daemon,
        clock,
        budget_per_min,
        offsets: opts.offsets,
    })
}

impl Engine {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Starts, in one commit, `n` lifecycles at each `(at, n)` (one slot per
    /// time, idempotent); the ids started at each (none if it existed).
    pub async fn start_lifecycles(&self, slots: &[(i64, u32)]) -> Result<Vec<Vec<i64>>, AppError> {
        Ok(self.daemon.triggers.start_slots(slots, self.now()).await?)
    }

    /// Runs the dispatcher until `stop` turns true.
    pub fn spawn_dispatcher(
        &self,
        stop: watch::Receiver<bool>,
    ) -> JoinHandle<Result<(), AppError>> {
        let d = self.daemon.dispatcher.clone();
        tokio::spawn(async move { Ok(d.run(stop, false).await?) })
    }

    /// Steps not yet done (lifecycles still in flight have some).
    pub async fn open_steps(&self) -> Result<i64, AppError> {
        Ok(self.daemon.store.open_steps().await? as i64)
    }

    /// Lifecycles in the database: (all, closed, failed or cancelled). The
    /// database is the truth, so a resumed run's summary counts the whole run.
    pub async fn lifecycle_counts(&self) -> Result<(u64, u64, u64), AppError> {
        let status = self.daemon.store.status(self.now()).await?;
        let n = |names: &[&str]| -> u64 {
            status
                .by_state
                .iter()
                .filter(|(s, _)| names.contains(&s.as_str()))
                .map(|(_, n)| *n as u64)
                .sum()
        };
        Ok((
            status.total as u64,
            n(&["closed"]),
            n(&["failed", "cancelled"]),
        ))
    }

    pub async fn close(self) {
        self.daemon.store.close().await;
    }
}

/// When step `index` (0 = create) of a lifecycle started at `start` was due.
pub fn due(offsets: &StageOffsets, start: i64, index: usize) -> Option<i64> {
    match index {
        0 => Some(start),
        i => offsets.0.get(i - 1).map(|o| start + o),
    }
}

/// What a step event means for the counts.
pub fn classify(e: &StepEvent) -> Step {
    let outcome = match &e.outcome {
        Outcome::Done(_) => StepOutcome::Done {
            first: e.stage == Stage::Create,
            last: e.stage == Stage::Close,
        },
        Outcome::Retry { .. } => StepOutcome::Retry,
        Outcome::Ended {
            state: LifecycleState::Closed,
            ..
        } => StepOutcome::Done {
            first: false,
            last: true,
        },
        Outcome::Ended { reason, .. } => StepOutcome::Failed(reason.clone()),
    };
    Step {
        lifecycle_id: e.lifecycle_id,
        at: e.at,
        outcome,
    }
}
