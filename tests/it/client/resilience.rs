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
    // The window opened at 0 s, so Retry-After said 60; the margin adds 1 s.
    let waited = at(&log[4]) - at(&log[3]);
    assert!(
        (61_000..63_000).contains(&waited),
        "retried {waited} ms after the 429"
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
