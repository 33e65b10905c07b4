//! systemd's watchdog and status line. With `WatchdogSec=` set, WATCHDOG=1 is
//! sent every half interval, but only while the dispatcher's heartbeat is
//! fresh and the database answers: a stuck daemon stops pinging and systemd
//! restarts it. Each round also sends a `STATUS=` line (what `systemctl
//! status` shows).

use std::time::Duration;

use sd_notify::NotifyState;

use super::admin::DaemonHealth;

/// How often the status line is refreshed when systemd set no watchdog.
const STATUS_EVERY: Duration = Duration::from_secs(15);

/// Starts the loop when run under systemd (`NOTIFY_SOCKET` set); `None` otherwise.
pub fn spawn(
    health: DaemonHealth,
    watchdog: Option<Duration>,
) -> Option<tokio::task::JoinHandle<()>> {
    std::env::var_os("NOTIFY_SOCKET")?;
    if let Some(w) = watchdog {
        tracing::info!(
            watchdog_ms = w.as_millis() as u64,
            "systemd watchdog on; pinging at half the interval while healthy"
        );
    }
    Some(tokio::spawn(run(health, watchdog)))
}

/// Pings while start-up runs (key check, migrations, recovery): systemd's
/// watchdog counts from the process start, and `TimeoutStartSec=` already
/// bounds a start-up that hangs. Aborted once the daemon is ready.
pub fn while_starting(watchdog: Option<Duration>) -> AbortOnDrop {
    let Some(every) = watchdog.map(|w| w / 2) else {
        return AbortOnDrop(None);
    };
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return AbortOnDrop(None);
    }
    AbortOnDrop(Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let states = [NotifyState::Watchdog, NotifyState::Status("starting")];
            if let Err(e) = sd_notify::notify(&states) {
                tracing::warn!(error = %e, "could not notify systemd");
            }
        }
    })))
}

/// A background task that ends when this handle is dropped (on every return).
pub struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

async fn run(health: DaemonHealth, watchdog: Option<Duration>) {
    let every = watchdog.map_or(STATUS_EVERY, |w| w / 2);
    let mut healthy = true;
    loop {
        let status = health.status_line().await;
        let mut states = vec![NotifyState::Status(&status)];
        if watchdog.is_some() {
            match healthy_now(&health).await {
                Ok(()) => {
                    if !healthy {
                        tracing::info!("healthy again; watchdog pings resume");
                    }
                    healthy = true;
                    states.push(NotifyState::Watchdog);
                }
                Err(reason) => {
                    if healthy {
                        tracing::error!(%reason, "withholding the watchdog ping; systemd restarts the service if this lasts");
                    }
                    healthy = false;
                }
            }
        }
        if let Err(e) = sd_notify::notify(&states) {
            tracing::warn!(error = %e, "could not notify systemd");
        }
        tokio::time::sleep(every).await;
    }
}

async fn healthy_now(health: &DaemonHealth) -> Result<(), String> {
    health.dispatcher_alive()?;
    health.database_answers().await
}
