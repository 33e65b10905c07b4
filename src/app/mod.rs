//! Wiring only: builds the parts from configuration and runs them until told
//! to stop. No business logic lives here.

mod admin;
pub mod check;
mod contacts;
mod demo;
pub mod export;
mod preview;
mod purge;
pub mod report;
mod spawn;
mod startup;
mod training;
mod watchdog;
pub use training::training_grades;

pub use admin::{DaemonHealth, stale_after};
pub use check::{CheckOptions, CheckReport, check};
pub use contacts::{DEFAULT_CONTACT_SEED, SeedSummary, seed_contacts};
pub use demo::{DemoOptions, DemoSummary, demo};
pub use preview::{
    CorpusStats, PreviewLifecycle, PreviewOptions, PreviewPerson, PreviewStep, Rule, Violation,
    body_lines, corpus_stats, lint, made_up_people, preview,
};
pub use purge::{PurgeOptions, PurgeSummary, purge, purge_plan};
pub use spawn::{MAX_SPAWN, SpawnOptions, SpawnSummary, spawn};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc, watch};

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::dispatcher::{Content, Dispatcher, DispatcherConfig, StepEvent, workers_for_rate};
use crate::freshdesk::{self, ApiKey, Client, ClientConfig};
use crate::metrics::Metrics;
use crate::store::{DbLock, Store, StoreError};
use crate::triggers::{TriggerError, Triggers};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Freshdesk(#[from] freshdesk::Error),
    #[error("{0}")]
    Trigger(#[from] TriggerError),
    #[error("{0}")]
    Io(String),
    /// `ticketsim check` found something that would stop the daemon.
    #[error("{0}")]
    Check(String),
    /// `ticketsim spawn` started nothing: the daily cap is reached.
    #[error("{0}")]
    Capped(String),
}

impl AppError {
    /// 2 for bad configuration or usage, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Config(_) | AppError::Usage(_) => 2,
            AppError::Store(e) if e.is_usage() => 2,
            _ => 1,
        }
    }
}

impl From<crate::dispatcher::DispatchError> for AppError {
    fn from(e: crate::dispatcher::DispatchError) -> Self {
        match e {
            crate::dispatcher::DispatchError::Store(s) => AppError::Store(s),
        }
    }
}

/// How often an idle daemon looks for slots another process (`ticketsim spawn`)
/// added: the longest sleep between two claims.
pub const SPAWN_POLL_MS: i64 = 2_000;

/// Options of `ticketsim run` beyond the configuration.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Start no new tickets; finish the lifecycles in flight, then exit.
    pub drain: bool,
}

/// When tickets start and how their steps are spaced (the offsets replace those
/// of the dispatcher's content, so one value decides).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub cron: String,
    pub seed: u64,
    pub offsets: crate::domain::StageOffsets,
}

/// Everything a running daemon is made of, built from configuration.
pub struct Daemon {
    pub store: Store,
    pub dispatcher: Dispatcher,
    pub triggers: Triggers,
    /// Wakes the dispatcher (new steps to do).
    pub wake: Arc<Notify>,
    _lock: DbLock,
}

/// Builds the client as configured, with explicit timeouts.
pub fn client_for(url: &str, key: ApiKey, rate_per_min: u32) -> Result<Client, AppError> {
    let mut cc = ClientConfig::new(url, key);
    cc.rate_per_min = rate_per_min;
    Ok(Client::new(cc)?)
}

impl Daemon {
    /// Locks and opens the database (migrating it) and builds the parts.
    pub async fn build(
        db: &Path,
        client: Client,
        clock: Arc<dyn Clock>,
        schedule: &Schedule,
        dcfg: DispatcherConfig,
        events: Option<mpsc::UnboundedSender<StepEvent>>,
    ) -> Result<Daemon, AppError> {
        Store::check_path(db).await?; // a foreign file gets no lock file beside it
        let lock = DbLock::acquire(db)?;
        let store = Store::open(db).await?;
        let wake = Arc::new(Notify::new());
        let mut dcfg = dcfg;
        dcfg.content.offsets = schedule.offsets;
        let dispatcher = Dispatcher::new(store.clone(), client, clock, dcfg, wake.clone(), events);
        let triggers = Triggers::new(store.clone(), &schedule.cron, schedule.seed, wake.clone())
            .map_err(|e| AppError::Usage(format!("TICKETSIM_CREATE_CRON: {e}")))?;
        Ok(Daemon {
            store,
            dispatcher,
            triggers,
            wake,
            _lock: lock,
        })
    }
}

