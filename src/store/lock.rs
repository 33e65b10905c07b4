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
            Ok(()) => {
                write_pid(&file);
                Ok(DbLock { _file: file, path })
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
                path: db.to_path_buf(),
                holder: holder(&path),
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

/// Records this process's pid in the lock file, for the refusal of a
/// second process; a failure only loses that hint.
fn write_pid(mut file: &File) {
    use std::io::Write;
    let _ = file.set_len(0);
    let _ = write!(file, "{}", std::process::id());
}

/// "pid N" of the holder, as it wrote it, or "pid unknown".
fn holder(lock: &Path) -> String {
    match std::fs::read_to_string(lock) {
        Ok(s) if s.trim().parse::<u32>().is_ok() => format!("pid {}", s.trim()),
        _ => "pid unknown".to_string(),
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

    #[test]
    fn a_refused_lock_names_the_pid_of_the_process_holding_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let _first = DbLock::acquire(&db).unwrap();
        let err = DbLock::acquire(&db).unwrap_err().to_string();
        let pid = format!("pid {}", std::process::id());
        assert!(err.contains(&pid), "{err}");
    }
}
