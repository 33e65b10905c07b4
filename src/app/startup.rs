//! What `run` checks before it tells systemd it is ready: that the API key
//! works (`GET /agents/me`, through the daemon's client and its rate budget),
//! whether the schedule fits the budget, and when the next ticket is due.
//!
//! A key Freshdesk refuses (401/403), or a URL that is not a helpdesk, stops
//! the daemon with exit 2 and `check`'s message: restarting cannot fix it. A
//! network error or a 5xx is retried with backoff for a bounded time, then the
//! daemon goes on (its steps retry on their own); SIGTERM ends the wait.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::AppError;
use super::check::{Status, connection_problem, schedule_fit};
use crate::clock::{Clock, SystemClock, format_iso};
use crate::config::Config;
use crate::freshdesk::Client;

/// How long start-up keeps retrying an unreachable Freshdesk before going on
/// (well inside systemd's default 90 s start timeout).
const VERIFY_FOR: Duration = Duration::from_secs(45);
const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(10);
/// Pages a reload of the people costs when their number is not known yet.
const PEOPLE_PAGES: u32 = 2;

/// Runs the start-up checks. `Ok(false)` when a stop was requested meanwhile.
pub async fn before_ready(
    cfg: &Config,
    client: &Client,
    drain: bool,
    stop: watch::Receiver<bool>,
) -> Result<bool, AppError> {
    if !verify_key(&cfg.freshdesk_url, client, stop).await? {
        tracing::info!("stopped during start-up, before any ticket work");
        return Ok(false);
    }
    if !drain {
        warn_if_schedule_cannot_fit(cfg, client);
        log_next_slot(&cfg.create_cron, SystemClock.now_ms());
    }
    Ok(true)
}

/// `GET /agents/me` until it answers: refused → exit 2, unreachable → retry
/// until [`VERIFY_FOR`] is spent (each attempt included), then go on.
async fn verify_key(
    url: &str,
    client: &Client,
    mut stop: watch::Receiver<bool>,
) -> Result<bool, AppError> {
    let deadline = Instant::now() + VERIFY_FOR;
    let mut delay = FIRST_DELAY;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let outcome = tokio::select! {
            r = tokio::time::timeout(left, client.me()) => r,
            _ = stop.wait_for(|s| *s) => return Ok(false),
        };
        let e = match outcome {
            Ok(Ok(me)) => {
                tracing::info!(agent = %me.contact.name, agent_id = me.id, "API key accepted");
                return Ok(true);
            }
            Ok(Err(e)) if !e.is_transient() => {
                return Err(AppError::Usage(connection_problem(url, e)));
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer in time".to_string(),
        };
        if Instant::now() + delay >= deadline {
            tracing::warn!(error = %e, "could not verify the API key at start-up; going on, and steps retry on their own");
            return Ok(true);
        }
        tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "cannot verify the API key yet; retrying");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.wait_for(|s| *s) => return Ok(false),
        }
        delay = (delay * 2).min(MAX_DELAY);
    }
}

/// `check`'s schedule-vs-budget verdict, as a WARN when it does not fit.
fn warn_if_schedule_cannot_fit(cfg: &Config, client: &Client) {
    let per_min = client.budget_per_min();
    match schedule_fit(cfg, per_min, PEOPLE_PAGES, SystemClock.now_ms()) {
        Ok(fit) => {
            match fit.status {
                Status::Ok => tracing::debug!("{}", fit.detail),
                Status::Warn | Status::Fail => tracing::warn!("{}", fit.detail),
            }
            if let Some(burst) = fit.burst {
                tracing::warn!("{burst}");
            }
        }
        Err(e) => tracing::warn!("cannot estimate the schedule's calls: {e}"),
    }
}

/// Logs when the cron next starts a ticket.
fn log_next_slot(expr: &str, now: crate::clock::UnixMs) {
    let next = crate::cron::parse(expr)
        .ok()
        .and_then(|c| crate::cron::next_after(&c, now));
    match next {
        Some(at) => tracing::info!(cron = %expr, "next ticket due at {}", format_iso(at)),
        None => tracing::warn!(cron = %expr, "the schedule has no next occurrence"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::freshdesk::{ApiKey, ClientConfig};

    /// A client for a loopback port nobody listens on.
    fn unreachable() -> (String, Client) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let client = Client::new(ClientConfig::new(&url, ApiKey::new("k3y"))).unwrap();
        (url, client)
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_freshdesk_is_retried_for_a_bounded_time_then_run_goes_on() {
        let (url, client) = unreachable();
        let (_tx, stop) = watch::channel(false);
        let started = Instant::now();
        assert!(verify_key(&url, &client, stop).await.unwrap());
        let waited = started.elapsed();
        assert!(
            waited >= VERIFY_FOR / 2 && waited <= VERIFY_FOR,
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_the_retries_at_once() {
        let (url, client) = unreachable();
        let (tx, stop) = watch::channel(false);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let _ = tx.send(true);
        });
        let started = Instant::now();
        assert!(!verify_key(&url, &client, stop).await.unwrap());
        assert!(started.elapsed() < Duration::from_secs(4));
    }
}
