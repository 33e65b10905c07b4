//! Crash suite (issue 14): a real `ticketsim run` against a separate
//! `ticketsim emulator` process with 5% late writes and 5% 5xx, SIGKILLed at
//! seeded moments, then run to completion; the invariants are checked against
//! the emulator's state and the database (see `invariants`).
//!
//! `CRASH_KILLS` (default 30) sets the number of kills and `CRASH_SEED` the
//! seed: a failure replays with the seed it prints.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::harness::API_KEY;
use crate::invariants::{Figures, check};
use crate::process::{append, emulator_process_with, status_json, tail, ticketsim};

/// Where a kill is aimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// Within the first milliseconds of a start; before it, 1–3 first
    /// starts on fresh databases are killed while migrating.
    Migrations,
    /// While `POST /tickets` is in flight.
    TicketCreation,
    /// After a write reached the emulator, before its answer was committed.
    CallBeforeCommit,
    /// As soon as the database's WAL changes: a (batched) commit under way.
    BatchedCommit,
    /// At any moment at all.
    Anytime,
}

pub(crate) fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn moment(round: usize, rng: &mut StdRng) -> Moment {
    match (round, rng.random_range(0..8)) {
        (r, _) if r % 25 == 0 => Moment::Migrations,
        (_, 0 | 1) => Moment::TicketCreation,
        (_, 2..=4) => Moment::CallBeforeCommit,
        (_, 5 | 6) => Moment::BatchedCommit,
        _ => Moment::Anytime,
    }
}

pub(crate) fn daemon_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("FRESHDESK_URL", url.to_string()),
        ("FRESHDESK_API_KEY", API_KEY.to_string()),
        ("TICKETSIM_CREATE_CRON", "* * * * * *".to_string()),
        ("TICKETSIM_STAGE_OFFSETS", "1s,2s,3s,4s".to_string()),
        ("TICKETSIM_PLAYBOOKS", "all".to_string()),
        ("TICKETSIM_SEED", "11".to_string()),
        ("TICKETSIM_RATE_PER_MIN", "6000".to_string()),
        ("TICKETSIM_LOG", "debug".to_string()),
        // a recovered write is looked for 2 × this after its intent, after
        // the emulator's late writes (1.5 s) have landed
        ("TICKETSIM_REQUEST_TIMEOUT", "1s".to_string()),
        // Every kill of a claimed step counts as an attempt, and 30 kills in a
        // minute push some steps past 8: at the default (2s..5m) one more 5xx
        // in the drain waits minutes.
        ("TICKETSIM_RETRY_BACKOFF", "500ms..4s".to_string()),
    ]
}

pub(crate) fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn the_crash_suite_kills_the_daemon_at_seeded_moments_and_nothing_is_lost_or_duplicated() {
    let kills = env_num("CRASH_KILLS", 30) as usize;
    let seed = env_num("CRASH_SEED", 20261201);
    eprintln!("crash suite: {kills} kills, seed {seed} (CRASH_KILLS, CRASH_SEED)");
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator_process_with(
        dir.path(),
        &[
            "--api-key",
            API_KEY,
            "--seed",
            "3",
            "--contacts",
            "8",
            "--latency-ms",
            "20..200",
            "--fail-rate",
            "0.05",
            "--late-write-rate",
            "0.05",
            "--late-write-ms",
            "1500",
        ],
    )
    .await;
    let env = daemon_env(&url);
    let env = as_refs(&env);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut moments = vec![];
    for round in 0..kills {
        let m = moment(round, &mut rng);
        kill_once(dir.path(), &url, &env, m, round, &mut rng).await;
        moments.push(m);
    }
    let log = run_to_completion(dir.path(), &url, &env).await;
    assert!(!log.contains(API_KEY), "the API key appeared in a log line");
    assert!(!log.contains("panicked"), "{}", tail(&log));
    let f: Figures = check(dir.path(), &url).await;
    crate::secrets::assert_nowhere(dir.path(), &url, &log).await;
    let count = |m| moments.iter().filter(|x| **x == m).count();
    eprintln!(
        "kills {kills}, lifecycles {}, duplicates {}, lost {}, mismatched {} \
         (migrations {}, creation {}, call/commit {}, batched commit {}, anytime {}; \
         closed {}, failed {}, messages {}, time entries {}; seed {seed}; {:.0?})",
        f.lifecycles,
        f.duplicates,
        f.lost,
        f.mismatched,
        count(Moment::Migrations) + f.fresh_starts_killed,
        count(Moment::TicketCreation),
        count(Moment::CallBeforeCommit),
        count(Moment::BatchedCommit),
        count(Moment::Anytime),
        f.closed,
        f.failed,
        f.messages,
        f.time_entries,
        started.elapsed(),
    );
    assert_eq!(
        (f.duplicates, f.lost, f.mismatched),
        (0, 0, 0),
        "{:#?}",
        f.problems
    );
    assert!(
        f.closed >= 5,
        "too few lifecycles closed to prove much: {f:?}"
    );
}

