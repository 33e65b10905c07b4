//! Prompt shutdown as an operator sees it: real processes, SIGTERM.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use ticketsim::clock::SystemClock;

use crate::first_hour::sigterm;
use crate::harness::{API_KEY, emulator_config, spawn_emulator};
use crate::process::ticketsim;

/// The operator's scenario: a ticket every 2 s, steps 1–4 s apart, 10 requests
/// a minute, so steps pile up waiting for the rate budget.
fn busy_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("FRESHDESK_URL", url.to_string()),
        ("FRESHDESK_API_KEY", API_KEY.to_string()),
        ("TICKETSIM_CREATE_CRON", "*/2 * * * * *".to_string()),
        ("TICKETSIM_STAGE_OFFSETS", "1s,2s,3s,4s".to_string()),
        ("TICKETSIM_RATE_PER_MIN", "10".to_string()),
        ("TICKETSIM_SEED", "3".to_string()),
    ]
}

/// `ticketsim --db t.db run` in `dir` with `env`, its stderr appended to `log`.
fn run_daemon(dir: &Path, env: &[(&str, &str)], log: &Path) -> Child {
    ticketsim(dir, env)
        .args(["--db", "t.db", "run"])
        .stderr(crate::process::append(&log.to_path_buf()))
        .spawn()
        .unwrap()
}

/// Waits for the child to exit, at most `secs`; returns how long it took.
async fn exits_within(child: &mut Child, secs: u64) -> Duration {
    let t = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(secs), child.wait())
        .await
        .expect("the daemon did not exit in time")
        .unwrap();
    assert!(status.success(), "exit status {status}");
    t.elapsed()
}

#[tokio::test]
async fn sigterm_during_a_backlog_exits_within_5_s_and_starts_no_slot_after_the_stop() {
    let (_emu, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let env = busy_env(&url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = run_daemon(dir.path(), &env, &log);
    tokio::time::sleep(Duration::from_secs(8)).await;
    sigterm(&child);
    let took = exits_within(&mut child, 10).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(took < Duration::from_secs(5), "took {took:?}:\n{text}");
    assert!(text.contains("stop requested"), "{text}");
    let stop = text
        .find("cron triggers stopped")
        .expect("the triggers' stop is logged");
    assert!(text[..stop].contains("slot started"), "{text}");
    assert!(
        !text[stop..].contains("slot started"),
        "a slot started after the stop:\n{text}"
    );
    assert!(text.contains("stopped cleanly"), "{text}");
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // fields 14 and 15 of stat; `after` starts at field 3
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test]
async fn with_stderr_closed_by_its_reader_the_daemon_idles_and_sigterm_still_stops_it() {
    let (_emu, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = busy_env(&url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -4`: read four lines, then close the pipe.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for _ in 0..4 {
        lines.next_line().await.unwrap().unwrap();
    }
    drop(lines);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = child.id().unwrap();
    let before = cpu_ticks(pid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = cpu_ticks(pid) - before;
    assert!(used <= 30, "{used} ticks of CPU in 2 s of waiting");
    sigterm(&child);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = child.id().expect("still running while it stops");
    let before = cpu_ticks(pid);
    tokio::time::sleep(Duration::from_secs(1)).await;
    if let Some(pid) = child.id() {
        let used = cpu_ticks(pid) - before;
        assert!(used <= 20, "{used} ticks of CPU in 1 s while stopping");
    }
    exits_within(&mut child, 5).await;
}

#[tokio::test]
async fn sigterm_during_a_60_s_429_pause_exits_within_5_s_and_the_next_run_loses_and_duplicates_nothing()
 {
    let (emu, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_CREATE_CRON", "* * * * * *"),
        ("TICKETSIM_STAGE_OFFSETS", "1s,2s,3s,4s"),
        ("TICKETSIM_RATE_PER_MIN", "6000"),
        ("TICKETSIM_SEED", "9"),
        ("TICKETSIM_REQUEST_TIMEOUT", "1s"),
    ];
    let mut child = run_daemon(dir.path(), &env, &log);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut faults = emu.faults();
    faults.burst_429 = 100_000;
    faults.retry_after_secs = 60;
    emu.set_faults(faults).unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    sigterm(&child);
    let took = exits_within(&mut child, 10).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(took < Duration::from_secs(5), "took {took:?}:\n{text}");
    assert!(text.contains("Rate limit exceeded"), "{text}");

    let mut faults = emu.faults();
    faults.burst_429 = 0;
    emu.set_faults(faults).unwrap();
    let drain = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run", "--drain"])
        .stderr(crate::process::append(&log))
        .status();
    let status = tokio::time::timeout(Duration::from_secs(60), drain)
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let st = crate::process::status_json(dir.path()).await;
    let closed = crate::process::count_state(&st, "closed");
    let total = st["total"].as_i64().unwrap();
    assert!(closed >= 2, "{st}");
    assert_eq!(
        closed + crate::process::count_state(&st, "scheduled"),
        total,
        "{st}"
    );
    crate::process::check_no_duplicates(&url, closed).await;
}

#[tokio::test]
async fn a_second_sigterm_exits_at_once() {
    let (_emu, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = busy_env(&url);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    sigterm(&child);
    tokio::time::sleep(Duration::from_millis(100)).await;
    sigterm(&child);
    let t = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("exited")
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(status.code(), Some(130));
}

#[tokio::test]
async fn a_step_released_at_sigterm_before_it_sent_anything_keeps_no_intent_and_no_attempt() {
    let (_emu, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    // A new ticket every second at the default 40 requests a minute: once the
    // people are loaded the creations queue on the budget, each with its
    // intent recorded (steps after creation are hours away).
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_CREATE_CRON", "* * * * * *"),
        ("TICKETSIM_STAGE_OFFSETS", "1h,2h,3h,4h"),
        ("TICKETSIM_SEED", "3"),
    ];
    let mut child = run_daemon(dir.path(), &env, &log);
    tokio::time::sleep(Duration::from_secs(10)).await;
    sigterm(&child);
    exits_within(&mut child, 10).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("released a step at stop"),
        "no step was in hand at the stop:\n{text}"
    );
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let (intents, attempts): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(l.create_intent_at), COALESCE(SUM(s.attempts), 0)
         FROM lifecycles l JOIN steps s ON s.lifecycle_id = l.id AND s.seq = 0
         WHERE l.ticket_id IS NULL",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        (intents, attempts),
        (0, 0),
        "a ticket never sent must not look like an uncertain write at the next start:\n{text}"
    );
    assert!(
        text.contains("released a step at stop before it sent anything"),
        "{text}"
    );
}
