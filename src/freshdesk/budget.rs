//! The account-wide request budget: one per [`Client`](super::Client), shared by clones.
//!
//! Freshdesk counts every request of the account against one per-minute limit, and
//! failed requests count too, so the cheapest way to stay healthy is never to be
//! refused. Four rules decide when a request may go:
//!
//! 1. **No rolling minute over the limit.** The credits sent in any span of
//!    `60 s + guard` never exceed the limit. The guard is the longest recent round
//!    trip (at least 50 ms): Freshdesk's window opens when the first request
//!    *arrives*, so a request sent exactly 60 s after it could still land inside.
//! 2. **Pacing (GCRA).** Within that, requests are spaced `60 s / limit` apart, with a
//!    burst of up to 5 after idle time, so traffic is smooth and the lanes matter.
//! 3. **Learning from the headers.** `X-RateLimit-Total` below the configured rate
//!    lowers the limit to the plan's. Freshdesk's window is fixed and opens with the
//!    first request after the previous one ended (api §4); a response whose
//!    `X-RateLimit-Remaining` shows it was the first of a window tells us the window
//!    ends at most 60 s after that response arrived. Every response's `Remaining`,
//!    less what we sent after that request, caps what may still go in this window
//!    (other integrations share the account); at 0 everyone waits for the window
//!    to end (a full minute when its start is unknown).
//! 4. **Pauses and lanes.** A 429 pauses every request of the process until
//!    `Retry-After` plus a 1 s margin. While a [`Lane::InFlight`] request waits, no
//!    [`Lane::New`] request is admitted: steps of tickets already started go first.
//!
//! No limiter crate fits: governor (the well-kept GCRA crate) has no priority lanes,
//! no global pause and no way to change its quota from response headers.
//! All waiting uses `tokio::time`, so tests drive it with `tokio::time::pause()`.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

/// The length of Freshdesk's rate-limit window.
const WINDOW: Duration = Duration::from_secs(60);
/// Margin added to `Retry-After`, as Airbyte does: the server's clock and ours differ.
const RETRY_AFTER_MARGIN: Duration = Duration::from_secs(1);
/// The largest burst after idle time; small, so that bursts never dominate a minute.
const MAX_BURST: u32 = 5;
/// Bounds of the guard added to the rolling minute (see rule 1).
const GUARD_MIN: Duration = Duration::from_millis(50);
const GUARD_MAX: Duration = Duration::from_secs(5);

/// Which requests go first when the budget is short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Steps of tickets already in flight (and looking at them).
    InFlight,
    /// Work that starts something new (creating tickets, loading people).
    New,
}

/// A granted request: when it went, and its place in the order of grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    pub at: Instant,
    seq: u64,
}

/// The rate-limit headers of one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub total: u32,
    pub remaining: u32,
    /// `X-RateLimit-Used-CurrentRequest`: the credits this request cost.
    pub used: Option<u32>,
}

#[derive(Debug)]
pub(crate) struct Budget {
    state: Mutex<State>,
    /// Wakes waiters when something they wait for may have changed.
    notify: Notify,
    configured: u32,
    /// Off only for contrast in the benchmark: then 429s are all that slow us down.
    enabled: bool,
}

#[derive(Debug)]
struct State {
    /// `min(configured, X-RateLimit-Total)`.
    limit: u32,
    interval: Duration,
    /// How far ahead of its theoretical time a request may go: `(burst - 1) * interval`.
    tolerance: Duration,
    /// GCRA theoretical arrival time of the next request; `None` before the first.
    tat: Option<Instant>,
    /// Credits sent within the last `WINDOW + guard` (time, credits, grant number),
    /// oldest first, and their sum.
    sent: VecDeque<(Instant, u32, u64)>,
    sent_sum: u32,
    next_seq: u64,
    /// What the server said is left in its current window, less what we sent
    /// since: `(until when, credits)`.
    cap: Option<(Instant, u32)>,
    guard: Duration,
    paused_until: Option<Instant>,
    /// The server window as learned from the headers: the grant number of the
    /// request that opened it, and the latest it can end.
    window: Option<(u64, Instant)>,
    in_flight_waiting: usize,
    last_headers: Option<(u32, u32)>,
}

