//! The in-process parts: the engine's throughput and lateness against the
//! emulator, and the store's claim cost over large backlogs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use ticketsim::app::{Daemon, Schedule, client_for};
use ticketsim::clock::{Clock, SystemClock};
use ticketsim::dispatcher::{DispatcherConfig, workers_for_rate};
use ticketsim::domain::StageOffsets;
use ticketsim::emulator::{Emulator, EmulatorConfig};
use ticketsim::freshdesk::ApiKey;
use ticketsim::store::Store;
use tokio::sync::{oneshot, watch};

use crate::bulk::{self, Backlog};
use crate::{KEY, ceilings, verdict};

fn now_ms() -> i64 {
    SystemClock.now_ms()
}

/// An emulator on 127.0.0.1 limiting at `rate_per_min`, served until the
/// returned sender is dropped.
pub async fn emulator(rate_per_min: u32) -> (Emulator, String, oneshot::Sender<()>) {
    let cfg = EmulatorConfig {
        api_key: KEY.into(),
        contacts: 50,
        rate_per_min,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::new(cfg, Arc::new(SystemClock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(emulator.clone().serve(listener, async {
        let _ = stopped.await;
    }));
    (emulator, url, stop)
}

/// A fresh, migrated database with `n` lifecycles whose next steps are all in
/// the future, plus one new ticket due now.
pub async fn daemon_db(n: i64) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    Store::open(&path).await.expect("open").close().await;
    bulk::fill(&path, n, Backlog::Pending, now_ms()).await;
    let store = Store::open(&path).await.expect("open");
    store
        .start_slot(now_ms() - 1_000, now_ms(), 1)
        .await
        .expect("due slot");
    store.close().await;
    (dir, path)
}

/// The client's budget in these runs: no limit to speak of.
const NO_LIMIT: u32 = 100_000_000;

/// The workers `run` starts at that budget.
fn workers() -> usize {
    workers_for_rate(NO_LIMIT)
}

fn offsets_ms() -> Schedule {
    Schedule {
        cron: "0 0 0 1 1 *".into(),
        seed: 1,
        offsets: StageOffsets([1, 2, 3, 4]),
    }
}

/// Runs the real dispatcher until every step in the database is done; returns
/// (steps done, seconds, requests the emulator served).
async fn drive(
    path: &std::path::Path,
    url: &str,
    emulator: &Emulator,
    schedule: &Schedule,
) -> (i64, f64, usize) {
    let client = client_for(url, ApiKey::new(KEY), NO_LIMIT).expect("client");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let d = Daemon::build(
        path,
        client,
        clock,
        schedule,
        DispatcherConfig {
            workers: workers(),
            ..DispatcherConfig::default()
        },
        None,
    )
    .await
    .expect("daemon");
    let before = emulator.requests().len();
    let (tx, rx) = watch::channel(false);
    let started = Instant::now();
    let dispatcher = d.dispatcher.clone();
    let run = tokio::spawn(async move { dispatcher.run(rx, false).await });
    while d.store.open_steps().await.expect("open steps") > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the run did not finish in 10 min"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let _ = tx.send(true);
    run.await.expect("join").expect("dispatcher");
    let done = d.store.done_steps().await.expect("done steps");
    d.store.close().await;
    (done, secs, emulator.requests().len() - before)
}

/// Throughput beside its two ceilings; returns the steps/s measured.
pub async fn throughput_section(lifecycles: i64) -> f64 {
    let (emulator, url, _stop) = emulator(100_000_000).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("throughput.db");
    Store::open(&path).await.expect("open").close().await;
    bulk::fill_new_slots(&path, lifecycles, now_ms() - 1_000, 0).await;
    let cpu_before = cpu_secs();
    let threads_before = thread_cpu();
    let (steps, secs, requests) = drive(&path, &url, &emulator, &offsets_ms()).await;
    let cpu = cpu_secs() - cpu_before;
    let busiest = busiest_thread(&threads_before, &thread_cpu());
    let rate = steps as f64 / secs;
    let workers = workers();
    let commits = ceilings::commits_per_sec(dir.path(), Duration::from_secs(3)).await;
    let client = client_for(&url, ApiKey::new(KEY), NO_LIMIT).expect("client");
    let reqs = ceilings::requests_per_sec(&client, workers, Duration::from_secs(3)).await;
    println!(
        "throughput: {lifecycles} lifecycles, {steps} durable steps ({requests} requests) in {secs:.2} s = {rate:.0} steps/s ({:.0} requests/s, {workers} workers)",
        requests as f64 / secs
    );
    println!(
        "  CPU (engine and emulator, one process): {:.0} µs per step, {:.0}% of {} cores busy",
        cpu * 1e6 / steps as f64,
        cpu * 100.0 / secs / cores() as f64,
        cores()
    );
    if let Some((name, busy)) = busiest {
        println!(
            "  busiest thread: {name}, {:.0}% of the run",
            busy * 100.0 / secs
        );
    }
    println!(
        "  ceilings in this run: {commits:.0} single-row synchronous=FULL commits/s | {reqs:.0} GET /agents/me requests/s through the client ({workers} tasks)"
    );
    let ratio = rate / commits.min(reqs);
    println!(
        "  steps/s ÷ min(ceilings) = {ratio:.2} (target ≥ 0.5) {}",
        verdict(ratio >= 0.5)
    );
    rate
}

/// Mean of `rounds` runs of `f`, in ms.
async fn mean_ms<F, Fut>(rounds: u32, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    for _ in 0..rounds {
        f().await;
    }
    started.elapsed().as_secs_f64() * 1e3 / rounds as f64
}

async fn idle_round(n: i64) -> f64 {
    let (_dir, path) = filled(n, Backlog::Pending).await;
    let store = Store::open(&path).await.expect("open");
    let now = now_ms();
    let ms = mean_ms(50, || async {
        store.next_due_at().await.expect("next due");
        assert!(store.claim_due(now, 32).await.expect("claim").is_empty());
    })
    .await;
    store.close().await;
    ms
}

async fn overdue_claim(n: i64) -> f64 {
    let (_dir, path) = filled(n, Backlog::Overdue).await;
    let store = Store::open(&path).await.expect("open");
    let now = now_ms();
    let ms = mean_ms(20, || async {
        assert_eq!(store.claim_due(now, 32).await.expect("claim").len(), 32);
    })
    .await;
    store.close().await;
    ms
}

async fn filled(n: i64, backlog: Backlog) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("claims.db");
    Store::open(&path).await.expect("open").close().await;
    bulk::fill(&path, n, backlog, now_ms()).await;
    (dir, path)
}

/// Claim cost with small and large backlogs: the large ÷ small ratio.
pub async fn claim_section(large: i64, overdue: i64) {
    let idle_small = idle_round(1_000).await;
    let idle_large = idle_round(large).await;
    let claim_small = overdue_claim(1_000).await;
    let claim_large = overdue_claim(overdue).await;
    let r1 = idle_large / idle_small;
    let r2 = claim_large / claim_small;
    println!(
        "idle round (next due + empty claim): {idle_small:.3} ms with 1000 pending, {idle_large:.3} ms with {large}: ratio {r1:.2} (target ≤ 2) {}",
        verdict(r1 <= 2.0)
    );
    println!(
        "claim of 32 overdue steps: {claim_small:.3} ms with 1000 overdue, {claim_large:.3} ms with {overdue}: ratio {r2:.2} (target ≤ 2) {}",
        verdict(r2 <= 2.0)
    );
}

/// Lateness (due → claimed, just before its request) of every step when new
/// tickets arrive evenly at `steps_per_sec` ÷ 5 lifecycles a second for `span`,
/// with steps 1-4 s apart.
pub async fn lateness_section(steps_per_sec: f64, span: Duration) {
    let (emulator, url, _stop) = emulator(100_000_000).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("lateness.db");
    Store::open(&path).await.expect("open").close().await;
    let per_sec = (steps_per_sec / 5.0).max(1.0);
    let n = (per_sec * span.as_secs_f64()).ceil() as i64;
    let gap_us = (1e6 / per_sec) as i64;
    bulk::fill_new_slots(&path, n, now_ms() + 2_000, gap_us).await;
    let schedule = Schedule {
        offsets: StageOffsets([1_000, 2_000, 3_000, 4_000]),
        ..offsets_ms()
    };
    let (steps, _, _) = drive(&path, &url, &emulator, &schedule).await;
    let store = Store::open(&path).await.expect("open");
    let mut late = store.step_lateness_ms().await.expect("lateness");
    store.close().await;
    late.sort_unstable();
    let pick = |q: f64| late[((late.len() - 1) as f64 * q).round() as usize];
    let p99 = pick(0.99);
    println!(
        "lateness at {:.0} steps/s (half the throughput above), {steps} steps: p50 {} ms, p99 {p99} ms, max {} ms (target p99 ≤ 100 ms) {}",
        per_sec * 5.0,
        pick(0.5),
        late[late.len() - 1],
        verdict(p99 <= 100)
    );
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// User and system CPU time this process has used, in seconds.
fn cpu_secs() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// CPU seconds of each thread of this process, by thread id, with its name.
fn thread_cpu() -> std::collections::HashMap<String, (String, f64)> {
    let mut out = std::collections::HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    let tick = 100.0; // USER_HZ
    for e in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let f: Vec<&str> = stat[close + 2..].split(' ').collect();
        let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // utime and stime are fields 14 and 15 (11 and 12 after the name).
        out.insert(
            e.file_name().to_string_lossy().into(),
            (name, (t(11) + t(12)) / tick),
        );
    }
    out
}

fn busiest_thread(
    before: &std::collections::HashMap<String, (String, f64)>,
    after: &std::collections::HashMap<String, (String, f64)>,
) -> Option<(String, f64)> {
    after
        .iter()
        .map(|(tid, (name, t))| (name.clone(), t - before.get(tid).map_or(0.0, |b| b.1)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}