/// `ticketsim run`: the daemon. Returns when `stop` turns true (after the step
/// in hand is committed) or, with `drain`, when nothing is left to do.
pub async fn run(
    cfg: Config,
    opts: RunOptions,
    stop: watch::Receiver<bool>,
) -> Result<(), AppError> {
    // A taken admin address stops the daemon before any other work.
    let listener = match cfg.http_addr {
        Some(addr) => Some(admin::bind(addr).await?),
        None => None,
    };
    let watchdog = sd_notify::watchdog_enabled();
    let starting = watchdog::while_starting(watchdog);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    log_seed(&cfg);
    let metrics = Arc::new(Metrics::new());
    let mut cc = cfg.client_config();
    cc.observer = Some(metrics.observer());
    let client = Client::new(cc)?;
    if !startup::before_ready(&cfg, &client, opts.drain, stop.clone()).await? {
        return Ok(());
    }
    let dcfg = dispatcher_config(&cfg, &metrics);
    let schedule = Schedule {
        cron: cfg.create_cron.clone(),
        seed: cfg.seed,
        offsets: cfg.stage_offsets,
    };
    let mut d = Daemon::build(&cfg.db_path, client, clock.clone(), &schedule, dcfg, None).await?;
    d.triggers = d.triggers.with_daily_cap(cfg.max_tickets_per_day);
    tracing::info!(db = %cfg.db_path.display(), url = %cfg.freshdesk_url, cron = %cfg.create_cron, drain = opts.drain, max_tickets_per_day = ?cfg.max_tickets_per_day, "ticketsim starting");
    let health = DaemonHealth::new(
        d.store.clone(),
        d.dispatcher.heartbeat(),
        d.dispatcher.client().clone(),
        metrics,
        stale_after(watchdog),
    );
    let (trainer, server) = start_training_and_admin(&cfg, &d, &clock, listener, &health, &stop);
    start_work(&d, &cfg, &opts, &clock).await?;
    // Migrations, recovery and catch-up are done: tell systemd (Type=notify).
    health.mark_started();
    notify_systemd(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status("running"),
    ]);
    drop(starting);
    let pinger = watchdog::spawn(health, watchdog);
    let result = work_until_stopped(&d, opts.drain, stop).await;
    for task in [pinger, server, trainer].into_iter().flatten() {
        task.abort();
    }
    d.triggers.stop().await;
    d.store.close().await;
    result?;
    tracing::info!("ticketsim stopped cleanly");
    Ok(())
}

type TaskHandle = tokio::task::JoinHandle<()>;

/// Starts training mode when in use, and the admin server (with training's
/// webhook receiver beside its own endpoints) when it has a listener.
fn start_training_and_admin(
    cfg: &Config,
    d: &Daemon,
    clock: &Arc<dyn Clock>,
    listener: Option<tokio::net::TcpListener>,
    health: &DaemonHealth,
    stop: &watch::Receiver<bool>,
) -> (Option<TaskHandle>, Option<TaskHandle>) {
    let training = training::start(
        cfg,
        d.store.clone(),
        d.dispatcher.client().clone(),
        clock.clone(),
        d.wake.clone(),
        stop.clone(),
    );
    let (trainer, webhooks) = match training {
        Some(t) => (Some(t.task), t.webhooks),
        None => (None, None),
    };
    let server = listener.map(|l| {
        let mut router = crate::http::health_router(Arc::new(health.clone()));
        if let Some(w) = webhooks {
            router = router.merge(w);
        }
        admin::spawn_server(l, router, stop.clone())
    });
    (trainer, server)
}

fn log_seed(cfg: &Config) {
    if cfg.seed_is_random {
        tracing::info!(
            seed = %cfg.seed,
            "no TICKETSIM_SEED set; using a random seed (set it to reproduce this run)"
        );
    } else {
        tracing::info!(seed = %cfg.seed, "seed");
    }
}

