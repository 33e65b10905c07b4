//! Tests of the rate budget, on tokio's paused clock (no real sleeps).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::{Instant, advance, sleep};

use super::{Budget, Lane, RateHeaders};

/// Acquires `n` times one after another and returns when each was granted.
async fn grant_times(budget: &Budget, lane: Lane, n: usize) -> Vec<Instant> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        times.push(budget.acquire(lane, 1).await.at);
    }
    times
}

fn headers(total: u32, remaining: u32) -> RateHeaders {
    RateHeaders {
        total,
        remaining,
        used: Some(1),
    }
}

#[tokio::test(start_paused = true)]
async fn requests_after_the_burst_are_spread_sixty_over_rate_apart() {
    let rate = 40;
    let budget = Budget::new(rate);
    let start = Instant::now();
    let times = grant_times(&budget, Lane::New, 20).await;
    let burst = times.iter().filter(|&&t| t == start).count();
    assert_eq!(burst, 4, "a burst of rate/10");
    for pair in times[burst - 1..].windows(2) {
        assert_eq!(pair[1] - pair[0], Duration::from_millis(1500));
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
                let cost = if i % 5 == 0 { 3 } else { 1 };
                let at = budget.acquire(lane, cost).await.at;
                times.lock().unwrap().extend((0..cost).map(|_| at));
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut times = times.lock().unwrap().clone();
    times.sort();
    for i in 0..times.len() - rate {
        let span = times[i + rate] - times[i];
        assert!(
            span >= Duration::from_millis(60_050),
            "{} credits within {span:?}",
            rate + 1
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
    use Lane::{InFlight as F, New as N};
    assert_eq!(order, [F, F, N, N, N]);
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
        tasks.push(tokio::spawn(
            async move { budget.acquire(lane, 1).await.at },
        ));
    }
    for task in tasks {
        // Retry-After 5 s plus the 1 s margin.
        assert_eq!(task.await.unwrap() - start, Duration::from_secs(6));
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
async fn no_remaining_requests_hold_everyone_until_the_learned_window_ends() {
    let budget = Budget::new(6000);
    let opener = budget.acquire(Lane::New, 1).await;
    advance(Duration::from_millis(300)).await;
    // The first request of a window: the window ends at most 60 s after this answer.
    budget.observe(headers(6000, 5999), opener);
    let window_end = Instant::now() + Duration::from_secs(60);
    advance(Duration::from_secs(20)).await;
    let sent = budget.acquire(Lane::New, 1).await;
    budget.observe(headers(6000, 0), sent);
    budget.acquire(Lane::InFlight, 1).await;
    assert_eq!(Instant::now(), window_end);
    assert_eq!(budget.last_headers(), Some((6000, 0)));
}

#[tokio::test(start_paused = true)]
async fn no_remaining_requests_with_no_known_window_hold_a_full_minute() {
    let budget = Budget::new(6000);
    let sent = budget.acquire(Lane::New, 1).await;
    budget.observe(headers(6000, 0), sent);
    let start = Instant::now();
    budget.acquire(Lane::New, 1).await;
    assert_eq!(Instant::now() - start, Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn a_late_answer_from_an_earlier_window_does_not_hold_anyone() {
    let budget = Budget::new(6000);
    let old = budget.acquire(Lane::New, 1).await;
    advance(Duration::from_secs(61)).await;
    let opener = budget.acquire(Lane::New, 1).await;
    budget.observe(headers(6000, 5999), opener);
    budget.observe(headers(6000, 0), old);
    let start = Instant::now();
    budget.acquire(Lane::New, 1).await;
    assert!(Instant::now() - start < Duration::from_millis(20));
}

#[tokio::test(start_paused = true)]
async fn a_lower_remaining_than_ours_caps_the_rest_of_the_window() {
    let budget = Budget::new(6000);
    let opener = budget.acquire(Lane::New, 1).await;
    budget.observe(headers(6000, 5999), opener);
    let window_end = Instant::now() + Duration::from_secs(60);
    // Another integration of the account used most of the window.
    let sent = budget.acquire(Lane::New, 1).await;
    let in_flight = budget.acquire(Lane::New, 1).await;
    budget.observe(headers(6000, 3), sent);
    let start = Instant::now();
    let times = grant_times(&budget, Lane::New, 3).await;
    assert!(
        times[0] - start < Duration::from_millis(50),
        "two more fit: 3 left, 1 in flight"
    );
    assert!(times[1] - start < Duration::from_millis(50));
    assert_eq!(
        times[2], window_end,
        "the third waits for the window to end"
    );
    budget.observe(headers(6000, 2), in_flight);
}

#[tokio::test(start_paused = true)]
async fn a_lower_plan_limit_in_the_headers_lowers_the_budget() {
    let budget = Budget::new(100);
    assert_eq!(budget.interval(), Duration::from_millis(600));
    let sent = budget.acquire(Lane::New, 1).await;
    budget.observe(headers(50, 49), sent);
    assert_eq!(
        (budget.limit(), budget.interval()),
        (50, Duration::from_millis(1200))
    );
    budget.observe(headers(400, 399), sent);
    assert_eq!(budget.limit(), 100, "never above the configured rate");
}

#[tokio::test(start_paused = true)]
async fn without_the_budget_only_429s_slow_requests_down() {
    let budget = Budget::unlimited();
    let start = Instant::now();
    let times = grant_times(&budget, Lane::New, 500).await;
    assert!(times.iter().all(|&t| t == start));
    budget.on_rate_limited(Duration::from_secs(3));
    budget.acquire(Lane::New, 1).await;
    assert_eq!(Instant::now() - start, Duration::from_secs(4));
}

#[test]
fn a_rate_of_one_spaces_requests_a_minute_apart() {
    assert_eq!(Budget::new(1).interval(), Duration::from_secs(60));
    assert_eq!(Budget::new(0).interval(), Duration::from_secs(60));
}

/// Freshdesk's fixed window, as api §4 describes it: it opens when the first
/// request arrives and refuses everything past the limit until it ends.
struct FixedWindow {
    limit: u32,
    opened: Option<Instant>,
    used: u32,
}

impl FixedWindow {
    fn arrive(&mut self, now: Instant) -> Result<u32, Duration> {
        let window = Duration::from_secs(60);
        let opened = match self.opened {
            Some(o) if now < o + window => o,
            _ => {
                self.used = 0;
                *self.opened.insert(now)
            }
        };
        if self.used >= self.limit {
            return Err(opened + window - now);
        }
        self.used += 1;
        Ok(self.limit - self.used)
    }
}

/// Four workers flat out against a fixed window of 120/min with a 3 ms network:
/// over two and a half minutes the budget is never refused and uses the window.
#[tokio::test(start_paused = true)]
async fn flat_out_against_a_fixed_window_nothing_is_refused_and_the_window_is_used() {
    let rate = 120;
    let budget = Arc::new(Budget::new(rate));
    let server = Arc::new(Mutex::new(FixedWindow {
        limit: rate,
        opened: None,
        used: 0,
    }));
    let (served, refused) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(0)));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (budget, server, served, refused) = (
            budget.clone(),
            server.clone(),
            served.clone(),
            refused.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < Duration::from_secs(150) {
                let sent = budget.acquire(Lane::New, 1).await;
                sleep(Duration::from_millis(3)).await;
                let answer = server.lock().unwrap().arrive(Instant::now());
                sleep(Duration::from_millis(3)).await;
                match answer {
                    Ok(remaining) => {
                        served.lock().unwrap().push(sent.at);
                        budget.observe(headers(rate, remaining), sent);
                    }
                    Err(retry) => {
                        *refused.lock().unwrap() += 1;
                        budget.on_rate_limited(retry);
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*refused.lock().unwrap(), 0);
    let served = served.lock().unwrap();
    let in_two_windows = served
        .iter()
        .filter(|&&t| t - start < Duration::from_secs(120))
        .count();
    let ratio = in_two_windows as f64 / (2.0 * f64::from(rate));
    assert!(ratio >= 0.97, "used {ratio:.3} of two windows");
}
