//! Dispatcher benchmark: how the durable scheduler behaves as pending
//! lifecycles pile up, and how fast it drives steps against the emulator.
//!
//! `cargo bench --bench dispatcher` prints, for each pending count N: the time
//! to insert N slots (one transaction each, `synchronous=FULL`), the time of
//! one idle round (`next_due_at` + an empty `claim_due`), and the process RSS —
//! which must stay flat as N grows. Then it runs 200 lifecycles to the end
//! against the in-process emulator and prints steps per second.
//! `BENCH_PENDING=1000,10000` overrides the pending counts.

use std::sync::Arc;
use std::time::Instant;

use ticketsim::app::{Daemon, Schedule, client_for};
use ticketsim::clock::{Clock, ManualClock};
use ticketsim::dispatcher::DispatcherConfig;
use ticketsim::domain::StageOffsets;
use ticketsim::emulator::{Emulator, EmulatorConfig};
use ticketsim::freshdesk::ApiKey;
use ticketsim::store::Store;

const T0: i64 = 1_767_225_600_000;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

async fn pending_scaling(n: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("b.db")).await.expect("open");
    let started = Instant::now();
    for i in 0..n as i64 {
        // slots an hour apart, all in the future: every step stays pending
        store
            .start_slot(T0 + 3_600_000 * (i + 1), T0, 1, &StageOffsets::DEFAULT)
            .await
            .expect("insert");
    }
    let insert = started.elapsed();
    let rounds = 20;
    let started = Instant::now();
    for _ in 0..rounds {
        store.next_due_at().await.expect("next due");
        store.claim_due(T0, 32).await.expect("claim");
    }
    let idle = started.elapsed() / rounds;
    println!(
        "pending {n:>7}: insert {:>8.0} slots/s | idle round {:>8.2} ms | RSS {:>6.1} MiB",
        n as f64 / insert.as_secs_f64(),
        idle.as_secs_f64() * 1e3,
        rss_mib()
    );
    store.close().await;
}

async fn throughput(lifecycles: i64) {
    let clock = ManualClock::new(T0);
    let emu_cfg = EmulatorConfig {
        contacts: 50,
        rate_per_min: 10_000_000,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::new(emu_cfg, Arc::new(clock.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(emulator.clone().serve(listener, std::future::pending()));
    let dir = tempfile::tempdir().expect("temp dir");
    let client = client_for(&url, ApiKey::new(emulator.api_key()), 1_000_000).expect("client");
    let schedule = Schedule {
        cron: "0 0 * * * *".into(),
        seed: 1,
        offsets: StageOffsets([1, 2, 3, 4]),
    };
    let clock_dyn: Arc<dyn Clock> = Arc::new(clock.clone());
    let d = Daemon::build(
        &dir.path().join("t.db"),
        client,
        clock_dyn,
        &schedule,
        DispatcherConfig::default(),
        None,
    )
    .await
    .expect("daemon");
    for i in 0..lifecycles {
        d.triggers.start_slot(T0 - i, T0).await.expect("slot");
    }
    let started = Instant::now();
    let mut steps = 0;
    let mut now = T0;
    while d.store.open_steps().await.expect("open steps") > 0 {
        now += 10;
        clock.set(now);
        steps += d.dispatcher.tick(now).await.expect("tick");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "dispatcher against the emulator: {lifecycles} lifecycles, {steps} steps ({} requests) in {secs:.2} s = {:.0} steps/s, RSS {:.1} MiB",
        emulator.requests().len(),
        steps as f64 / secs,
        rss_mib()
    );
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let counts: Vec<usize> = std::env::var("BENCH_PENDING")
        .unwrap_or_else(|_| "1000,10000,50000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "ticketsim dispatcher benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    rt.block_on(async {
        for n in counts {
            pending_scaling(n).await;
        }
        throughput(200).await;
    });
}
