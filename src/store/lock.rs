//! The exclusive lock file beside the database (`<db>.lock`).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::{Result, StoreError};

/// Held for as long as a process writes to the database; the OS releases it
/// when the process dies, so a crash never leaves a stale lock.
#[derive(Debug)]
pub struct DbLock {
    _file: File,
    path: PathBuf,
}

impl DbLock {
    pub fn acquire(db: &Path) -> Result<DbLock> {
        super::identity::require_directory(db)?;
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::Open {
                path: db.to_path_buf(),
                detail: format!("cannot create lock file {}: {e}", path.display()),
            })?;
        match file.try_lock() {
            Ok(()) => Ok(DbLock { _file: file, path }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
                path: db.to_path_buf(),
                lock: path,
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Open {
                path: db.to_path_buf(),
                detail: format!("cannot lock {}: {e}", path.display()),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let first = DbLock::acquire(&db).unwrap();
        let err = DbLock::acquire(&db).unwrap_err();
        assert!(
            err.to_string().contains("in use by another ticketsim"),
            "{err}"
        );
        drop(first);
        DbLock::acquire(&db).unwrap();
    }
}
