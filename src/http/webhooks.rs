//! `POST /webhooks/freshdesk`: events from Freshdesk automation rules (or the
//! emulator) for training mode.
//!
//! Freshdesk signs nothing (api §7): the shared secret comes as a header
//! (`X-Webhook-Secret`) or as Basic auth (username or password), compared in
//! constant time; anything else is 401. The body is at most [`BODY_LIMIT`]
//! bytes (413) and must be JSON with a ticket id, at the root or under
//! Freshdesk's `freshdesk_webhook` key (400). The event is recorded durably
//! before the 202; a re-delivered event is acknowledged as a duplicate (200).
//! Nothing is recorded for a refused request, and the secret is never logged.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// Largest body accepted: a Freshdesk template with the latest comment fits
/// many times over.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The header carrying the shared secret (set it as a custom header in the rule).
pub const SECRET_HEADER: &str = "x-webhook-secret";

/// One event, as understood from the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub ticket_id: i64,
    /// e.g. `ticket_updated`, `reply_sent`, `note_created`.
    pub event: String,
    pub conversation_id: Option<i64>,
    /// The ticket's status id, when the body gives it (id or name).
    pub status: Option<i64>,
    /// Tells two deliveries of one event from two events: a hash of what the
    /// body says about the change.
    pub fingerprint: String,
}

/// Where events go: a durable inbox. `Ok(true)` = recorded now, `Ok(false)` =
/// already recorded (a re-delivery). Errors are shown to the caller as 503.
pub trait InboxSink: Send + Sync + 'static {
    fn record(
        &self,
        event: WebhookEvent,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + '_>>;
}

#[derive(Clone)]
struct Shared {
    sink: Arc<dyn InboxSink>,
    secret: Arc<String>,
}

/// The router serving `POST /webhooks/freshdesk`, its state applied.
pub fn router(sink: Arc<dyn InboxSink>, secret: String) -> Router {
    let shared = Shared {
        sink,
        secret: Arc::new(secret),
    };
    Router::new()
        .route("/webhooks/freshdesk", post(receive))
        .with_state(shared)
}

async fn receive(State(s): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    if !authorized(&headers, &s.secret) {
        return reply(
            StatusCode::UNAUTHORIZED,
            "missing or wrong webhook secret: send it in the X-Webhook-Secret header or as Basic auth",
        );
    }
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("body over {BODY_LIMIT} bytes"),
        );
    };
    match parse(&bytes) {
        Ok(Some(event)) => record(&s, event).await,
        Ok(None) => {
            let body = json!({"status": "ignored", "reason": "not about a ticket"});
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(problem) => reply(StatusCode::BAD_REQUEST, &problem),
    }
}

/// Records the event, then answers: 202 when new, 200 for a re-delivery.
async fn record(s: &Shared, event: WebhookEvent) -> Response {
    let ticket = event.ticket_id;
    match s.sink.record(event).await {
        Ok(true) => {
            let body = json!({"status": "accepted", "ticket_id": ticket});
            (StatusCode::ACCEPTED, axum::Json(body)).into_response()
        }
        Ok(false) => {
            let body = json!({"status": "duplicate", "ticket_id": ticket});
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, ticket, "webhook: could not record the event; the sender will retry");
            reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "could not record the event; try again",
            )
        }
    }
}

fn reply(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

/// The secret in the header, or as Basic auth's username or password.
fn authorized(headers: &HeaderMap, secret: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let header_ok = (headers.get(SECRET_HEADER))
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| same(v.trim(), secret));
    let basic_ok = (headers.get(header::AUTHORIZATION))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|pair| {
            let (user, pass) = pair.split_once(':').unwrap_or((&pair, ""));
            // both compared, always, so timing does not tell which matched
            same(user, secret) | same(pass, secret)
        });
    header_ok | basic_ok
}

