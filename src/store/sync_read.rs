//! The reads that decode lifecycles and messages (one per step on the engine's
//! hot path) run on connections of their own, synchronously, through rusqlite.
//! Through sqlx a read is several hand-offs between threads (the query, then a
//! ping as the connection goes back to its pool); here it is a few
//! microseconds on the caller's thread. In WAL mode a reader never waits for
//! the writer. The connections mirror how the store was opened (read-write
//! with `query_only`, read-only, or `immutable`) and are kept for reuse, at
//! most one per thread that reads at the same time.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{Result, Store, StoreError};

/// How the store was opened, and so how its readers open the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReadMode {
    /// Beside this process's writer: read-write with `query_only`.
    Writable,
    ReadOnly,
    /// Read-only where no `-shm` can be made (a directory the user cannot write).
    Immutable,
}

#[derive(Debug)]
pub(super) struct Readers {
    path: PathBuf,
    mode: ReadMode,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(super) fn new(path: &Path, mode: ReadMode) -> Readers {
        Readers {
            path: path.to_path_buf(),
            mode,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Closes the idle connections (at the store's close).
    pub(super) fn close(&self) {
        self.idle().clear();
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let base = OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let c = match self.mode {
            ReadMode::Writable => {
                Connection::open_with_flags(&self.path, base | OpenFlags::SQLITE_OPEN_READ_WRITE)?
            }
            ReadMode::ReadOnly => {
                Connection::open_with_flags(&self.path, base | OpenFlags::SQLITE_OPEN_READ_ONLY)?
            }
            ReadMode::Immutable => Connection::open_with_flags(
                immutable_uri(&self.path),
                base | OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
            )?,
        };
        c.busy_timeout(Duration::from_secs(30))?;
        if self.mode == ReadMode::Writable {
            c.pragma_update(None, "query_only", true)?;
        }
        Ok(c)
    }
}

/// `file:` URI of `path` with `immutable=1`; the characters a URI gives a
/// meaning to are escaped.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for ch in path.to_string_lossy().chars() {
        match ch {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", ch as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

impl Store {
    /// Runs the read `f` on a reader connection, on this thread.
    pub(super) fn read_sync<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let readers = &self.hot;
        let taken = readers.idle().pop();
        let conn = match taken {
            Some(c) => c,
            None => readers.open().map_err(|e| self.read_error(e))?,
        };
        let out = f(&conn);
        readers.idle().push(conn);
        out.map_err(|e| self.read_error(e))
    }

    fn read_error(&self, e: rusqlite::Error) -> StoreError {
        match e {
            rusqlite::Error::FromSqlConversionFailure(..) => StoreError::Data(e.to_string()),
            e => match self.sqlite_error(e) {
                StoreError::Write(detail) => StoreError::Read(detail),
                other => other,
            },
        }
    }
}

/// Reads a TEXT column into one of the domain's string-backed enums.
pub(super) fn text_enum<T: std::str::FromStr<Err = String>>(
    r: &rusqlite::Row<'_>,
    col: usize,
) -> rusqlite::Result<T> {
    let s: String = r.get(col)?;
    s.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, e.into())
    })
}
