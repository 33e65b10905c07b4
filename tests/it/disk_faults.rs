//! Disk and database faults (issue 14), on a small tmpfs mounted for the
//! test (root only; the test says it skipped otherwise): the disk fills
//! mid-run while a daemon runs; a second daemon on the same database is
//! refused with the holder's pid. After space is freed the lifecycles finish
//! with nothing lost or duplicated and `PRAGMA integrity_check` clean.
//!
//! A database made read-only while running: `read_only_disk.rs` (a tmpfs
//! cannot be remounted read-only while the daemon has files open for
//! writing; an ext4 image with `errors=remount-ro` can be made so).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::crash_suite::{as_refs, daemon_env, run_to_completion};
use crate::harness::API_KEY;
use crate::process::{append, emulator_process_with, ticketsim};

/// A tmpfs mounted on a fresh directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes zeros into `path` until the file system is full.
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    for _ in 0..100_000 {
        if f.write_all(&chunk).and_then(|_| f.sync_data()).is_err() {
            return;
        }
    }
    panic!("the tmpfs never filled");
}

#[tokio::test]
async fn a_full_disk_mid_run_loses_nothing_once_freed_and_a_second_daemon_is_refused() {
    let outer = tempfile::tempdir().unwrap();
    let Some(fs) = Tmpfs::mount(&outer.path().join("fs"), "6m") else {
        eprintln!("disk faults: skipped (cannot mount a tmpfs here; needs root)");
        return;
    };
    let dir = fs.0.clone();
    let (_emu, url) =
        emulator_process_with(outer.path(), &["--api-key", API_KEY, "--seed", "3"]).await;
    let env = daemon_env(&url);
    let mut env = as_refs(&env);
    env.retain(|(k, _)| *k != "TICKETSIM_PLAYBOOKS" && *k != "TICKETSIM_LOG");
    let log = outer.path().join("first.log");
    let mut daemon = ticketsim(&dir, &env)
        .args(["--db", "t.db", "run"])
        .stderr(append(&log))
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    second_daemon_is_refused(&dir, &env, daemon.id().unwrap()).await;
    fill(&dir.join("filler"));
    tokio::time::sleep(Duration::from_secs(4)).await;
    std::fs::remove_file(dir.join("filler")).unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let exited = daemon.try_wait().unwrap();
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(daemon.id().unwrap_or(0) as i32, libc::SIGTERM) };
    let _ = tokio::time::timeout(Duration::from_secs(30), daemon.wait()).await;
    let first = std::fs::read_to_string(&log).unwrap();
    let errors: Vec<&str> = first
        .lines()
        .filter(|l| l.contains("ERROR") || l.starts_with("error"))
        .collect();
    eprintln!(
        "disk faults: the daemon {} during the faults; its errors:",
        if exited.is_some() {
            "exited"
        } else {
            "kept running"
        }
    );
    for e in errors.iter().take(8) {
        eprintln!("  {}", &e[..e.len().min(300)]);
    }
    assert!(!first.contains("panicked"), "{first}");
    assert!(!errors.is_empty(), "a full disk was not reported");
    assert!(
        !first.contains("transaction depth"),
        "a failed commit left the connection unusable: {first}"
    );
    let rest = run_to_completion(&dir, &url, &env).await;
    let f = crate::invariants::check(&dir, &url).await;
    eprintln!(
        "disk faults: lifecycles {}, closed {}, failed {}, duplicates {}, lost {}, mismatched {}, integrity ok",
        f.lifecycles, f.closed, f.failed, f.duplicates, f.lost, f.mismatched
    );
    assert!(!rest.contains("panicked"));
    assert_eq!(
        (f.duplicates, f.lost, f.mismatched),
        (0, 0, 0),
        "{:#?}",
        f.problems
    );
}

/// A second `run` on the database of a running daemon exits 2 naming the
/// daemon's pid, and changes nothing.
async fn second_daemon_is_refused(dir: &Path, env: &[(&str, &str)], pid: u32) {
    let out = ticketsim(dir, env).args(["--db", "t.db", "run"]).output();
    let out = tokio::time::timeout(Duration::from_secs(20), out)
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("pid {pid}")), "{stderr}");
}
