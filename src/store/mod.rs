//! The only module that writes SQL. SQLite through sqlx, one writer connection,
//! WAL, `synchronous=FULL` (a lost commit would mean a duplicate ticket), and an
//! exclusive lock file so that two daemons never share one database.

mod analytics;
#[cfg(test)]
mod chain_tests;
mod claims;
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
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

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

    /// Closes the pool; a writer first folds the WAL into the main file
    /// (`wal_checkpoint(TRUNCATE)`), so that the `.db` alone is a complete copy.
    pub async fn close(&self) {
        self.hot.close();
        if self.writable && !self.pool.is_closed() {
            let done = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await;
            if let Err(e) = done {
                tracing::warn!(error = %e, db = %self.path.display(), "could not checkpoint the database at close");
            }
        }
        self.reads.close().await;
        self.pool.close().await;
    }
}

/// A pool of connections to one local file that are never closed for being
/// idle or old: sqlx then runs no maintenance task. That task can spin at
/// 100% CPU for good after a rare race in sqlx 0.8's idle count
/// (transact-rs/sqlx#3645, fixed upstream in #4289, not released): seen here
/// once, a `status --json` of the crash suite spinning for ten minutes.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .idle_timeout(None)
        .max_lifetime(None)
        .min_connections(0)
}

fn base_options(path: &Path) -> Result<SqliteConnectOptions> {
    configure_sqlite();
    let url = format!("sqlite://{}", path.display());
    let opts = SqliteConnectOptions::from_str(&url)
        .map_err(|e| StoreError::Open {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    Ok(opts)
}

/// Turns SQLite's memory statistics off, once, before its first connection.
/// They are on by default and take one process-wide mutex around every
/// allocation SQLite makes: the outcome writer and the hot reads on the
/// runtime's workers then wait on each other (profiled: the writer's
/// commonest wait in a load run). No part of ticketsim reads them.
pub(super) fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called before any connection is opened (every one is opened
        // through `base_options`), which is when `sqlite3_config` may be
        // called; if SQLite was initialised already it answers SQLITE_MISUSE
        // and changes nothing.
        let rc =
            unsafe { rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0) };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(rc, "SQLite memory statistics stay on");
        }
    });
}

/// Turns sqlx's errors into ones that name the file and the remedy.
fn classify(path: &Path, e: sqlx::Error) -> StoreError {
    let text = e.to_string();
    let path = path.to_path_buf();
    if text.contains("not a database")
        || text.contains("malformed")
        || text.contains("no such table")
    {
        StoreError::Corrupt { path, detail: text }
    } else if text.contains("locked") || text.contains("busy") {
        StoreError::Busy { path, detail: text }
    } else {
        StoreError::Open { path, detail: text }
    }
}

fn classify_migrate(path: &Path, e: sqlx::migrate::MigrateError) -> StoreError {
    match e {
        sqlx::migrate::MigrateError::Execute(inner) => classify(path, inner),
        sqlx::migrate::MigrateError::VersionMissing(version) => StoreError::Newer {
            path: path.to_path_buf(),
            version,
        },
        other => {
            let text = other.to_string();
            if text.contains("not a database") {
                StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: text,
                }
            } else {
                StoreError::Migrate {
                    path: path.to_path_buf(),
                    detail: text,
                }
            }
        }
    }
}

/// Whether the pooled connection may be handed out again. A COMMIT that
/// failed (disk full, I/O error) can leave sqlx counting a transaction that
/// SQLite already rolled back; every later `begin` on that connection would
/// fail. Such a connection is closed and the pool opens a fresh one. The
/// transaction depth is read without a round trip to the connection's worker;
/// only when it is not zero does a ping let the worker run any rollback still
/// queued (a dropped transaction's) before the depth is read again.
async fn healthy(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
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
