//! The admin endpoints' view of the daemon ([`DaemonHealth`], what `http`
//! serves) and their start in `run`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::AppError;
use crate::dispatcher::{BEAT_EVERY, Heartbeat};
use crate::freshdesk::Client;
use crate::http::{self, BoxFuture, Health, Scrape};
use crate::metrics::{self, Metrics};
use crate::store::Store;

/// How long a readiness or watchdog check waits for the database.
const DB_ANSWER_WITHIN: Duration = Duration::from_secs(2);
/// A heartbeat older than this is stale when systemd set no watchdog.
const STALE_WITHOUT_WATCHDOG: Duration = Duration::from_secs(60);

/// The heartbeat's age beyond which the dispatcher counts as stuck: half the
/// watchdog interval (never under three beats), else [`STALE_WITHOUT_WATCHDOG`].
pub fn stale_after(watchdog: Option<Duration>) -> Duration {
    watchdog.map_or(STALE_WITHOUT_WATCHDOG, |w| (w / 2).max(BEAT_EVERY * 3))
}

/// Readiness and metrics of a running daemon, from its parts.
#[derive(Clone)]
pub struct DaemonHealth {
    store: Store,
    heartbeat: Heartbeat,
    client: Client,
    metrics: Arc<Metrics>,
    stale_after: Duration,
    started: Arc<AtomicBool>,
}

impl DaemonHealth {
    pub fn new(
        store: Store,
        heartbeat: Heartbeat,
        client: Client,
        metrics: Arc<Metrics>,
        stale_after: Duration,
    ) -> DaemonHealth {
        DaemonHealth {
            store,
            heartbeat,
            client,
            metrics,
            stale_after,
            started: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Migrations and recovery are done (said to systemd as READY=1 too).
    pub fn mark_started(&self) {
        self.started.store(true, Ordering::Relaxed);
    }

    /// Ok when the database answers within [`DB_ANSWER_WITHIN`].
    pub async fn database_answers(&self) -> Result<(), String> {
        match tokio::time::timeout(DB_ANSWER_WITHIN, self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the database does not answer: {e}")),
            Err(_) => Err(format!(
                "the database did not answer within {} s",
                DB_ANSWER_WITHIN.as_secs()
            )),
        }
    }

    /// Ok when the dispatcher beat within the stale limit.
    pub fn dispatcher_alive(&self) -> Result<(), String> {
        match self.heartbeat.age() {
            Some(age) if age <= self.stale_after => Ok(()),
            Some(age) => Err(format!(
                "the dispatcher's heartbeat is {:.1} s old (limit {} s): its loop is stuck",
                age.as_secs_f64(),
                self.stale_after.as_secs()
            )),
            None => Err("the dispatcher has not started yet".into()),
        }
    }

    async fn check(&self) -> Result<(), String> {
        if !self.started.load(Ordering::Relaxed) {
            return Err("starting: migrations and recovery are not done yet".into());
        }
        self.database_answers().await?;
        self.dispatcher_alive()
    }

    /// One `STATUS=` line: lifecycles in flight, the next due step, budget pauses.
    pub async fn status_line(&self) -> String {
        let in_flight = match self.store.lifecycles_by_state().await {
            Ok(by_state) => crate::store::in_flight(&by_state).to_string(),
            Err(_) => "?".into(),
        };
        let next = match self.store.next_due_at().await {
            Ok(Some(at)) => format!("next step due {}", crate::clock::format_iso(at)),
            Ok(None) => "no step waiting".into(),
            Err(_) => "next step unknown (database busy)".into(),
        };
        let paused = self.client.budget_paused_for();
        let budget = if paused.is_zero() {
            format!("budget {}/min", self.client.budget_per_min())
        } else {
            format!("budget paused {} s after a 429", paused.as_secs().max(1))
        };
        format!("{in_flight} lifecycles in flight; {next}; {budget}")
    }

    async fn scrape(&self) -> Scrape {
        let m = &self.metrics;
        match self.store.lifecycles_by_state().await {
            Ok(by_state) => m.set_lifecycles(&by_state),
            Err(e) => tracing::debug!(error = %e, "metrics: could not count lifecycles"),
        }
        let remaining = self.client.last_rate_headers().map(|(_, left)| left);
        m.set_budget(
            self.client.budget_per_min(),
            remaining,
            self.client.budget_paused_for(),
        );
        let ready = self.check().await.is_ok();
        m.set_health(self.heartbeat.age().unwrap_or_default(), ready);
        Scrape {
            content_type: metrics::CONTENT_TYPE,
            body: m.encode(),
        }
    }
}

impl Health for DaemonHealth {
    fn ready(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(self.check())
    }

    fn metrics(&self) -> BoxFuture<'_, Scrape> {
        Box::pin(self.scrape())
    }
}

/// Listens on `TICKETSIM_HTTP_ADDR`; a taken or forbidden address is a
/// configuration problem (exit 2) found before any other work.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, AppError> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        AppError::Usage(format!(
            "TICKETSIM_HTTP_ADDR: cannot listen on {addr}: {e}; choose a free address (another port, or one per instance) or set it to `off`"
        ))
    })?;
    match listener.local_addr() {
        Ok(at) => {
            tracing::info!(addr = %at, "admin endpoints listening: /healthz /readyz /metrics")
        }
        Err(e) => tracing::warn!(error = %e, "admin endpoints listening"),
    }
    Ok(listener)
}

/// Serves `router` on `listener` in the background until `stop` turns true.
pub fn spawn_server(
    listener: TcpListener,
    router: axum::Router,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = http::serve(listener, router, stop).await {
            tracing::error!(error = %e, "the admin endpoints stopped");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stale_limit_is_half_the_watchdog_but_never_under_three_beats() {
        assert_eq!(
            stale_after(Some(Duration::from_secs(120))),
            Duration::from_secs(60)
        );
        assert_eq!(
            stale_after(Some(Duration::from_secs(2))),
            Duration::from_secs(3)
        );
        assert_eq!(stale_after(None), STALE_WITHOUT_WATCHDOG);
    }
}
