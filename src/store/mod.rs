//! The only module that writes SQL. SQLite through sqlx, one writer connection,
//! WAL, `synchronous=FULL` (a lost commit would mean a duplicate ticket), and an
//! exclusive lock file so that two daemons never share one database.

mod analytics;
#[cfg(test)]
mod chain_tests;
mod claims;
mod connect;
use connect::{base_options, classify, classify_migrate, healthy, pool_options};
#[cfg(test)]
mod claims_tests;
#[cfg(test)]
mod fixtures;
mod health;
mod identity;
mod lifecycles;
mod lock;
mod marks;
mod messages;
#[cfg(test)]
mod open_tests;
mod outcomes;
#[cfg(test)]
mod plan_tests;
mod purge;
mod report;
mod schedule;
mod slots;
mod sync_read;
use sync_read::ReadMode;
mod sync_write;
mod timing;
mod training;
#[cfg(test)]
mod training_tests;

pub use analytics::{LifecycleFacts, Period, StepCount, StepTiming};
pub use claims::{ClaimOptions, ClaimedStep, DEFAULT_LEASE_MS, LeasedStep, NewTickets};
pub use health::in_flight;
pub use identity::APPLICATION_ID;
pub use lifecycles::{Lifecycle, Plan, PlannedMessage, PlannedStep};
pub use lock::DbLock;
pub use marks::Mark;
pub use messages::Message;
pub use outcomes::{StepWrite, Written};
pub use purge::{PurgeKind, PurgeOutcome};
pub use report::{
    ExportLifecycle, ExportMessage, ExportRecord, FailedLifecycle, LifecycleFilter, NextStep,
    Status, StepRow,
};
pub use slots::{DAY_MS, SkippedSlot, SlotRequest, SlotSource, SlotStart, utc_day_start};
pub use training::{InboxEvent, InboxRow, ReactionWrite, TrainingTicket};

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "database {path} does not exist: run `ticketsim run` or `ticketsim demo` first, or point --db / TICKETSIM_DB at the right file"
    )]
    Missing { path: PathBuf },
    #[error(
        "database {path} is not a ticketsim database ({detail}): restore it from a backup or point --db / TICKETSIM_DB elsewhere"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "database {path} belongs to another program ({detail}); ticketsim left it untouched: point --db / TICKETSIM_DB at a ticketsim database or a new file"
    )]
    Foreign { path: PathBuf, detail: String },
    #[error(
        "database {path}: directory {dir} does not exist: create it, or point --db / TICKETSIM_DB elsewhere"
    )]
    NoDirectory { path: PathBuf, dir: PathBuf },
    #[error(
        "database {path} is in use by another ticketsim ({holder} holds lock file {lock}): stop the other process first"
    )]
    Locked {
        path: PathBuf,
        lock: PathBuf,
        holder: String,
    },
    #[error("database {path} is busy (locked by another process): {detail}; retry once it is done")]
    Busy { path: PathBuf, detail: String },
    #[error("cannot open database {path}: {detail}")]
    Open { path: PathBuf, detail: String },
    #[error("database schema of {path} could not be migrated: {detail}")]
    Migrate { path: PathBuf, detail: String },
    #[error(
        "database {path} was made by a newer ticketsim (schema version {version}, unknown to this one): upgrade ticketsim, or pass another --db"
    )]
    Newer { path: PathBuf, version: i64 },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A write on the writer connection's own handle failed (see `sync_write`).
    #[error("database write failed: {0}")]
    Write(String),
    /// A read on a reader connection of `sync_read` failed.
    #[error("database read failed: {0}")]
    Read(String),
    #[error("database holds an unexpected value: {0}")]
    Data(String),
}

impl StoreError {
    /// True when the user must fix something (the wrong file, a missing
    /// directory) rather than wait or retry: such errors exit with 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            StoreError::Missing { .. }
                | StoreError::Locked { .. }
                | StoreError::Newer { .. }
                | StoreError::Corrupt { .. }
                | StoreError::Foreign { .. }
                | StoreError::NoDirectory { .. }
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Handle to the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// For the reads on the engine's hot path: in WAL mode they need not wait
    /// behind the writer connection's transactions. The same pool as `pool`
    /// unless the store was opened for writing.
    reads: SqlitePool,
    /// Where lifecycles and messages are read (`sync_read`).
    hot: Arc<sync_read::Readers>,
    path: PathBuf,
    writable: bool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Opens (creating if needed) the database for writing and migrates it. The
    /// caller holds a [`DbLock`] for as long as it writes. Another program's
    /// database is refused untouched ([`StoreError::Foreign`]).
    pub async fn open(path: &Path) -> Result<Store> {
        let kind = identity::inspect(path).await?;
        if matches!(kind, identity::Kind::Absent | identity::Kind::Empty) {
            // Stamped before WAL mode, so the id is in the main file from the start.
            let opts = base_options(path)?
                .create_if_missing(true)
                .pragma("application_id", APPLICATION_ID.to_string());
            Self::connect(path, opts, ReadMode::Writable)
                .await?
                .pool
                .close()
                .await;
        }
        let opts = base_options(path)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let mut store = Self::connect(path, opts.clone(), ReadMode::Writable).await?;
        store.writable = true;
        MIGRATOR
            .run(&store.pool)
            .await
            .map_err(|e| classify_migrate(path, e))?;
        store.reads = Self::readers(opts);
        if kind == identity::Kind::Legacy {
            sqlx::query(&format!("PRAGMA application_id = {APPLICATION_ID}"))
                .execute(&store.pool)
                .await?;
        }
        Ok(store)
    }

