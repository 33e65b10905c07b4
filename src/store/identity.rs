//! Recognising ticketsim's own databases before SQLite touches them, so that
//! another program's file is never migrated, stamped or replaced.
//!
//! A database created by ticketsim carries [`APPLICATION_ID`] in its header
//! (`PRAGMA application_id`). One created before that (application id 0) is
//! recognised by sqlx's migrations table beside ticketsim's own tables, and
//! stamped when opened for writing. Anything else non-empty is foreign.

use std::io::Read;
use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;

use super::{Result, Store, StoreError};

/// ASCII "TSIM", written at offset 68 of the database header.
pub const APPLICATION_ID: i32 = 0x5453_494D;

const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Tables that only a ticketsim database holds together.
const OUR_TABLES: [&str; 5] = ["_sqlx_migrations", "lifecycles", "steps", "slots", "meta"];

/// What a path holds, as far as ticketsim is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// No file: it may be created.
    Absent,
    /// A zero-length file, or an SQLite database without any table.
    Empty,
    /// Stamped with our application id.
    Ours,
    /// Ours from before the application id (0, but our migrations and tables).
    Legacy,
}

/// Finds out what `path` holds without writing anything next to it (the
/// header is read as bytes; tables are listed through an `immutable` open).
/// A foreign or non-SQLite file is an error naming the file.
pub(super) async fn inspect(path: &Path) -> Result<Kind> {
    super::connect::configure_sqlite();
    require_directory(path)?;
    let Some(header) = read_header(path)? else {
        return Ok(Kind::Absent);
    };
    if header.is_empty() {
        return Ok(Kind::Empty);
    }
    if header.len() < 100 || &header[..16] != MAGIC {
        return Err(foreign(path, "it is not an SQLite database"));
    }
    let app_id = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    if app_id == APPLICATION_ID {
        return Ok(Kind::Ours);
    }
    if app_id != 0 {
        return Err(foreign(
            path,
            &format!("its application_id is {app_id:#010x}, another program's"),
        ));
    }
    let tables = list_tables(path).await?;
    if tables.is_empty() && !has_wal(path) {
        return Ok(Kind::Empty);
    }
    if OUR_TABLES.iter().all(|t| tables.iter().any(|n| n == t)) {
        return Ok(Kind::Legacy);
    }
    let mut names = tables.join(", ");
    if names.is_empty() {
        names = "a write-ahead log of another program".into();
    }
    Err(foreign(path, &format!("it holds {names}")))
}

/// A database path whose directory does not exist is the user's to fix.
pub(super) fn require_directory(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => return Ok(()),
    };
    if dir.is_dir() {
        return Ok(());
    }
    Err(StoreError::NoDirectory {
        path: path.to_path_buf(),
        dir: dir.to_path_buf(),
    })
}

/// The first 100 bytes (fewer for a short file); `None` when there is no file.
fn read_header(path: &Path) -> Result<Option<Vec<u8>>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                detail: e.to_string(),
            });
        }
    };
    let mut header = Vec::with_capacity(100);
    file.take(100)
        .read_to_end(&mut header)
        .map_err(|e| StoreError::Open {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    Ok(Some(header))
}

fn has_wal(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).is_ok_and(|m| m.len() > 0)
}

/// Table names from the main file, read with `immutable=1`: SQLite takes no
/// lock and creates no `-wal` or `-shm` file.
async fn list_tables(path: &Path) -> Result<Vec<String>> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true);
    let pool = super::connect::pool_options()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(|e| super::classify(path, e))?;
    let names = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .map_err(|e| super::classify(path, e));
    pool.close().await;
    names
}

fn foreign(path: &Path, detail: &str) -> StoreError {
    StoreError::Foreign {
        path: path.to_path_buf(),
        detail: detail.to_string(),
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

    /// The `application_id` in the database header ([`APPLICATION_ID`] for ours).
    pub async fn application_id(&self) -> Result<i32> {
        Ok(sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&self.pool)
            .await?)
    }

    /// True when the database holds no lifecycle at all.
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lifecycles")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    async fn foreign_sqlite(path: &Path) {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .connect_with(opts)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE foo (a TEXT)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO foo VALUES ('keep me')")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }

    #[tokio::test]
    async fn a_new_database_carries_the_ticketsim_application_id_in_its_main_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        Store::open(&path).await.unwrap().close().await;
        assert_eq!(inspect(&path).await.unwrap(), Kind::Ours);
        let header = std::fs::read(&path).unwrap();
        assert_eq!(&header[68..72], b"TSIM");
    }

    #[tokio::test]
    async fn another_programs_database_is_refused_and_left_byte_for_byte_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        foreign_sqlite(&path).await;
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
        assert!(err.to_string().contains("other.db") && err.to_string().contains("foo"));
        let err = Store::open_read_only(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["other.db"], "no -wal, -shm or lock file beside it");
    }

    #[tokio::test]
    async fn a_database_with_a_foreign_application_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        Store::open(&path).await.unwrap().close().await;
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[68..72].copy_from_slice(b"ABCD");
        std::fs::write(&path, &bytes).unwrap();
        let err = Store::open(&path).await.unwrap_err();
        assert!(err.to_string().contains("another program"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[tokio::test]
    async fn a_ticketsim_database_from_before_the_application_id_is_accepted_and_stamped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        Store::open(&path).await.unwrap().close().await;
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[68..72].copy_from_slice(&[0; 4]);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(inspect(&path).await.unwrap(), Kind::Legacy);
        Store::open_read_only(&path).await.unwrap().close().await;
        assert_eq!(
            inspect(&path).await.unwrap(),
            Kind::Legacy,
            "read-only: not stamped"
        );
        Store::open(&path).await.unwrap().close().await;
        assert_eq!(inspect(&path).await.unwrap(), Kind::Ours);
    }

    #[tokio::test]
    async fn a_zero_length_file_becomes_a_ticketsim_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.db");
        std::fs::write(&path, b"").unwrap();
        Store::open(&path).await.unwrap().close().await;
        assert_eq!(inspect(&path).await.unwrap(), Kind::Ours);
    }

    #[tokio::test]
    async fn a_path_in_a_missing_directory_is_named_with_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope").join("t.db");
        let err = Store::open(&path).await.unwrap_err();
        assert!(matches!(err, StoreError::NoDirectory { .. }), "{err}");
        assert!(err.to_string().contains("nope"), "{err}");
        assert!(!dir.path().join("nope").exists());
    }
}
