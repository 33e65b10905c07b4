//! The only module that writes SQL. SQLite through sqlx, one writer connection,
//! WAL, `synchronous=FULL` (a lost commit would mean a duplicate ticket), and an
//! exclusive lock file so that two daemons never share one database.

#[cfg(test)]
mod fixtures;
mod lifecycles;
mod lock;
mod messages;
#[cfg(test)]
mod plan_tests;
mod purge;
mod report;
mod schedule;

pub use lifecycles::{Lifecycle, Plan, PlannedMessage, PlannedStep};
pub use lock::DbLock;
pub use messages::Message;
pub use purge::{PurgeKind, PurgeOutcome};
pub use report::{ExportMessage, ExportRecord, FailedLifecycle, NextStep, Status, StepRow};
pub use schedule::ClaimedStep;

use std::path::{Path, PathBuf};
use std::str::FromStr;
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
        "database {path} is in use by another ticketsim (lock file {lock} is held): stop the other process first"
    )]
    Locked { path: PathBuf, lock: PathBuf },
    #[error("database {path} is busy (locked by another process): {detail}; retry once it is done")]
    Busy { path: PathBuf, detail: String },
    #[error("cannot open database {path}: {detail}")]
    Open { path: PathBuf, detail: String },
    #[error("database schema of {path} could not be migrated: {detail}")]
    Migrate { path: PathBuf, detail: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("database holds an unexpected value: {0}")]
    Data(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Handle to the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Opens (creating if needed) the database for writing and migrates it. The
    /// caller holds a [`DbLock`] for as long as it writes.
    pub async fn open(path: &Path) -> Result<Store> {
        let opts = base_options(path)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let store = Self::connect(path, opts).await?;
        MIGRATOR
            .run(&store.pool)
            .await
            .map_err(|e| classify_migrate(path, e))?;
        Ok(store)
    }

    /// Opens an existing database read-only, for `status`, `show` and `export`,
    /// which may run while the daemon writes.
    pub async fn open_read_only(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let opts = base_options(path)?.read_only(true);
        let store = Self::connect(path, opts).await?;
        // A read proves the file is a database with our schema.
        sqlx::query("SELECT COUNT(*) FROM lifecycles")
            .fetch_one(&store.pool)
            .await
            .map_err(|e| classify(path, e))?;
        Ok(store)
    }

    async fn connect(path: &Path, opts: SqliteConnectOptions) -> Result<Store> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(|e| classify(path, e))?;
        Ok(Store {
            pool,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn base_options(path: &Path) -> Result<SqliteConnectOptions> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_garbage_file_is_reported_as_not_a_ticketsim_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.db");
        std::fs::write(&path, vec![b'x'; 8192]).unwrap();
        let err = Store::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("bad.db"));
        // left untouched
        assert_eq!(std::fs::read(&path).unwrap(), vec![b'x'; 8192]);
        let err = Store::open_read_only(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }

    #[tokio::test]
    async fn read_only_open_of_a_missing_file_says_how_to_create_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open_read_only(&dir.path().join("none.db"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("ticketsim demo"), "{err}");
        assert!(!dir.path().join("none.db").exists());
    }

    /// Rows as the daemon wrote them before playbooks: one lifecycle planned and
    /// half done, one not planned yet (all five steps were inserted with the slot).
    const BEFORE_PLAYBOOKS: &[&str] = &[
        "INSERT INTO slots VALUES (1, 1000, 'started', 1000, NULL), (2, 2000, 'started', 2000, NULL)",
        "INSERT INTO lifecycles (id, slot_id, state, seed, created_at, updated_at, contact_id,
         contact_name, agent_id, agent_name, subject, tags, ticket_id)
         VALUES (1, 1, 'agent_replied', 5, 1000, 1500, 11, 'Nadia', 22, 'Omar', 'Hi', '[]', 7)",
        "INSERT INTO lifecycles (id, slot_id, state, seed, created_at, updated_at)
         VALUES (2, 2, 'scheduled', 6, 2000, 2000)",
        "INSERT INTO steps (lifecycle_id, seq, stage, offset_ms, due_at, state) VALUES
         (1, 0, 'create', 0, 1000, 'done'), (1, 1, 'agent_reply', 5, 1005, 'done'),
         (1, 2, 'customer_reply', 10, 1010, 'pending'), (1, 3, 'resolve', 15, 1015, 'pending'),
         (1, 4, 'close', 20, 1020, 'pending'),
         (2, 0, 'create', 0, 2000, 'pending'), (2, 1, 'agent_reply', 5, 2005, 'pending'),
         (2, 2, 'customer_reply', 10, 2010, 'pending'), (2, 3, 'resolve', 15, 2015, 'pending'),
         (2, 4, 'close', 20, 2020, 'pending')",
        "INSERT INTO messages (lifecycle_id, stage, author_kind, author_id, body, sent_at,
         fd_conversation_id) VALUES
         (1, 'create', 'customer', 11, 'd', 1000, NULL), (1, 'agent_reply', 'agent', 22, 'a', 1005, 90),
         (1, 'customer_reply', 'customer', 11, 'c', NULL, NULL), (1, 'resolve', 'agent', 22, 'r', NULL, NULL)",
    ];

    #[tokio::test]
    async fn a_database_from_before_playbooks_is_migrated_keeping_its_history() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first");
        std::fs::create_dir(&first).unwrap();
        std::fs::write(
            first.join("20261121000000_initial.sql"),
            include_str!("../../migrations/20261121000000_initial.sql"),
        )
        .unwrap();
        let path = dir.path().join("old.db");
        let opts = base_options(&path).unwrap().create_if_missing(true);
        let pool = SqlitePoolOptions::new().connect_with(opts).await.unwrap();
        let old = sqlx::migrate::Migrator::new(first.as_path()).await.unwrap();
        old.run(&pool).await.unwrap();
        for sql in BEFORE_PLAYBOOKS {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;

        let s = Store::open(&path).await.unwrap();
        let l = s.lifecycle(1).await.unwrap();
        assert_eq!(l.plan.unwrap().playbook, "classic");
        let m = s
            .message(1, crate::domain::Stage::AgentReply)
            .await
            .unwrap();
        assert_eq!(
            (m.step_seq, m.fd_conversation_id, m.private),
            (1, Some(90), false)
        );
        assert_eq!(s.step_message(1, 3).await.unwrap().body, "r");
        assert_eq!(
            s.steps(1).await.unwrap().len(),
            5,
            "a planned lifecycle keeps its steps"
        );
        assert_eq!(
            s.steps(2).await.unwrap().len(),
            1,
            "an unplanned one keeps creation"
        );
        let next = s.claim_due(5_000, 10).await.unwrap();
        let kinds: Vec<_> = next.iter().map(|c| (c.lifecycle_id, c.seq)).collect();
        assert_eq!(kinds, [(1, 2), (2, 0)]);
    }

    #[tokio::test]
    async fn opening_twice_keeps_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        Store::open(&path).await.unwrap().close().await;
        let s = Store::open(&path).await.unwrap();
        assert_eq!(s.status(0).await.unwrap().total, 0);
    }
}

impl Store {
    /// Reads a fact about the database (`meta` table).
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// True when the database holds no lifecycle at all.
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lifecycles")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }
}
