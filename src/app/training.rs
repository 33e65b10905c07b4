//! Wiring of training mode: the training loop beside the dispatcher, and the
//! webhook receiver's router, which the admin server serves on
//! `TICKETSIM_HTTP_ADDR` beside its own endpoints.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::AppError;
use crate::clock::Clock;
use crate::config::Config;
use crate::content::TRAINEE;
use crate::freshdesk::Client;
use crate::http::webhooks::{self, InboxSink, WebhookEvent};
use crate::store::{InboxEvent, Store};
use crate::training::{Training, TrainingConfig};

/// The training loop as the webhook receiver's inbox.
struct Sink(Training);

impl InboxSink for Sink {
    fn record(
        &self,
        e: WebhookEvent,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + '_>> {
        Box::pin(async move {
            let event = InboxEvent {
                event_key: format!(
                    "{}:{}:{}:{}",
                    e.ticket_id,
                    e.conversation_id.unwrap_or(0),
                    e.event,
                    e.fingerprint
                ),
                ticket_id: e.ticket_id,
                event: e.event,
                source: "webhook".into(),
                status: e.status,
            };
            self.0.record(&event).await.map_err(|e| e.to_string())
        })
    }
}

/// Training mode, started: the loop's task, and the webhook receiver's
/// router (state applied) when a secret is set, for the admin server to serve.
pub(super) struct Started {
    pub task: JoinHandle<()>,
    pub webhooks: Option<axum::Router>,
}

/// Starts the training loop when the trainee playbook is in use, and builds
/// the receiver's router when a webhook secret is set.
pub(super) fn start(
    cfg: &Config,
    store: Store,
    client: Client,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    stop: watch::Receiver<bool>,
) -> Option<Started> {
    if !cfg.playbooks.contains(TRAINEE) {
        return None;
    }
    let t = &cfg.training;
    let missing = cfg.library.scenarios_without_training();
    if !missing.is_empty() {
        tracing::info!(scenarios = %missing.join(", "), "training mode: these scenarios have no training data and are not used");
    }
    let engine = TrainingConfig {
        sla_ms: t.sla_ms,
        delay_ms: t.delay_ms,
        poll_interval_ms: t.poll_interval_ms,
        grade_note: t.grade_note,
        seed: cfg.seed,
        ..TrainingConfig::default()
    };
    let training = Training::new(store, client, clock, engine, wake);
    let webhooks = (t.webhook_secret.as_ref()).map(|secret| {
        let sink = Arc::new(Sink(training.clone()));
        webhooks::router(sink, secret.expose().to_string())
    });
    let task = tokio::spawn(async move { training.run(stop).await });
    Some(Started { task, webhooks })
}

/// The stored grades closed at or after `since`; a row that does not parse
/// is reported, not skipped silently.
pub async fn training_grades(
    store: &Store,
    since: crate::clock::UnixMs,
) -> Result<Vec<crate::training::Grade>, AppError> {
    let rows = store.training_grades(since).await?;
    rows.iter()
        .map(|g| {
            serde_json::from_str(g)
                .map_err(|e| AppError::Io(format!("a stored training grade is damaged: {e}")))
        })
        .collect()
}
