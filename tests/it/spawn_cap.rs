//! `TICKETSIM_MAX_TICKETS_PER_DAY` and `ticketsim spawn`, with real daemon
//! processes on a real database against the emulator.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::process::Child;

use ticketsim::clock::{Clock, SystemClock};
use ticketsim::emulator::Emulator;
use ticketsim::store::{DAY_MS, Store};

use crate::harness::{API_KEY, emulator_config, spawn_emulator};
use crate::process::{status_json, ticketsim};

/// A cron that fires every second, and one that does not fire during a test.
const EVERY_SECOND: &str = "* * * * * *";
const NEVER_SOON: &str = "0 0 0 1 1 *";

fn env<'a>(url: &'a str, cron: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("FRESHDESK_URL", url),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_CREATE_CRON", cron),
        ("TICKETSIM_STAGE_OFFSETS", "1s,2s,3s,4s"),
        ("TICKETSIM_SEED", "5"),
        ("TICKETSIM_RATE_PER_MIN", "6000"),
    ];
    v.extend_from_slice(extra);
    v
}

fn start(dir: &Path, env: &[(&str, &str)]) -> Child {
    ticketsim(dir, env)
        .args(["--db", "t.db", "run"])
        .stderr(crate::process::append(&dir.join("log")))
        .spawn()
        .unwrap()
}

async fn stop(mut child: Child, dir: &Path) {
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGTERM) };
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the daemon did not stop within 30 s")
        .unwrap();
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{}", crate::process::tail(&log));
}

/// Polls `done` every 100 ms for at most `secs` seconds (real processes run on
/// the real clock).
async fn wait_for<F, Fut>(what: &str, secs: u64, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within {secs} s");
}

fn ticket_posts(emulator: &Emulator) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.trim_end_matches(".json") == "/api/v2/tickets")
        .count()
}

async fn skipped(dir: &Path) -> i64 {
    status_json(dir).await["slots_skipped"]
        .as_i64()
        .unwrap_or(0)
}

#[tokio::test]
async fn the_daily_cap_holds_across_a_restart_and_against_spawn() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = env(
        &url,
        EVERY_SECOND,
        &[("TICKETSIM_MAX_TICKETS_PER_DAY", "2")],
    );
    let day = SystemClock.now_ms() / DAY_MS;
    let daemon = start(dir.path(), &env);
    wait_for("two tickets, then a capped slot", 30, || async {
        ticket_posts(&emulator) == 2 && skipped(dir.path()).await >= 1
    })
    .await;
    stop(daemon, dir.path()).await;
    let before = skipped(dir.path()).await;
    let daemon = start(dir.path(), &env);
    wait_for("two more capped slots after the restart", 30, || async {
        skipped(dir.path()).await >= before + 2
    })
    .await;
    let out = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "spawn", "-n", "2"])
        .output()
        .await
        .unwrap();
    stop(daemon, dir.path()).await;
    if SystemClock.now_ms() / DAY_MS != day {
        eprintln!("the UTC day changed during the test; the cap rightly started anew");
        return;
    }
    assert_eq!(
        ticket_posts(&emulator),
        2,
        "the cap of 2 held across the restart"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "spawn past the cap: {stderr}");
    assert!(
        stderr.contains("TICKETSIM_MAX_TICKETS_PER_DAY=2"),
        "{stderr}"
    );
    let st = status_json(dir.path()).await;
    assert_eq!(st["started_today"], 2);
    let note = st["recent_skips"][0]["note"].as_str().unwrap_or_default();
    assert!(note.starts_with("daily cap reached"), "{st}");
}

#[tokio::test]
async fn spawn_starts_lifecycles_that_a_running_daemon_picks_up_and_report_reads_them_meanwhile() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = env(&url, NEVER_SOON, &[]);
    let daemon = start(dir.path(), &env);
    wait_for("the daemon's start", 20, || async {
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap_or_default();
        log.contains("ticketsim starting")
    })
    .await;
    let out = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "spawn", "-n", "2", "--playbook", "pending"])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("started 2 lifecycle(s)"), "{stdout}");
    // New tickets wait for the steps of tickets in flight: about 5 s each here.
    wait_for("two tickets from the spawned slots", 30, || async {
        ticket_posts(&emulator) == 2
    })
    .await;
    report_while_the_daemon_runs(dir.path()).await;
    stop(daemon, dir.path()).await;
    let store = Store::open_read_only(&dir.path().join("t.db"))
        .await
        .unwrap();
    for id in 1..=2 {
        let l = store.lifecycle(id).await.unwrap();
        assert_eq!(l.plan.map(|p| p.playbook).as_deref(), Some("pending"));
    }
    assert_eq!(store.last_slot_at().await.unwrap(), None, "no cron slot");
}

#[tokio::test]
async fn spawn_refuses_an_unknown_playbook_and_a_missing_database_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let env = env("https://acme.freshdesk.com", NEVER_SOON, &[]);
    for (args, named) in [
        (
            vec!["--db", "t.db", "spawn", "--playbook", "nope"],
            "--playbook",
        ),
        (vec!["--db", "t.db", "spawn"], "t.db"),
    ] {
        let out = ticketsim(dir.path(), &env)
            .args(&args)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
    }
    assert!(!dir.path().join("t.db").exists());
}

/// `report` opens the database read-only beside the running daemon: two
/// tickets made, by agents of the emulator, with creation steps done.
async fn report_while_the_daemon_runs(dir: &Path) {
    // The second ticket's POST may be answered before its creation commits.
    let mut r = serde_json::Value::Null;
    for _ in 0..100 {
        r = report_json(dir).await;
        if r["totals"]["tickets"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(r["totals"]["lifecycles"], 2, "{r}");
    assert_eq!(r["totals"]["tickets"], 2, "{r}");
    let handled: i64 = r["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["tickets"].as_i64().unwrap())
        .sum();
    assert_eq!(handled, 2, "{r}");
    assert_eq!(r["days"][0]["lifecycles"], 2, "{r}");
    let create = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "create")
        .cloned()
        .unwrap_or_default();
    assert_eq!(create["done"], 2, "{r}");
    assert!(create["duration"]["p50_ms"].as_i64().is_some(), "{r}");
    assert_eq!(r["api"]["latency_recorded"], false);
    let scenarios = r["scenarios"].as_array().unwrap();
    assert!(!scenarios.is_empty(), "{r}");
    let bad = ticketsim(dir, &[])
        .args(["--db", "t.db", "report", "--until", "2026-02-30"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.lines().count() == 1 && stderr.contains("--until"),
        "{stderr}"
    );
}

async fn report_json(dir: &Path) -> serde_json::Value {
    let out = ticketsim(dir, &[])
        .args(["--db", "t.db", "report", "--json", "--since", "1d"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}
