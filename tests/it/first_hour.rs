//! The first hour of a new user and an operator (issue 8): `.env`, the
//! database path under systemd, log levels and journald, start-up checks of
//! `run` (`start_up.rs`), and the CLI surface (`cli.rs`). Every test runs the
//! real binary.

mod cli;
mod start_up;

use std::path::Path;
use std::time::Duration;

use crate::process::{emulator_process_with, receive, ticketsim};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");

/// Creates a ticketsim database at `path` (migrated, empty).
pub(crate) async fn make_db(path: &Path) {
    let store = ticketsim::store::Store::open(path).await.unwrap();
    store.close().await;
}

/// A `ticketsim emulator` on a free port with no latency; its URL.
pub(crate) async fn emulator(dir: &Path, args: &[&str]) -> (tokio::process::Child, String) {
    let mut all = vec!["--seed", "3", "--contacts", "4"];
    all.extend_from_slice(args);
    emulator_process_with(dir, &all).await
}

pub(crate) async fn requests(url: &str) -> Vec<serde_json::Value> {
    reqwest::get(format!("{url}/_emulator/requests"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `ticketsim run` until it tells systemd READY=1, then SIGTERM. Returns the
/// exit code and stderr; panics if it exits before READY or takes over 20 s.
pub(crate) async fn run_until_ready(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let log = dir.join("run.log");
    let stderr = std::fs::File::create(&log).unwrap();
    let socket_path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&socket_path);
    let socket = tokio::net::UnixDatagram::bind(&socket_path).unwrap();
    let mut env = env.to_vec();
    env.push(("NOTIFY_SOCKET", socket_path.to_str().unwrap()));
    let mut child = ticketsim(dir, &env)
        .args(["--db", "t.db", "run"])
        .stderr(stderr)
        .spawn()
        .unwrap();
    tokio::select! {
        ready = receive(&socket) => assert!(ready.contains("READY=1"), "{ready}"),
        status = child.wait() => panic!(
            "run exited with {status:?} before READY:\n{}",
            std::fs::read_to_string(&log).unwrap()
        ),
    }
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("run did not stop within 20 s of SIGTERM")
        .unwrap();
    (status.code(), std::fs::read_to_string(&log).unwrap())
}

pub(crate) fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().unwrap() as i32;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
}

#[tokio::test]
async fn a_copied_env_example_lets_help_and_status_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(EXAMPLE, dir.path().join(".env")).unwrap();
    make_db(&dir.path().join("ticketsim.db")).await;
    let help = ticketsim(dir.path(), &[])
        .arg("--help")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&help.stderr);
    assert_eq!(help.status.code(), Some(0), "--help: {err}");
    let status = ticketsim(dir.path(), &[])
        .arg("status")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(0), "status: {err}");
    assert!(!status.stdout.is_empty());
}

#[tokio::test]
async fn a_malformed_env_line_is_named_by_its_number_with_a_remedy() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "# comment\nFRESHDESK_URL=https://acme.freshdesk.com\nTICKETSIM_CREATE_CRON=0 0 * * * *\n";
    std::fs::write(dir.path().join(".env"), text).unwrap();
    let out = ticketsim(dir.path(), &[])
        .arg("status")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(".env:3: "), "{err}");
    assert!(
        err.contains("TICKETSIM_CREATE_CRON") && err.contains("quote"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[tokio::test]
async fn a_relative_ticketsim_db_is_taken_inside_the_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    make_db(&state.join("rel.db")).await;
    let env = [
        ("STATE_DIRECTORY", state.to_str().unwrap()),
        ("TICKETSIM_DB", "rel.db"),
    ];
    let out = ticketsim(dir.path(), &env)
        .args(["status", "--json"])
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!dir.path().join("rel.db").exists());
}
