//! The admin endpoints, served by `ticketsim run` on `TICKETSIM_HTTP_ADDR`:
//! `/healthz` (the process answers), `/readyz` (ready to work: 200, or 503
//! with the reason) and `/metrics` (Prometheus text).
//!
//! This module imports no engine: it serves what the wiring hands it, a
//! [`Health`] implementation, and [`serve`] takes any router, so the wiring
//! can merge others (e.g. webhooks) into [`health_router`]'s.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A boxed future, so that [`Health`] can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One scrape of the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrape {
    pub content_type: &'static str,
    pub body: String,
}

/// What the endpoints ask the running daemon.
pub trait Health: Send + Sync + 'static {
    /// `Ok` when ready to work; otherwise why not, in one line.
    fn ready(&self) -> BoxFuture<'_, Result<(), String>>;
    /// The metrics, refreshed for this scrape.
    fn metrics(&self) -> BoxFuture<'_, Scrape>;
}

/// `/healthz`, `/readyz` and `/metrics` over `health`.
pub fn health_router(health: Arc<dyn Health>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(health)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(health): State<Arc<dyn Health>>) -> Response {
    match health.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(health): State<Arc<dyn Health>>) -> Response {
    let scrape = health.metrics().await;
    ([(header::CONTENT_TYPE, scrape.content_type)], scrape.body).into_response()
}

/// Serves `router` on `listener` until `stop` turns true or its sender is
/// dropped; requests in progress are finished first.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let shutdown = async move {
        // An error means the sender is gone: stop as well.
        let _ = stop.wait_for(|s| *s).await;
    };
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

pub mod webhooks;

#[cfg(test)]
mod tests;
