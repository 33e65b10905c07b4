//! Webhooks fired like Freshdesk's automation rules (api §7): after an API
//! request that changes the account, each configured target gets a POST with
//! a `freshdesk_webhook` JSON body. Events: `ticket_created`, `ticket_updated`
//! (with `reply_sent` for an agent's reply, Freshdesk's "Reply is sent"),
//! `ticket_resolved`, `ticket_closed`, `note_created`, `contact_created`,
//! `contact_updated`.
//!
//! Assumptions where Freshdesk's docs are silent: no signature header; the
//! shared secret, when set, is sent as the custom header `X-Webhook-Secret`;
//! a 2xx or 3xx ends the delivery, anything else (or no answer within 15 s)
//! is retried 3 times, at +5, +30 and +60 min after the previous attempt
//! (changeable for tests through `/_emulator/webhooks`); deliveries are
//! asynchronous, so their order is not guaranteed. Late writes fire nothing.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Emulator;

/// Freshdesk's retry schedule after a failed call.
pub const RETRY_DELAYS_MS: [u64; 3] = [300_000, 1_800_000, 3_600_000];
/// Freshdesk's timeout per call.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// Deliveries kept for `GET /_emulator/webhooks` (the oldest are dropped).
const LOG_CAPACITY: usize = 1_000;

/// Where events go, and how failures are retried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    #[serde(default)]
    pub targets: Vec<WebhookTarget>,
    /// Delays before each retry, ms; Freshdesk's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delays_ms: Option<Vec<u64>>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTarget {
    pub url: String,
    /// Sent as `X-Webhook-Secret`; never shown by `GET /_emulator/webhooks`.
    #[serde(default, skip_serializing)]
    pub secret: Option<String>,
}

impl std::fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .finish()
    }
}

/// One attempt at delivering an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub url: String,
    pub event: String,
    pub ticket_id: Option<i64>,
    pub attempt: u32,
    /// The status answered, or `None` when the call failed (timeout, refused).
    pub status: Option<u16>,
}

/// The emulator's webhook settings and delivery log.
#[derive(Default)]
pub(crate) struct Hooks {
    settings: Mutex<WebhookSettings>,
    log: Mutex<Vec<Delivery>>,
}

/// What a request did, as far as webhooks care.
struct Trigger {
    events: Vec<&'static str>,
    ticket_id: Option<i64>,
    contact_id: Option<i64>,
    /// Read from the response: the created ticket's, contact's or conversation's id.
    id_from_response: bool,
}

fn trigger(method: &Method, path: &str, body: Option<&Value>) -> Option<Trigger> {
    let parts: Vec<&str> = path
        .trim_end_matches(".json")
        .trim_start_matches("/api/v2/")
        .split('/')
        .collect();
    let id = |i: usize| parts.get(i).and_then(|s| s.parse::<i64>().ok());
    let t = |events: Vec<&'static str>, ticket_id, contact_id, from_resp| {
        Some(Trigger {
            events,
            ticket_id,
            contact_id,
            id_from_response: from_resp,
        })
    };
    match (method.as_str(), parts.as_slice()) {
        ("POST", ["tickets"]) => t(vec!["ticket_created"], None, None, true),
        ("PUT", ["tickets", _]) => {
            let mut events = vec!["ticket_updated"];
            match body.and_then(|b| b.get("status")).and_then(Value::as_i64) {
                Some(4) => events.push("ticket_resolved"),
                Some(5) => events.push("ticket_closed"),
                _ => {}
            }
            t(events, id(1), None, false)
        }
        ("POST", ["tickets", _, "reply"]) => t(vec!["reply_sent"], id(1), None, true),
        ("POST", ["tickets", _, "notes"]) => t(vec!["note_created"], id(1), None, true),
        ("POST", ["contacts"]) => t(vec!["contact_created"], None, None, true),
        ("PUT", ["contacts", _]) => t(vec!["contact_updated"], None, id(1), false),
        _ => None,
    }
}

impl Emulator {
    /// Replaces the webhook settings (`--webhook`, `/_emulator/webhooks`).
    pub fn set_webhooks(&self, settings: WebhookSettings) -> Result<(), String> {
        for t in &settings.targets {
            if !(t.url.starts_with("http://") || t.url.starts_with("https://")) {
                return Err(format!(
                    "webhook url {:?} must start with http:// or https://",
                    t.url
                ));
            }
        }
        *self
            .shared
            .hooks
            .settings
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = settings;
        Ok(())
    }

