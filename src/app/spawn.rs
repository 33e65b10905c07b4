//! `ticketsim spawn`: start lifecycles now, beside the cron, through the same
//! durable path: slot rows in the database, which a running daemon finds
//! within [`super::SPAWN_POLL_MS`] (or the next `run` picks up).

use crate::clock::UnixMs;
use crate::config::Config;
use crate::store::{DbLock, SlotRequest, SlotSource, SlotStart, Store, StoreError};

use super::AppError;

/// The most lifecycles one `spawn` starts.
pub const MAX_SPAWN: u32 = 1_000;

/// What `spawn` was asked for.
#[derive(Debug, Clone, Default)]
pub struct SpawnOptions {
    pub count: u32,
    /// A playbook of the library; `None` lets the plan choose as the cron's slots do.
    pub playbook: Option<String>,
}

/// What `spawn` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpawnSummary {
    /// The lifecycle ids started.
    pub started: Vec<i64>,
    /// Slots recorded as skipped because of the daily cap.
    pub capped: u32,
    /// Why they were skipped (the cap's note).
    pub cap_note: Option<String>,
}

/// Inserts `opts.count` slots due at `now`, each checked against the daily cap.
/// The database must exist already (a mistyped --db makes no new file).
pub async fn spawn(
    cfg: &Config,
    opts: &SpawnOptions,
    now: UnixMs,
) -> Result<SpawnSummary, AppError> {
    if let Some(p) = &opts.playbook {
        check_playbook(cfg, p)?;
    }
    if !cfg.db_path.exists() {
        return Err(StoreError::Missing {
            path: cfg.db_path.clone(),
        }
        .into());
    }
    // With no daemon running, migrate under the lock as the daemon would;
    // beside a running daemon (it holds the lock), write to its schema as is.
    let (store, _lock) = match DbLock::acquire(&cfg.db_path) {
        Ok(lock) => (Store::open(&cfg.db_path).await?, Some(lock)),
        Err(StoreError::Locked { .. }) => (Store::open_current(&cfg.db_path).await?, None),
        Err(e) => return Err(e.into()),
    };
    let result = insert_slots(&store, cfg, opts, now).await;
    store.close().await;
    result
}

async fn insert_slots(
    store: &Store,
    cfg: &Config,
    opts: &SpawnOptions,
    now: UnixMs,
) -> Result<SpawnSummary, AppError> {
    let mut summary = SpawnSummary::default();
    let mut at = now;
    for _ in 0..opts.count.min(MAX_SPAWN) {
        let req = SlotRequest {
            at,
            now,
            run_seed: cfg.seed,
            source: SlotSource::Spawn,
            playbook: opts.playbook.as_deref(),
            daily_cap: cfg.max_tickets_per_day,
            lifecycles: 1,
        };
        let (used, outcome) = store.spawn_slot(&req).await?;
        match outcome {
            SlotStart::Started(ids) => summary.started.extend(ids),
            SlotStart::Capped(note) => {
                summary.capped += 1;
                summary.cap_note = Some(note);
            }
            SlotStart::Exists => {}
        }
        at = used + 1;
    }
    Ok(summary)
}

fn check_playbook(cfg: &Config, name: &str) -> Result<(), AppError> {
    let known = cfg.library.playbook_names();
    if known.iter().any(|k| k == name) {
        return Ok(());
    }
    Err(AppError::Usage(format!(
        "--playbook: unknown playbook \"{name}\"; expected one of: {}",
        known.join(", ")
    )))
}