/// Constant-time equality: every byte of the longer input is looked at.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// Reads the event: `{"freshdesk_webhook": {...}}` or the same keys at the
/// root. `None` for a contact event (no ticket, nothing to do).
pub fn parse(bytes: &[u8]) -> Result<Option<WebhookEvent>, String> {
    let root: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("body is not JSON: {e}"))?;
    let obj = root.get("freshdesk_webhook").unwrap_or(&root);
    let obj = obj.as_object().ok_or("body must be a JSON object")?;
    if obj.get("ticket_id").is_none() && obj.get("contact_id").and_then(as_id).is_some() {
        return Ok(None);
    }
    let ticket_id = (obj.get("ticket_id"))
        .and_then(as_id)
        .ok_or("ticket_id is missing or not a positive whole number (use {{ticket.id}})")?;
    let event = match obj.get("event") {
        None => "ticket_updated".to_string(),
        Some(Value::String(s)) if valid_event(s) => s.trim().to_lowercase().replace(' ', "_"),
        Some(_) => return Err(
            "event must be a short name such as \"ticket_updated\" (letters, digits, _ and spaces)"
                .into(),
        ),
    };
    let conversation_id = match obj.get("conversation_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(as_id(v).ok_or("conversation_id must be a positive whole number")?),
    };
    let status = (obj.get("ticket_status").or(obj.get("status"))).and_then(status_id);
    let fingerprint = fingerprint(obj);
    Ok(Some(WebhookEvent {
        ticket_id,
        event,
        conversation_id,
        status,
        fingerprint,
    }))
}

fn valid_event(s: &str) -> bool {
    !s.trim().is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ')
}

/// A number, or a string of digits (Liquid placeholders give strings).
fn as_id(v: &Value) -> Option<i64> {
    let n = match v {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (n > 0).then_some(n)
}

/// `{{ticket.status_id}}` (a number) or `{{ticket.status}}` (a name).
fn status_id(v: &Value) -> Option<i64> {
    if let Some(n) = as_id(v) {
        return Some(n);
    }
    match v.as_str()?.trim().to_lowercase().as_str() {
        "open" => Some(2),
        "pending" => Some(3),
        "resolved" => Some(4),
        "closed" => Some(5),
        _ => None,
    }
}

/// FNV-1a over the whole body (keys sorted, so the same body gives the same
/// key on every build): a re-delivery is the same body, while two replies
/// differ in their comment, conversation id or time.
fn fingerprint(obj: &serde_json::Map<String, Value>) -> String {
    let text = Value::Object(obj.clone()).to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_freshdesk_root_key_and_a_flat_body_both_parse() {
        let e = parse(br#"{"freshdesk_webhook":{"ticket_id":"42","ticket_status":"Resolved","triggered_event":"{status:{from:Open,to:Resolved}}"}}"#).unwrap().unwrap();
        assert_eq!(
            (e.ticket_id, e.status, e.event.as_str()),
            (42, Some(4), "ticket_updated")
        );
        let f = parse(br#"{"ticket_id":42,"event":"reply sent","conversation_id":7}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (f.event.as_str(), f.conversation_id),
            ("reply_sent", Some(7))
        );
        assert_ne!(e.fingerprint, f.fingerprint);
        assert_eq!(
            f.fingerprint,
            parse(br#"{"ticket_id":42,"event":"reply sent","conversation_id":7}"#)
                .unwrap()
                .unwrap()
                .fingerprint
        );
        let contact = br#"{"freshdesk_webhook":{"contact_id":5,"event":"contact_created"}}"#;
        assert_eq!(parse(contact), Ok(None));
    }

    #[test]
    fn bodies_without_a_ticket_id_or_not_json_are_refused() {
        assert!(parse(b"{not json").unwrap_err().contains("not JSON"));
        assert!(parse(b"[1]").unwrap_err().contains("object"));
        assert!(
            parse(br#"{"ticket_id":"abc"}"#)
                .unwrap_err()
                .contains("ticket_id")
        );
        assert!(parse(br#"{"ticket_id":-3}"#).is_err());
        assert!(parse(br#"{"ticket_id":3,"event":"<script>"}"#).is_err());
    }

    #[test]
    fn the_secret_compares_whole_strings_only() {
        assert!(same("s3cret-value", "s3cret-value"));
        assert!(!same("s3cret-valu", "s3cret-value"));
        assert!(!same("s3cret-value!", "s3cret-value"));
        assert!(!same("", "x"));
        let mut h = HeaderMap::new();
        let basic = format!("Basic {}", STANDARD.encode("apikey:s3cret"));
        h.insert(header::AUTHORIZATION, basic.parse().unwrap());
        assert!(authorized(&h, "s3cret"));
        assert!(!authorized(&h, "other"));
        assert!(!authorized(&HeaderMap::new(), "s3cret"));
    }
}