    pub fn webhooks(&self) -> WebhookSettings {
        self.shared
            .hooks
            .settings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Every delivery attempt so far (the last [`LOG_CAPACITY`]).
    pub fn webhook_deliveries(&self) -> Vec<Delivery> {
        self.shared
            .hooks
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Fires the events of a successful request; returns the response unchanged.
    pub(crate) async fn fire_webhooks(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        resp: Response,
    ) -> Response {
        let settings = self.webhooks();
        if settings.targets.is_empty() || !resp.status().is_success() {
            return resp;
        }
        let Some(mut t) = trigger(method, path, body) else {
            return resp;
        };
        let (resp, created) = if t.id_from_response {
            read_id(resp).await
        } else {
            (resp, None)
        };
        match t.events[0] {
            "ticket_created" => t.ticket_id = created,
            "contact_created" => t.contact_id = created,
            _ => {}
        }
        let conversation = matches!(t.events[0], "reply_sent" | "note_created")
            .then_some(created)
            .flatten();
        for event in &t.events {
            let payload = self.payload(event, t.ticket_id, t.contact_id, conversation);
            for target in &settings.targets {
                let delays = settings
                    .retry_delays_ms
                    .clone()
                    .unwrap_or(RETRY_DELAYS_MS.to_vec());
                tokio::spawn(deliver(
                    self.clone(),
                    target.clone(),
                    event.to_string(),
                    t.ticket_id,
                    payload.clone(),
                    delays,
                ));
            }
        }
        resp
    }

    /// The body an automation rule would send, under `freshdesk_webhook`.
    fn payload(
        &self,
        event: &str,
        ticket_id: Option<i64>,
        contact_id: Option<i64>,
        conversation: Option<i64>,
    ) -> Value {
        let now = crate::clock::format_iso(self.now_ms());
        let status = ticket_id.and_then(|id| {
            let inner = self.lock();
            inner.world.ticket(id).map(|rec| rec.wire.status)
        });
        let mut body = json!({"event": event, "triggered_event": event, "updated_at": now});
        if let Some(id) = ticket_id {
            body["ticket_id"] = json!(id);
            body["ticket_status"] = json!(status);
        }
        if let Some(id) = contact_id {
            body["contact_id"] = json!(id);
        }
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        json!({ "freshdesk_webhook": body })
    }

    fn log_delivery(&self, d: Delivery) {
        let mut log = self
            .shared
            .hooks
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if log.len() >= LOG_CAPACITY {
            log.remove(0);
        }
        log.push(d);
    }
}

/// The `id` of the JSON the response carries, and the response rebuilt.
async fn read_id(resp: Response) -> (Response, Option<i64>) {
    let (parts, body) = resp.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let id = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("id").and_then(Value::as_i64));
    (Response::from_parts(parts, Body::from(bytes)), id)
}

/// One event to one target: the first call, then the retries.
async fn deliver(
    emu: Emulator,
    target: WebhookTarget,
    event: String,
    ticket_id: Option<i64>,
    payload: Value,
    delays: Vec<u64>,
) {
    let client = reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    for attempt in 0..=delays.len() as u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(delays[attempt as usize - 1])).await;
        }
        let mut req = client
            .post(&target.url)
            .header("User-Agent", "Freshdesk")
            .json(&payload);
        if let Some(secret) = &target.secret {
            req = req.header("X-Webhook-Secret", secret);
        }
        let status = req.send().await.ok().map(|r| r.status().as_u16());
        emu.log_delivery(Delivery {
            url: target.url.clone(),
            event: event.clone(),
            ticket_id,
            attempt: attempt + 1,
            status,
        });
        // 2xx is success; 3xx is not retried (logged as redirected).
        if status.is_some_and(|s| {
            StatusCode::from_u16(s).is_ok_and(|c| c.is_success() || c.is_redirection())
        }) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_map_to_the_automation_events() {
        let status = |s: i64| json!({"status": s});
        let names = |m: Method, p: &str, b: Option<&Value>| trigger(&m, p, b).map(|t| t.events);
        assert_eq!(
            names(Method::POST, "/api/v2/tickets", None),
            Some(vec!["ticket_created"])
        );
        assert_eq!(
            names(Method::PUT, "/api/v2/tickets/3", Some(&status(4))),
            Some(vec!["ticket_updated", "ticket_resolved"])
        );
        assert_eq!(
            names(Method::PUT, "/api/v2/tickets/3", Some(&status(5))),
            Some(vec!["ticket_updated", "ticket_closed"])
        );
        assert_eq!(
            names(Method::POST, "/api/v2/tickets/3/reply", None),
            Some(vec!["reply_sent"])
        );
        assert_eq!(
            names(Method::POST, "/api/v2/tickets/3/notes", None),
            Some(vec!["note_created"])
        );
        assert_eq!(
            names(Method::POST, "/api/v2/contacts", None),
            Some(vec!["contact_created"])
        );
        assert_eq!(
            names(Method::PUT, "/api/v2/contacts/9", None),
            Some(vec!["contact_updated"])
        );
        assert!(names(Method::GET, "/api/v2/tickets", None).is_none());
        assert_eq!(
            trigger(&Method::PUT, "/api/v2/tickets/3", None)
                .unwrap()
                .ticket_id,
            Some(3)
        );
    }
}
