//! `--state FILE`: the account survives a restart. The whole [`World`] is
//! written as one JSON document, atomically (a temporary file beside it,
//! then a rename), shortly after changes and at shutdown, and read back at
//! start. A file that cannot be read is an error naming it, and is left as
//! it was. Rate windows, faults and the request log are not kept.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::state::World;

/// Bumped when the layout changes in a way old files cannot be read as.
const VERSION: u32 = 1;

/// What can go wrong with the state file. Every message is one line that
/// names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    #[error("state file {path}: cannot read it ({source}); check the path and its permissions")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "state file {path} is not an emulator state ({reason}); it was left as it is: move it away or start without --state"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "state file {path}: cannot write it ({source}); check the directory and its permissions"
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Serialize)]
struct SnapshotOut<'a> {
    version: u32,
    world: &'a World,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotIn {
    version: u32,
    world: World,
}

/// The stored account, or `None` when the file does not exist yet.
pub(crate) fn load(path: &Path) -> Result<Option<World>, StateFileError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateFileError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let corrupt = |reason: String| StateFileError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let snap: SnapshotIn = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if snap.version != VERSION {
        let v = snap.version;
        return Err(corrupt(format!(
            "layout version {v}, this build reads {VERSION}"
        )));
    }
    let mut world = snap.world;
    world.rebuild_index();
    Ok(Some(world))
}

/// Writes `world` to `path` atomically: readers see the old file or the new
/// one, never half of one.
pub(crate) fn save(path: &Path, world: &World) -> Result<(), StateFileError> {
    let write_err = |source| StateFileError::Write {
        path: path.to_owned(),
        source,
    };
    let bytes = serde_json::to_vec(&SnapshotOut {
        version: VERSION,
        world,
    })
    .map_err(|e| write_err(std::io::Error::other(e)))?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(&bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        let _ = fs::remove_file(&tmp);
        return Err(write_err(e));
    }
    Ok(())
}
