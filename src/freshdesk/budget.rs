//! The account-wide request budget: one per [`Client`](super::Client), shared by clones.
//!
//! Freshdesk counts every request of the account against one per-minute limit, and
//! failed requests count too, so the cheapest way to stay healthy is never to be
//! refused. Three rules decide when a request may go:
//!
//! 1. **Pacing (GCRA).** Requests are spaced `interval` apart, with a small burst of
//!    `burst` requests allowed after idle time. The interval is stretched to
//!    `60 s / (rate - burst + 1)` so that a burst followed by steady traffic still fits
//!    `rate` requests into every rolling minute (a GCRA admits at most
//!    `burst + floor((W - ε) / interval)` requests in any window of length `W`).
//! 2. **Pauses.** A 429 pauses every request of the process until `Retry-After` plus a
//!    1 s margin has passed. When a response reports `X-RateLimit-Remaining: 0`,
//!    everyone is held until the server's window resets. Freshdesk's window is fixed
//!    and starts with the first request after the previous window ended (api §4); we
//!    model exactly that from the requests we send: a 60 s window that opens with our
//!    first request and re-opens with the first request after it has run out. If that
//!    model says the window is already over, we hold for a full 60 s to be safe.
//! 3. **Lanes.** While a [`Lane::InFlight`] request is waiting, no [`Lane::New`]
//!    request is admitted: steps of tickets already started go before new tickets.
//!
//! All waiting uses `tokio::time`, so tests drive it with `tokio::time::pause()`.

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

/// Which requests go first when the budget is short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Steps of tickets already in flight (and looking at them).
    InFlight,
    /// Work that starts something new (creating tickets, loading people).
    New,
}

#[derive(Debug)]
pub(crate) struct Budget {
    state: Mutex<State>,
    /// Wakes waiters when something they wait for may have changed.
    notify: Notify,
    interval: Duration,
    /// How far ahead of its theoretical time a request may go: `(burst - 1) * interval`.
    tolerance: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// GCRA theoretical arrival time of the next request; `None` before the first.
    tat: Option<Instant>,
    paused_until: Option<Instant>,
    /// Start of the server's fixed window as we model it.
    window_start: Option<Instant>,
    in_flight_waiting: usize,
    last_headers: Option<(u32, u32)>,
}

/// Why a request may not go yet.
enum Wait {
    /// Until this instant (pacing or a pause).
    Until(Instant),
    /// Until another waiter changes the picture (an in-flight request goes first).
    Turn,
}

impl Budget {
    /// A budget of `rate_per_min` requests per rolling minute (at least 1).
    pub(crate) fn new(rate_per_min: u32) -> Budget {
        let rate = rate_per_min.max(1);
        let burst = (rate / 10).clamp(1, MAX_BURST);
        let interval = WINDOW / (rate - burst + 1);
        Budget {
            state: Mutex::new(State::default()),
            notify: Notify::new(),
            interval,
            tolerance: interval * (burst - 1),
        }
    }

    /// The spacing between requests in steady traffic.
    #[cfg(test)]
    pub(crate) fn interval(&self) -> Duration {
        self.interval
    }

    /// Waits until a request of `lane` may be sent, and books it.
    pub(crate) async fn acquire(&self, lane: Lane, cost: u32) {
        let _turn = (lane == Lane::InFlight).then(|| InFlightTurn::new(self));
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.try_acquire(lane, cost, Instant::now()) {
                Ok(()) => return,
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

    fn try_acquire(&self, lane: Lane, cost: u32, now: Instant) -> Result<(), Wait> {
        let mut st = self.lock();
        if let Some(until) = st.paused_until.filter(|&p| now < p) {
            return Err(Wait::Until(until));
        }
        if lane == Lane::New && st.in_flight_waiting > 0 {
            return Err(Wait::Turn);
        }
        let tat = st.tat.unwrap_or(now);
        let allowed_at = tat.checked_sub(self.tolerance).unwrap_or(now);
        if now < allowed_at {
            return Err(Wait::Until(allowed_at));
        }
        st.tat = Some(tat.max(now) + self.interval * cost.max(1));
        if st.window_start.is_none_or(|w| now >= w + WINDOW) {
            st.window_start = Some(now);
        }
        Ok(())
    }

    /// A 429 arrived: hold every request until `retry_after` plus a margin has passed.
    pub(crate) fn on_rate_limited(&self, retry_after: Duration) {
        self.pause_until(Instant::now() + retry_after + RETRY_AFTER_MARGIN);
    }

    /// Records the rate-limit headers of a response; holds everyone when none are left.
    pub(crate) fn observe(&self, total: u32, remaining: u32) {
        let now = Instant::now();
        let hold = {
            let mut st = self.lock();
            st.last_headers = Some((total, remaining));
            let window_end = st.window_start.map(|w| w + WINDOW).filter(|&end| end > now);
            (remaining == 0).then(|| window_end.unwrap_or(now + WINDOW))
        };
        if let Some(until) = hold {
            tracing::warn!(
                wait_ms = until.duration_since(now).as_millis() as u64,
                "Freshdesk reports no requests left in this window; holding all requests"
            );
            self.pause_until(until);
        }
    }

    /// The last `(X-RateLimit-Total, X-RateLimit-Remaining)` seen.
    pub(crate) fn last_headers(&self) -> Option<(u32, u32)> {
        self.lock().last_headers
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
