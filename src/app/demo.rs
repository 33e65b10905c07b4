//! `ticketsim demo`: the whole daemon against the built-in emulator, on a fast
//! schedule (a ticket every 10 s, steps at +5/+10/+15/+20 s), printing a line
//! per step. Needs no configuration.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::{AppError, Daemon, Schedule, client_for};
use crate::clock::{Clock, SystemClock, format_iso};
use crate::content::Selection;
use crate::dispatcher::{Content, DispatcherConfig, Outcome, StepEvent};
use crate::domain::StageOffsets;
use crate::emulator::{Emulator, EmulatorConfig};
use crate::freshdesk::ApiKey;
use crate::store::{APPLICATION_ID, DbLock, Store};

pub const DEMO_CRON: &str = "*/10 * * * * *";
pub const DEMO_OFFSETS: StageOffsets = StageOffsets([5_000, 10_000, 15_000, 20_000]);

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub db: PathBuf,
    /// Stop after this long; `None` runs until Ctrl-C.
    pub duration: Option<Duration>,
    pub seed: u64,
    /// The playbooks the demo's lifecycles follow (`classic` by default).
    pub playbooks: Selection,
}

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub db: PathBuf,
    pub by_state: Vec<(String, i64)>,
    pub messages: usize,
    pub requests: usize,
}

/// Runs the demo until `duration` elapses or `stop` turns true.
pub async fn demo(
    opts: DemoOptions,
    mut stop: watch::Receiver<bool>,
    out: impl Write + Send + 'static,
) -> Result<DemoSummary, AppError> {
    prepare_demo_db(&opts.db).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let emu_cfg = EmulatorConfig {
        api_key: format!("demo-{:016x}", rand::random::<u64>()),
        seed: opts.seed,
        agents: 4,
        contacts: 12,
        rate_per_min: 100_000,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::new(emu_cfg, clock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| AppError::Io(format!("cannot open a loopback port for the emulator: {e}")))?;
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .map_err(|e| AppError::Io(e.to_string()))?
    );
    let (emu_stop_tx, emu_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(emulator.clone().serve(listener, async {
        let _ = emu_stop_rx.await;
    }));

    let client = client_for(&url, ApiKey::new(emulator.api_key()), 6_000)?;
    let dcfg = DispatcherConfig {
        content: Content {
            playbooks: opts.playbooks.clone(),
            ..Content::default()
        },
        backoff_base_ms: 500,
        backoff_cap_ms: 5_000,
        max_idle_ms: 1_000,
        ..Default::default()
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let schedule = Schedule {
        cron: DEMO_CRON.to_string(),
        seed: opts.seed,
        offsets: DEMO_OFFSETS,
    };
    let d = Daemon::build(&opts.db, client, clock.clone(), &schedule, dcfg, Some(tx)).await?;
    d.store.set_meta("mode", "demo").await?;
    let printer = tokio::spawn(print_events(rx, out));

    let (run_tx, run_rx) = watch::channel(false);
    let timer = opts.duration;
    tokio::spawn(async move {
        match timer {
            Some(t) => super::sleep_or_stop(t, &mut stop).await,
            None => {
                let _ = stop.changed().await;
            }
        }
        let _ = run_tx.send(true);
    });

    let now = clock.now_ms();
    d.triggers.start_slot(now, now).await?;
    let mut sched = d.triggers.spawn(clock.clone()).await?;
    d.dispatcher.recover().await?;
    let result = d.dispatcher.run(run_rx, false).await;
    let _ = sched.shutdown().await;
    result?;

    let status = d.store.status(clock.now_ms()).await?;
    let messages = count_sent(&d.store).await?;
    let requests = emulator.requests().len();
    drop(d.dispatcher);
    let _ = printer.await;
    let _ = emu_stop_tx.send(());
    let _ = server.await;
    d.store.close().await;
    Ok(DemoSummary {
        db: opts.db,
        by_state: status.by_state,
        messages,
        requests,
    })
}

/// The demo owns its database: an earlier demo database (ticketsim's
/// application id and `meta` mode = demo) is kept as `<db>.prev`; anything else
/// is refused and left untouched.
async fn prepare_demo_db(db: &Path) -> Result<(), AppError> {
    if !db.exists() {
        return Ok(());
    }
    Store::check_path(db).await?;
    let lock = DbLock::acquire(db)?;
    let store = Store::open_read_only(db).await?;
    let is_demo = store.meta("mode").await? == Some("demo".to_string());
    let stamped = store.application_id().await? == APPLICATION_ID;
    store.close().await;
    let refuse = |why: &str| {
        AppError::Usage(format!(
            "--db {}: {why}; the demo only replaces databases it created itself: pick another path",
            db.display()
        ))
    };
    match (is_demo, stamped) {
        (true, true) => {}
        (true, false) => {
            return Err(refuse(
                "a demo database of an older ticketsim (remove it yourself if you no longer need it)",
            ));
        }
        (false, _) => {
            return Err(refuse(
                "this database belongs to `ticketsim run`, not to a demo",
            ));
        }
    }
    let prev = keep_as_prev(db)?;
    eprintln!(
        "ticketsim demo: the previous demo database is kept as {}",
        prev.display()
    );
    drop(lock);
    Ok(())
}

/// Moves `db` (and its `-wal`/`-shm`, if any) to `<db>.prev`, replacing an
/// older `.prev`.
fn keep_as_prev(db: &Path) -> Result<PathBuf, AppError> {
    let with = |base: &Path, suffix: &str| {
        let mut p = base.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    let prev = with(db, ".prev");
    for suffix in ["-wal", "-shm", ""] {
        let (from, to) = (with(db, suffix), with(&prev, suffix));
        let result = match std::fs::remove_file(&to) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ if from.exists() => std::fs::rename(&from, &to),
            _ => Ok(()),
        };
        result.map_err(|e| {
            AppError::Io(format!(
                "cannot move the old demo database {} to {}: {e}",
                from.display(),
                to.display()
            ))
        })?;
    }
    Ok(prev)
}

async fn count_sent(store: &Store) -> Result<usize, AppError> {
    let mut after = 0;
    let mut n = 0;
    loop {
        let page = store.lifecycles_after(after, 200).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for l in &page {
            n += store.export_record(l).await?.messages.len();
        }
    }
    Ok(n)
}

/// One readable line per step, as it happens.
async fn print_events(mut rx: mpsc::UnboundedReceiver<StepEvent>, mut out: impl Write) {
    while let Some(e) = rx.recv().await {
        let time = format_iso(e.at);
        let time = time.get(11..19).unwrap_or(&time);
        let ticket = e
            .ticket_id
            .map_or("  -".to_string(), |t| format!("#{t:<3}"));
        let line = match &e.outcome {
            Outcome::Done(what) => format!("{time}  {ticket} {:<15} {what}", e.stage.label()),
            Outcome::Retry { error, .. } => format!(
                "{time}  {ticket} {:<15} will retry: {error}",
                e.stage.label()
            ),
            Outcome::Ended { state, reason } => {
                format!("{time}  {ticket} {:<15} {state}: {reason}", e.stage.label())
            }
        };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