    /// Opens an existing, fully migrated database for writing without
    /// migrating it: for a short writer beside a running daemon (`spawn`),
    /// which holds the lock and is the one to migrate. A schema not yet up to
    /// date is [`StoreError::Busy`]: the daemon is migrating it at its start.
    pub async fn open_current(path: &Path) -> Result<Store> {
        if identity::inspect(path).await? == identity::Kind::Absent {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let opts = base_options(path)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let mut store = Self::connect(path, opts.clone(), ReadMode::Writable).await?;
        store.writable = true;
        store.reads = Self::readers(opts);
        let latest = MIGRATOR.iter().map(|m| m.version).max();
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&store.pool)
                .await
                .unwrap_or(None);
        if applied != latest {
            store.pool.close().await;
            return Err(StoreError::Busy {
                path: path.to_path_buf(),
                detail:
                    "its schema is not up to date yet (the running daemon migrates it as it starts)"
                        .into(),
            });
        }
        Ok(store)
    }

    /// Refuses a path that `open` would refuse, before anything (a lock file)
    /// is created beside it.
    pub async fn check_path(path: &Path) -> Result<()> {
        identity::inspect(path).await.map(|_| ())
    }

    /// Opens an existing database read-only, for `status`, `show` and `export`,
    /// which may run while the daemon writes. In a directory the user cannot
    /// write (no `-shm` can be made) it falls back to `immutable`.
    pub async fn open_read_only(path: &Path) -> Result<Store> {
        match identity::inspect(path).await? {
            identity::Kind::Absent => {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                });
            }
            identity::Kind::Empty => {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: "it is empty".into(),
                });
            }
            identity::Kind::Ours | identity::Kind::Legacy => {}
        }
        let opts = base_options(path)?.read_only(true);
        match Self::connect_and_read(path, opts.clone(), ReadMode::ReadOnly).await {
            Ok(store) => Ok(store),
            Err(e @ (StoreError::Busy { .. } | StoreError::Corrupt { .. })) => Err(e),
            Err(_) => {
                let opts = opts.immutable(true);
                Self::connect_and_read(path, opts, ReadMode::Immutable).await
            }
        }
    }

    async fn connect_and_read(
        path: &Path,
        opts: SqliteConnectOptions,
        mode: ReadMode,
    ) -> Result<Store> {
        let store = Self::connect(path, opts, mode).await?;
        // A read proves the file is a database with our schema.
        let read = sqlx::query("SELECT COUNT(*) FROM lifecycles")
            .fetch_one(&store.pool)
            .await;
        if let Err(e) = read {
            store.pool.close().await;
            return Err(classify(path, e));
        }
        Ok(store)
    }

    async fn connect(path: &Path, opts: SqliteConnectOptions, mode: ReadMode) -> Result<Store> {
        let pool = pool_options()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            // sqlx would ping the connection's thread at every acquire (a
            // round trip between threads); `healthy` pings only when needed.
            .test_before_acquire(false)
            .before_acquire(|conn, _| Box::pin(healthy(conn)))
            .connect_with(opts)
            .await
            .map_err(|e| classify(path, e))?;
        Ok(Store {
            reads: pool.clone(),
            pool,
            hot: Arc::new(sync_read::Readers::new(path, mode)),
            path: path.to_path_buf(),
            writable: false,
        })
    }

    /// Two more connections for reads only (`query_only`), opened lazily.
    fn readers(opts: SqliteConnectOptions) -> SqlitePool {
        pool_options()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect_lazy_with(opts.pragma("query_only", "ON"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Folds the WAL into the main file. A reader in the middle of a read (a
    /// `status`, a backup tool) makes SQLite answer "busy" rather than wait:
    /// tried again for up to 2 s, then left (the WAL is then kept, and is
    /// folded in at the next start).
    async fn checkpoint_at_close(&self) {
        for _ in 0..20 {
            let done: std::result::Result<(i64, i64, i64), sqlx::Error> =
                sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&self.pool)
                    .await;
            match done {
                Ok((0, _, _)) => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => {
                    tracing::warn!(error = %e, db = %self.path.display(), "could not checkpoint the database at close");
                    return;
                }
            }
        }
        tracing::warn!(db = %self.path.display(), "a reader kept the database busy at close: its WAL is kept and folded in at the next start");
    }

    /// Closes the pool; a writer first folds the WAL into the main file
    /// (`wal_checkpoint(TRUNCATE)`), so that the `.db` alone is a complete copy.
    pub async fn close(&self) {
        self.hot.close();
        if self.writable && !self.pool.is_closed() {
            self.checkpoint_at_close().await;
        }
        self.reads.close().await;
        self.pool.close().await;
    }
}

/// Reads a TEXT column into one of the domain's string-backed enums.
fn parse_text<T: FromStr<Err = String>>(s: &str) -> Result<T> {
    s.parse().map_err(StoreError::Data)
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    /// A fresh database in a temporary directory (kept alive by the returned guard).
    pub async fn temp_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        (store, dir)
    }
}
