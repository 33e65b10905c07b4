//! The only module that writes SQL. SQLite through sqlx, one writer connection,
//! WAL, `synchronous=FULL` (a lost commit would mean a duplicate ticket), and an
//! exclusive lock file so that two daemons never share one database.

mod lifecycles;
mod lock;
mod messages;
mod report;
mod schedule;

pub use lifecycles::{Lifecycle, Plan, PlannedMessage, PlannedStep};
pub use messages::Message;
pub use lock::DbLock;
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
