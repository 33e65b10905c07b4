//! How the store's connections are made: SQLite's process-wide settings,
//! connect options, pools, and the errors of opening and migrating, named
//! with the file and a remedy.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::{Result, StoreError};

/// A pool of connections to one local file that are never closed for being
/// idle or old: sqlx then runs no maintenance task. That task can spin at
/// 100% CPU for good after a rare race in sqlx 0.8's idle count
/// (transact-rs/sqlx#3645, fixed upstream in #4289, not released): seen here
/// once, a `status --json` of the crash suite spinning for ten minutes.
pub(super) fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .idle_timeout(None)
        .max_lifetime(None)
        .min_connections(0)
}

pub(super) fn base_options(path: &Path) -> Result<SqliteConnectOptions> {
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
pub(super) fn classify(path: &Path, e: sqlx::Error) -> StoreError {
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

pub(super) fn classify_migrate(path: &Path, e: sqlx::migrate::MigrateError) -> StoreError {
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
pub(super) async fn healthy(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}
