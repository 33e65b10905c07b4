//! Engine benchmark (issue 9): every figure is printed beside its reference,
//! measured in the same run on the same machine, with the target on the line.
//!
//! `cargo bench --bench dispatcher` prints:
//! - throughput: durable steps/s of the real dispatcher (worker pool, batched
//!   commits) against the in-process emulator with no rate limit and offsets of
//!   1-4 ms, beside two ceilings: single-row `synchronous=FULL` commits/s
//!   through sqlx, and requests/s to the emulator through the real client;
//! - claim cost: an idle round and one claim with few and many pending and
//!   overdue lifecycles;
//! - memory and start-up of the real daemon process (`ticketsim run`, release
//!   build) over 1,000 and 1,000,000 pending lifecycles;
//! - lateness: step lateness p99 (due → claimed and sent) at half the measured
//!   throughput.
//!
//! `BENCH_LARGE` (default 1000000) and `BENCH_OVERDUE` (default 100000) change
//! the large backlogs; `BENCH_LIFECYCLES` (default 2000) the throughput run.

mod bulk;
mod ceilings;
mod engine;
mod startup;

use std::time::Duration;

const KEY: &str = "bench-key-7e2a";

fn env_number(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// The `VmRSS:` line of a `/proc/*/status` text, in KiB.
fn vm_rss_kib(status: &str) -> f64 {
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "MISS" }
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let large = env_number("BENCH_LARGE", 1_000_000);
    let overdue = env_number("BENCH_OVERDUE", 100_000);
    let lifecycles = env_number("BENCH_LIFECYCLES", 2_000);
    println!(
        "ticketsim engine benchmark: {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        chrono_now()
    );
    rt.block_on(async {
        let max = engine::throughput_section(lifecycles).await;
        // BENCH_ONLY=throughput: the first section alone (while tuning).
        if std::env::var("BENCH_ONLY").is_ok_and(|v| v == "throughput") {
            return;
        }
        engine::claim_section(large, overdue).await;
        startup_section(large).await;
        engine::lateness_section(max / 2.0, Duration::from_secs(10)).await;
    });
}

fn chrono_now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    ticketsim::clock::format_iso(ms)
}

async fn startup_section(large: i64) {
    let small = engine::daemon_db(1_000).await;
    let big = engine::daemon_db(large).await;
    let (emulator, url, _stop) = engine::emulator(10_000_000).await;
    let a = startup::measure(&small.1, &emulator, &url).await;
    let b = startup::measure(&big.1, &emulator, &url).await;
    for (n, s) in [(1_000, &a), (large, &b)] {
        println!(
            "daemon over {n:>8} pending lifecycles: READY=1 after {:>6.0} ms | first due step sent after {:>6.0} ms | RSS idle {:>5.1} MiB | SIGTERM to exit {:>5.0} ms",
            s.ready.as_secs_f64() * 1e3,
            s.first_step.as_secs_f64() * 1e3,
            s.rss_mib,
            s.stop.as_secs_f64() * 1e3
        );
    }
    let ratio = b.rss_mib / a.rss_mib;
    println!(
        "memory: RSS with {large} ÷ RSS with 1000 = {ratio:.2} (target ≤ 1.2), {:.1} MiB (target < 64) {}",
        b.rss_mib,
        verdict(ratio <= 1.2 && b.rss_mib < 64.0)
    );
    let worst = b.ready.max(b.first_step).as_secs_f64();
    println!(
        "start-up with {large} pending: READY=1 {:.2} s, first due step {:.2} s (target ≤ 1 s) {}",
        b.ready.as_secs_f64(),
        b.first_step.as_secs_f64(),
        verdict(worst <= 1.0)
    );
}
