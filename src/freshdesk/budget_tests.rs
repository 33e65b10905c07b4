//! Tests of the rate budget, on tokio's paused clock (no real sleeps).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::{Instant, advance, sleep};

use super::{Budget, Lane};

/// Acquires `n` times one after another and returns when each was granted.
async fn grant_times(budget: &Budget, lane: Lane, n: usize) -> Vec<Instant> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        budget.acquire(lane, 1).await;
        times.push(Instant::now());
    }
    times
}

#[tokio::test(start_paused = true)]
async fn requests_after_the_burst_are_spread_at_least_sixty_over_rate_apart() {
    let rate = 40;
    let budget = Budget::new(rate);
    let start = Instant::now();
    let times = grant_times(&budget, Lane::New, 20).await;
    let burst = times.iter().filter(|&&t| t == start).count();
    assert!((1..=5).contains(&burst), "burst was {burst}");
    let min_gap = Duration::from_secs(60) / rate;
    for pair in times[burst - 1..].windows(2) {
        assert!(pair[1] - pair[0] >= min_gap, "gap {:?}", pair[1] - pair[0]);
    }
}

#[tokio::test(start_paused = true)]
async fn no_rolling_minute_ever_holds_more_than_the_rate() {
    let rate = 40usize;
    let budget = Arc::new(Budget::new(rate as u32));
    let times = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for worker in 0..4u64 {
        let (budget, times) = (budget.clone(), times.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..60u64 {
                // Irregular idle gaps let the burst refill now and then.
                if (i + worker) % 7 == 0 {
                    sleep(Duration::from_secs(5 + worker * 3)).await;
                }
                let lane = if i % 2 == 0 {
                    Lane::New
                } else {
                    Lane::InFlight
                };
                budget.acquire(lane, 1).await;
                times.lock().unwrap().push(Instant::now());
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut times = times.lock().unwrap().clone();
    times.sort();
    assert_eq!(times.len(), 240);
    for i in 0..times.len() - rate {
        assert!(
            times[i + rate] - times[i] >= Duration::from_secs(60),
            "{} requests within {:?}",
            rate + 1,
            times[i + rate] - times[i]
        );
    }
}

#[tokio::test(start_paused = true)]
async fn in_flight_requests_go_before_new_ones_when_both_wait() {
    // Rate 6: no burst, one request every 10 s.
    let budget = Arc::new(Budget::new(6));
    budget.acquire(Lane::New, 1).await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for lane in [
        Lane::New,
        Lane::New,
        Lane::InFlight,
        Lane::New,
        Lane::InFlight,
    ] {
        let (budget, order) = (budget.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            budget.acquire(lane, 1).await;
            order.lock().unwrap().push(lane);
        }));
        tokio::task::yield_now().await;
    }
    for task in tasks {
        task.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    assert_eq!(
        order,
        vec![
            Lane::InFlight,
            Lane::InFlight,
            Lane::New,
            Lane::New,
            Lane::New
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_in_flight_waiter_lets_new_requests_go() {
    let budget = Arc::new(Budget::new(6));
    budget.acquire(Lane::New, 1).await;
    let waiting = {
        let budget = budget.clone();
        tokio::spawn(async move { budget.acquire(Lane::InFlight, 1).await })
    };
    tokio::task::yield_now().await;
    waiting.abort();
    let start = Instant::now();
    budget.acquire(Lane::New, 1).await;
    assert_eq!(Instant::now() - start, Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn a_429_pause_holds_every_request_of_both_lanes() {
    let budget = Arc::new(Budget::new(6000));
    budget.acquire(Lane::New, 1).await;
    let start = Instant::now();
    budget.on_rate_limited(Duration::from_secs(5));
    let mut tasks = Vec::new();
    for lane in [Lane::New, Lane::InFlight] {
        let budget = budget.clone();
        tasks.push(tokio::spawn(async move {
            budget.acquire(lane, 1).await;
            Instant::now()
        }));
    }
    for task in tasks {
        // Retry-After 5 s plus the 1 s margin.
        assert!(task.await.unwrap() - start >= Duration::from_secs(6));
    }
}

#[tokio::test(start_paused = true)]
async fn a_later_shorter_pause_does_not_shorten_a_longer_one() {
    let budget = Budget::new(6000);
    let start = Instant::now();
    budget.on_rate_limited(Duration::from_secs(30));
    budget.on_rate_limited(Duration::from_secs(2));
    budget.acquire(Lane::InFlight, 1).await;
    assert_eq!(Instant::now() - start, Duration::from_secs(31));
}

#[tokio::test(start_paused = true)]
async fn no_remaining_requests_hold_everyone_until_the_window_resets() {
    let budget = Budget::new(6000);
    let window_start = Instant::now();
    budget.acquire(Lane::New, 1).await;
    advance(Duration::from_secs(20)).await;
    budget.acquire(Lane::New, 1).await;
    budget.observe(50, 0);
    budget.acquire(Lane::InFlight, 1).await;
    assert_eq!(Instant::now() - window_start, Duration::from_secs(60));
    assert_eq!(budget.last_headers(), Some((50, 0)));
}

#[tokio::test(start_paused = true)]
async fn no_remaining_requests_with_no_known_window_hold_a_full_minute() {
    let budget = Budget::new(6000);
    let start = Instant::now();
    budget.observe(50, 0);
    budget.acquire(Lane::New, 1).await;
    assert_eq!(Instant::now() - start, Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn remaining_requests_above_zero_do_not_hold_anyone() {
    let budget = Budget::new(6000);
    budget.acquire(Lane::New, 1).await;
    budget.observe(50, 1);
    let start = Instant::now();
    budget.acquire(Lane::New, 1).await;
    assert!(Instant::now() - start < Duration::from_millis(20));
    assert_eq!(budget.last_headers(), Some((50, 1)));
}

#[test]
fn a_rate_of_one_spaces_requests_a_minute_apart() {
    assert_eq!(Budget::new(1).interval(), Duration::from_secs(60));
    assert_eq!(Budget::new(0).interval(), Duration::from_secs(60));
}