/// The dispatcher as `run` configures it.
fn dispatcher_config(cfg: &Config, metrics: &Arc<Metrics>) -> DispatcherConfig {
    DispatcherConfig {
        content: Content {
            library: cfg.library.clone(),
            playbooks: cfg.playbooks.clone(),
            offsets: cfg.stage_offsets,
            tag: cfg.tag.clone(),
        },
        workers: workers_for_rate(cfg.rate_per_min),
        // Slots from `ticketsim spawn` (another process) are found by polling.
        max_idle_ms: SPAWN_POLL_MS,
        reconcile_after_ms: 2 * cfg.client.request_timeout.as_millis() as i64,
        backoff_base_ms: cfg.client.retry_backoff_ms.0,
        backoff_cap_ms: cfg.client.retry_backoff_ms.1,
        metrics: Some(metrics.clone()),
        wedge_file: cfg.test_wedge_file.clone(),
        trainee_group: cfg.training.trainee_group.clone(),
        ..Default::default()
    }
}

/// Crash recovery, then (unless draining) the missed-slot catch-up and the cron.
async fn start_work(
    d: &Daemon,
    cfg: &Config,
    opts: &RunOptions,
    clock: &Arc<dyn Clock>,
) -> Result<(), AppError> {
    d.dispatcher.recover().await?;
    if !opts.drain {
        d.triggers
            .catch_up(clock.now_ms(), cfg.catchup_window_ms)
            .await?;
        d.triggers.spawn(clock.clone()).await?;
    }
    Ok(())
}

/// Runs the dispatcher until a stop (or, with `drain`, until nothing is left).
async fn work_until_stopped(
    d: &Daemon,
    drain: bool,
    stop: watch::Receiver<bool>,
) -> Result<(), crate::dispatcher::DispatchError> {
    let (dispatch_stop, dispatch_rx) = watch::channel(false);
    let stopper = tokio::spawn(stop_triggers_then_dispatcher(
        stop,
        d.triggers.clone(),
        dispatch_stop,
    ));
    let result = d.dispatcher.run(dispatch_rx, drain).await;
    notify_systemd(&[sd_notify::NotifyState::Stopping]);
    // After a drain nobody asked to stop: the triggers were never started.
    stopper.abort();
    result
}

/// On stop, stops the cron triggers first (once `Triggers::stop` returns no
/// slot can start), then tells the dispatcher to stop claiming. A closed
/// channel counts as a stop.
async fn stop_triggers_then_dispatcher(
    mut stop: watch::Receiver<bool>,
    triggers: Triggers,
    dispatcher: watch::Sender<bool>,
) {
    while !crate::dispatcher::stop_requested(&stop) {
        if stop.changed().await.is_err() {
            break;
        }
    }
    // Said at once: a wedged dispatcher must not delay it.
    notify_systemd(&[sd_notify::NotifyState::Stopping]);
    triggers.stop().await;
    tracing::info!("cron triggers stopped; no slot starts from now on");
    let _ = dispatcher.send(true);
}

/// Sends a state to systemd when run as a `Type=notify` service; a no-op otherwise.
fn notify_systemd(states: &[sd_notify::NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "could not notify systemd");
    }
}

/// A watch channel that turns true on SIGINT or SIGTERM. A second signal
/// exits the process at once (the next start reconciles what was in hand).
/// Nothing here can panic on a failed log write, and the sender lives for the
/// whole process, so the channel never closes by accident.
pub fn stop_on_signals() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    let first = wait_for_signal();
    tokio::spawn(async move {
        first.await;
        tracing::info!("stop requested; stopping the cron triggers, then the steps in hand");
        let _ = tx.send(true);
        wait_for_signal().await;
        tracing::warn!("second stop request; exiting at once");
        std::process::exit(130);
    });
    rx
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM. The handlers are
/// installed when this is called, not when the future is first polled: a
/// signal sent right after the caller announced it is ready (the emulator's
/// first line) is then a stop request, never the default "terminate now".
/// Call it inside the runtime.
#[cfg(unix)]
pub fn wait_for_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate()).ok();
    let int = signal(SignalKind::interrupt()).ok();
    async move {
        let next = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = next(term) => {}
            () = next(int) => {}
        }
    }
}

/// Resolves on the first Ctrl-C.
#[cfg(not(unix))]
pub fn wait_for_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Sleeps for `d` or until stopped, whichever is first.
pub async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stop.changed() => {}
    }
}
