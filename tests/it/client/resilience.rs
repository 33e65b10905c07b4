//! Rate limiting against the emulator's fixed window: a 429 is waited out for
//! `Retry-After` (plus the margin) and holds every request of the process. The
//! window is used up by a second client (another integration on the same
//! account), because our own client stops by itself when the headers say no
//! requests are left.

use ticketsim::clock::parse_iso;
use ticketsim::emulator::{EmulatorConfig, RequestLogEntry};

use super::Fd;
use crate::harness::emulator_config;

fn limited(rate_per_min: u32) -> EmulatorConfig {
    EmulatorConfig {
        rate_per_min,
        ..emulator_config()
    }
}

fn at(r: &RequestLogEntry) -> i64 {
    parse_iso(&r.at).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_429_is_waited_out_for_retry_after_and_the_retry_then_succeeds() {
    let fd = Fd::start_with(limited(3)).await;
    let other = fd.client();
    for _ in 0..3 {
        other.list_groups().await.unwrap();
    }
    let me = fd.client().me().await.unwrap();
    assert_eq!(me.id, fd.agent_ids()[0]);
    let log = fd.emulator.requests();
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 200]);
    // Retry-After is what is left of the window that opened with the first
    // request; the client waits that plus the 1 s margin.
    let (opened, refused, retried) = (at(&log[0]), at(&log[3]), at(&log[4]));
    let retry_after = opened + 60_000 - refused;
    let waited = retried - refused;
    assert!(
        (retry_after + 1_000..retry_after + 2_000).contains(&waited),
        "Retry-After {retry_after} ms, retried after {waited} ms"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_the_other_requests_of_the_process_until_retry_after() {
    let fd = Fd::start_with(limited(1)).await;
    fd.client().list_groups().await.unwrap();
    let client = fd.client();
    let (a, b) = tokio::join!(client.list_agents(), client.me());
    a.unwrap();
    b.unwrap();
    let log = fd.emulator.requests();
    let first_429 = log.iter().find(|r| r.status == 429).map(at).unwrap();
    let served: Vec<i64> = log
        .iter()
        .skip(1)
        .filter(|r| r.status == 200)
        .map(at)
        .collect();
    assert_eq!(served.len(), 2);
    for t in served {
        assert!(
            t - first_429 >= 61_000,
            "a request went {} ms after the first 429",
            t - first_429
        );
    }
}

/// Four workers flat out for 130 s against an emulator limiting at `plan` per
/// minute; returns the statuses it answered and the request times (ms from start).
async fn flat_out(plan: u32, budget: u32) -> (Vec<u16>, Vec<i64>) {
    let fd = Fd::start_with(limited(plan)).await;
    let mut cfg = fd.config();
    cfg.rate_per_min = budget;
    let client = ticketsim::freshdesk::Client::new(cfg).unwrap();
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < std::time::Duration::from_secs(130) {
                client.me().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let log = fd.emulator.requests();
    let t0 = at(&log[0]);
    (
        log.iter().map(|r| r.status).collect(),
        log.iter().map(|r| at(r) - t0).collect(),
    )
}

#[tokio::test(start_paused = true)]
async fn a_budget_set_to_the_plans_rate_is_never_refused_and_uses_the_window() {
    let (statuses, times) = flat_out(30, 30).await;
    assert!(statuses.iter().all(|&s| s == 200), "no 429: {statuses:?}");
    let in_two_windows = times.iter().filter(|&&t| t < 120_000).count();
    assert!(
        in_two_windows >= 58,
        "{in_two_windows} of 60 requests in two windows"
    );
}

#[tokio::test(start_paused = true)]
async fn a_budget_above_the_plan_learns_the_plans_limit_from_the_headers() {
    let (statuses, times) = flat_out(30, 1000).await;
    assert!(statuses.iter().all(|&s| s == 200), "no 429: {statuses:?}");
    assert!(times.iter().filter(|&&t| t < 120_000).count() >= 58);
}