impl State {
    fn new(limit: u32) -> State {
        let mut st = State {
            limit: 0,
            interval: WINDOW,
            tolerance: Duration::ZERO,
            tat: None,
            sent: VecDeque::new(),
            sent_sum: 0,
            next_seq: 0,
            cap: None,
            guard: GUARD_MIN,
            paused_until: None,
            window: None,
            in_flight_waiting: 0,
            last_headers: None,
        };
        st.set_limit(limit);
        st
    }

    fn set_limit(&mut self, limit: u32) {
        let limit = limit.max(1);
        let burst = (limit / 10).clamp(1, MAX_BURST);
        self.limit = limit;
        self.interval = WINDOW / limit;
        self.tolerance = self.interval * (burst - 1);
    }

    /// When `cost` more credits fit into the rolling window, given what was sent.
    fn rolling_room_at(&mut self, cost: u32, now: Instant) -> Option<Instant> {
        let span = WINDOW + self.guard;
        while let Some(&(at, c, _)) = self.sent.front() {
            if at + span > now {
                break;
            }
            self.sent.pop_front();
            self.sent_sum = self.sent_sum.saturating_sub(c);
        }
        let mut excess = self
            .sent_sum
            .saturating_add(cost)
            .saturating_sub(self.limit);
        if excess == 0 {
            return None;
        }
        for &(at, c, _) in &self.sent {
            excess = excess.saturating_sub(c);
            if excess == 0 {
                return Some(at + span);
            }
        }
        None
    }
}

/// Why a request may not go yet.
enum Wait {
    /// Until this instant (pacing, the rolling window or a pause).
    Until(Instant),
    /// Until another waiter changes the picture (an in-flight request goes first).
    Turn,
}

impl Budget {
    /// A budget of `rate_per_min` credits per rolling minute (at least 1).
    pub(crate) fn new(rate_per_min: u32) -> Budget {
        Budget {
            state: Mutex::new(State::new(rate_per_min)),
            notify: Notify::new(),
            configured: rate_per_min.max(1),
            enabled: true,
        }
    }

    /// No pacing and no learning: only 429 pauses (the benchmark's contrast).
    pub(crate) fn unlimited() -> Budget {
        Budget {
            enabled: false,
            ..Budget::new(u32::MAX)
        }
    }

    /// The spacing between requests in steady traffic.
    #[cfg(test)]
    pub(crate) fn interval(&self) -> Duration {
        self.lock().interval
    }

    /// The limit in use: the configured rate, or the plan's when that is lower.
    pub(crate) fn limit(&self) -> u32 {
        self.lock().limit
    }