/// One daemon start, killed with SIGKILL at `m`; every wait is bounded.
async fn kill_once(
    dir: &Path,
    url: &str,
    env: &[(&str, &str)],
    m: Moment,
    round: usize,
    rng: &mut StdRng,
) {
    if m == Moment::Migrations {
        crate::invariants::kill_fresh_starts(dir, env, rng).await;
    }
    let http = reqwest::Client::new();
    let before = requests(&http, url).await;
    let mut child = ticketsim(dir, env)
        .args(["--db", "t.db", "run"])
        .stderr(append(&dir.join("daemon.log")))
        .spawn()
        .unwrap();
    match m {
        Moment::Migrations => sleep_ms(rng.random_range(2..60)).await,
        Moment::TicketCreation => {
            wait_for_post(&http, url, before, |p| p.ends_with("/tickets")).await;
            sleep_ms(rng.random_range(0..40)).await;
        }
        Moment::CallBeforeCommit => {
            wait_for_post(&http, url, before, |_| true).await;
            sleep_ms(rng.random_range(0..250)).await;
        }
        Moment::BatchedCommit => {
            sleep_ms(rng.random_range(200..1_500)).await;
            wait_for_wal_change(&dir.join("t.db-wal")).await;
        }
        Moment::Anytime => sleep_ms(rng.random_range(50..2_500)).await,
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let _ = round;
}

async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// The emulator's request log (method, path) so far.
pub(crate) async fn requests(http: &reqwest::Client, url: &str) -> Vec<(String, String)> {
    let log: Vec<serde_json::Value> = http
        .get(format!("{url}/_emulator/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log.iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (s("method"), s("path"))
        })
        .collect()
}

/// Waits (at most 4 s) for a new POST whose path matches.
async fn wait_for_post(
    http: &reqwest::Client,
    url: &str,
    before: Vec<(String, String)>,
    matches: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(4);
    while Instant::now() < deadline {
        let now = requests(http, url).await;
        if now[before.len().min(now.len())..]
            .iter()
            .any(|(m, p)| m == "POST" && matches(p))
        {
            return;
        }
        sleep_ms(5).await;
    }
}

/// Waits (at most 3 s) until the WAL file's size or mtime changes.
async fn wait_for_wal_change(wal: &PathBuf) {
    let stamp = |p: &PathBuf| -> Option<(u64, SystemTime)> {
        let m = std::fs::metadata(p).ok()?;
        Some((m.len(), m.modified().ok()?))
    };
    let first = stamp(wal);
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && stamp(wal) == first {
        sleep_ms(1).await;
    }
}

/// `run --drain`, then a plain run (with a cron that does not fire) for the
/// slots a drain leaves pending, until every lifecycle has ended.
pub(crate) async fn run_to_completion(dir: &Path, url: &str, env: &[(&str, &str)]) -> String {
    let log = dir.join("daemon.log");
    let mut drain = ticketsim(dir, env)
        .args(["--db", "t.db", "run", "--drain"])
        .stderr(append(&log))
        .spawn()
        .unwrap();
    let began = Instant::now();
    let waited = tokio::time::timeout(Duration::from_secs(120), drain.wait()).await;
    let text = std::fs::read_to_string(&log).unwrap();
    let Ok(status) = waited else {
        drain.start_kill().unwrap();
        panic!(
            "the drain did not end within 120 s; status: {}\n{}",
            status_json(dir).await,
            tail(&text)
        );
    };
    let status = status.unwrap();
    eprintln!("the drain took {:.1?}", began.elapsed());
    assert!(status.success(), "the drain failed:\n{}", tail(&text));
    let mut plain: Vec<(&str, &str)> = env.to_vec();
    plain.retain(|(k, _)| *k != "TICKETSIM_CREATE_CRON");
    plain.push(("TICKETSIM_CREATE_CRON", "0 0 0 1 1 *"));
    if all_ended(&status_json(dir).await) {
        return std::fs::read_to_string(&log).unwrap();
    }
    let last = dir.join("last-run.log");
    let mut child = ticketsim(dir, &plain)
        .args(["--db", "t.db", "run"])
        .stderr(append(&last))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline && !all_ended(&status_json(dir).await) {
        sleep_ms(250).await;
    }
    // Not before it handles SIGTERM (it logs this line once it does).
    let started = Instant::now() + Duration::from_secs(20);
    while Instant::now() < started
        && !std::fs::read_to_string(&last).is_ok_and(|t| t.contains("ticketsim starting"))
    {
        sleep_ms(50).await;
    }
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGTERM) };
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    let last = std::fs::read_to_string(&last).unwrap();
    let st = status_json(dir).await;
    assert!(
        status.success(),
        "the last run failed ({status}; {st}):\n{}",
        tail(&last)
    );
    let text = std::fs::read_to_string(&log).unwrap() + &last;
    let _ = url;
    text
}

fn all_ended(st: &serde_json::Value) -> bool {
    let ended: i64 = ["closed", "failed", "cancelled"]
        .iter()
        .map(|s| crate::process::count_state(st, s))
        .sum();
    st["total"].as_i64() == Some(ended)
}
