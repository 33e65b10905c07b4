//! The engine under faults: leases taken back by the running daemon, a busy
//! database, the worker pool's order of work.

mod busy;
mod lease;
mod order;
mod reconcile;
mod shutdown;
mod stop;

use std::time::Duration;

use ticketsim::dispatcher::DispatcherConfig;

/// A pool that polls often (the manual clock does not wake it) and leases a
/// step for one minute.
pub fn fast_pool() -> DispatcherConfig {
    DispatcherConfig {
        backoff_base_ms: 1_000,
        backoff_cap_ms: 10_000,
        max_idle_ms: 20,
        lease_ms: 60_000,
        workers: 4,
        ..Default::default()
    }
}

/// Polls `cond` every 20 ms for at most `secs` seconds.
pub async fn eventually<F, Fut>(secs: u64, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