    /// Waits until a request of `lane` costing `cost` credits may be sent, books it,
    /// and returns the moment it was granted (the request's send time).
    pub(crate) async fn acquire(&self, lane: Lane, cost: u32) -> Grant {
        let _turn = (lane == Lane::InFlight).then(|| InFlightTurn::new(self));
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = Instant::now();
            match self.try_acquire(lane, cost.max(1), now) {
                Ok(seq) => return Grant { at: now, seq },
                Err(Wait::Until(at)) => {
                    tokio::select! {
                        () = sleep_until(at) => {}
                        () = &mut notified => {}
                    }
                }
                Err(Wait::Turn) => notified.await,
            }
        }
    }

    fn try_acquire(&self, lane: Lane, cost: u32, now: Instant) -> Result<u64, Wait> {
        let mut st = self.lock();
        if let Some(until) = st.paused_until.filter(|&p| now < p) {
            return Err(Wait::Until(until));
        }
        if !self.enabled {
            return Ok(0);
        }
        if lane == Lane::New && st.in_flight_waiting > 0 {
            return Err(Wait::Turn);
        }
        let tat = st.tat.unwrap_or(now);
        let allowed_at = tat.checked_sub(st.tolerance).unwrap_or(now);
        if now < allowed_at {
            return Err(Wait::Until(allowed_at));
        }
        if let Some(at) = st.rolling_room_at(cost, now) {
            return Err(Wait::Until(at));
        }
        match st.cap {
            Some((until, _)) if now >= until => st.cap = None,
            Some((until, left)) if left < cost => return Err(Wait::Until(until)),
            Some((until, left)) => st.cap = Some((until, left - cost)),
            None => {}
        }
        st.tat = Some(tat.max(now) + st.interval * cost);
        let seq = st.next_seq;
        st.next_seq += 1;
        st.sent.push_back((now, cost, seq));
        st.sent_sum = st.sent_sum.saturating_add(cost);
        Ok(seq)
    }

    /// A 429 arrived: hold every request until `retry_after` plus a margin has passed.
    pub(crate) fn on_rate_limited(&self, retry_after: Duration) {
        self.pause_until(Instant::now() + retry_after + RETRY_AFTER_MARGIN);
    }

    /// Learns from the headers of the response to `grant`.
    pub(crate) fn observe(&self, h: RateHeaders, grant: Grant) {
        let now = Instant::now();
        {
            let mut st = self.lock();
            st.last_headers = Some((h.total, h.remaining));
            if !self.enabled {
                return;
            }
            self.learn_limit(&mut st, h.total);
            let rtt = now.saturating_duration_since(grant.at);
            let decayed = st
                .guard
                .saturating_sub(st.guard.saturating_sub(GUARD_MIN) / 8);
            st.guard = rtt.max(decayed).clamp(GUARD_MIN, GUARD_MAX);
            if h.total.saturating_sub(h.remaining) <= h.used.unwrap_or(1).max(1) {
                st.window = Some((grant.seq, now + WINDOW));
            }
            if st.window.is_some_and(|(opener, _)| grant.seq < opener) {
                return; // an answer from an earlier window
            }
            let end = st.window.map(|(_, end)| end).filter(|&end| end > now);
            let end = end.unwrap_or(now + WINDOW);
            // `sent` is in grant order: what went after this grant is its tail
            // (a search, not a walk over the whole minute's requests).
            let after = st.sent.partition_point(|e| e.2 <= grant.seq);
            let since: u32 = st.sent.range(after..).map(|e| e.1).sum();
            let left = h.remaining.saturating_sub(since);
            st.cap = Some((end, left));
            if left == 0 {
                tracing::info!(
                    wait_ms = end.duration_since(now).as_millis() as u64,
                    "Freshdesk reports no requests left in this window; holding all requests until it ends"
                );
            }
        }
        self.notify.notify_waiters();
    }

    fn learn_limit(&self, st: &mut State, total: u32) {
        let limit = self.configured.min(total.max(1));
        if limit != st.limit {
            tracing::info!(
                plan_per_min = total,
                configured = self.configured,
                using = limit,
                "Freshdesk reports the account's rate limit; adjusting the budget"
            );
            st.set_limit(limit);
        }
    }

    /// The last `(X-RateLimit-Total, X-RateLimit-Remaining)` seen.
    pub(crate) fn last_headers(&self) -> Option<(u32, u32)> {
        self.lock().last_headers
    }

    /// How long the pause after a 429 still lasts (zero when not paused).
    pub(crate) fn paused_for(&self) -> Duration {
        let now = Instant::now();
        self.lock()
            .paused_until
            .map_or(Duration::ZERO, |p| p.saturating_duration_since(now))
    }

    fn pause_until(&self, until: Instant) {
        {
            let mut st = self.lock();
            st.paused_until = Some(st.paused_until.map_or(until, |p| p.max(until)));
        }
        self.notify.notify_waiters();
    }

    /// The state stays consistent even if a holder panicked (every update is a single
    /// assignment), so a poisoned lock is simply taken over.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Marks an in-flight request as waiting for as long as it lives, so that new
/// requests stand back; dropping it (granted or cancelled) lets them go again.
struct InFlightTurn<'a>(&'a Budget);

impl<'a> InFlightTurn<'a> {
    fn new(budget: &'a Budget) -> Self {
        budget.lock().in_flight_waiting += 1;
        InFlightTurn(budget)
    }
}

impl Drop for InFlightTurn<'_> {
    fn drop(&mut self) {
        {
            let mut st = self.0.lock();
            st.in_flight_waiting = st.in_flight_waiting.saturating_sub(1);
        }
        self.0.notify.notify_waiters();
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
