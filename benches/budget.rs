//! Rate-budget benchmark: the real client flat out against the in-process
//! emulator, which limits at R requests per minute with Freshdesk's fixed
//! window (it opens with the first request and refuses the rest with 429 and
//! `Retry-After` until it ends).
//!
//! `cargo bench --bench budget` runs two clients at the same time, each against
//! its own emulator, for 120 s (two full windows): one with the budget set to R,
//! one without a budget (only `Retry-After` slows it down). For each it prints
//! the requests served, the achieved rate as a share of R, the number of 429s,
//! and the most requests served in any rolling 60 s. The budget must reach at
//! least 0.97 of R with no 429. `BENCH_RATE` (default 120), `BENCH_SECONDS`
//! (default 120) and `BENCH_WORKERS` (default 8) change the setup.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ticketsim::clock::SystemClock;
use ticketsim::emulator::{Emulator, EmulatorConfig};
use ticketsim::freshdesk::{ApiKey, Client, ClientConfig};
use tokio::time::{Instant, timeout_at};

const KEY: &str = "bench-key-4c1d";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// What one run saw.
struct Outcome {
    /// When each successful request completed.
    served: Vec<Instant>,
    refused: usize,
    errors: usize,
}

/// An emulator limiting at `rate`, and a client with or without the budget.
async fn setup(rate: u32, budget: bool) -> (Emulator, Client, tokio::sync::oneshot::Sender<()>) {
    let cfg = EmulatorConfig {
        api_key: KEY.into(),
        rate_per_min: rate,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::new(cfg, Arc::new(SystemClock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(emulator.clone().serve(listener, async {
        let _ = stopped.await;
    }));
    let mut cc = ClientConfig::new(url, ApiKey::new(KEY));
    cc.rate_per_min = rate;
    cc.budget_off = !budget;
    (emulator, Client::new(cc).expect("client"), stop)
}

async fn run(rate: u32, budget: bool, seconds: u64, workers: u64) -> Outcome {
    let (emulator, client, _stop) = setup(rate, budget).await;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let served = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(0usize));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (client, served, errors) = (client.clone(), served.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            while let Ok(result) = timeout_at(deadline, client.me()).await {
                match result {
                    Ok(_) => served.lock().expect("lock").push(Instant::now()),
                    Err(_) => *errors.lock().expect("lock") += 1,
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    let refused = emulator
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    let mut served = served.lock().expect("lock").clone();
    served.sort();
    let errors = *errors.lock().expect("lock");
    Outcome {
        served,
        refused,
        errors,
    }
}

/// The most completions within any 60 s.
fn rolling_max(served: &[Instant]) -> usize {
    let minute = Duration::from_secs(60);
    let mut best = 0;
    let mut start = 0;
    for end in 0..served.len() {
        while served[end] - served[start] >= minute {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

fn report(label: &str, o: &Outcome, rate: u32, seconds: u64) {
    let per_min = o.served.len() as f64 * 60.0 / seconds as f64;
    println!(
        "{label:<24} {:>5} served in {seconds} s = {per_min:>6.1}/min = {:.3} of R | {:>3} × 429 | \
         {:>3} errors | most in any 60 s: {}",
        o.served.len(),
        per_min / f64::from(rate),
        o.refused,
        o.errors,
        rolling_max(&o.served)
    );
}

fn main() {
    let rate = env_number("BENCH_RATE", 120) as u32;
    let seconds = env_number("BENCH_SECONDS", 120);
    let workers = env_number("BENCH_WORKERS", 8);
    println!(
        "budget benchmark: emulator fixed window at R = {rate} requests/min, {workers} workers \
         flat out on GET /agents/me for {seconds} s, both runs at once"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (with, without) = runtime.block_on(async {
        tokio::join!(
            run(rate, true, seconds, workers),
            run(rate, false, seconds, workers)
        )
    });
    report(
        &format!("with the budget ({rate}/min)"),
        &with,
        rate,
        seconds,
    );
    report("without a budget", &without, rate, seconds);
    let share = with.served.len() as f64 * 60.0 / seconds as f64 / f64::from(rate);
    let verdict = if share >= 0.97 && with.refused == 0 {
        "PASS"
    } else {
        "FAIL"
    };
    println!(
        "{verdict}: the budget reached {share:.3} of R (target ≥ 0.97) with {} × 429 (target 0)",
        with.refused
    );
}
