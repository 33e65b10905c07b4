//! What every `/api/v2` request goes through, in Freshdesk's order: the rate
//! limit (failed requests count too), Basic auth, `Accept`, `Content-Type`,
//! JSON parsing; then the route; then the common headers and the request log.
//!
//! It wraps the API router from the outside, so it runs before routing and
//! can drop a `.json` suffix from the path and turn axum's bodyless 405 into
//! Freshdesk's.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body as HttpBody, to_bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::ctx::Ctx;
use super::error::{ApiError, Built, method_not_allowed, too_many_requests};
use super::faults::Fault;
use super::misbehave;
use super::ratelimit::{self, Admission, Endpoint};
use super::reqlog::{log_time, redact};
use super::server::ConnKill;
use super::validate::Body;
use super::{Emulator, RequestLogEntry, auth};
use crate::clock::UnixMs;

/// Larger bodies are refused (Freshdesk caps attachments at 20-25 MB).
const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;
const API_VERSION: &str = "latest=v2; requested=v2";

/// A request body: absent (or blank), a JSON value, or not JSON at all.
enum Sent {
    Nothing,
    Json(Value),
    Broken,
    TooLarge,
}

/// The middleware around every API request.
pub(crate) async fn api_pipeline(
    State(emu): State<Emulator>,
    req: Request,
    next: Next,
) -> Response {
    let (arrived, now) = (tokio::time::Instant::now(), emu.now_ms());
    let (parts, body) = req.into_parts();
    let sent = read_body(body).await;
    let seen = Seen::of(&parts, &sent, now);
    let cost = ratelimit::cost(&parts.method, &seen.path, seen.query.as_deref());
    let admission = emu.admit(now, cost, Endpoint::of(&parts.method, &seen.path));
    let (fault, delay_ms) = match admission {
        Admission::Allowed { .. } => emu.draw_fault(seen.method != Method::GET),
        Admission::Limited { .. } => (None, 0),
    };
    let kill = parts.extensions.get::<ConnKill>().cloned();
    if let Some(Fault::Late(late)) = fault {
        let write = async move {
            let resp = answer(&emu, parts, sent, emu.now_ms(), next, admission, fault).await;
            settle(&emu, seen, &resp, fault);
            resp
        };
        return misbehave::late_write(late, arrived, kill, write).await;
    }
    let mut resp = answer(&emu, parts, sent, now, next, admission, fault).await;
    if fault.is_none() {
        resp = (emu.fire_webhooks(&seen.method, &seen.path, seen.body.as_ref(), resp)).await;
    }
    if fault == Some(Fault::Malformed) {
        resp = misbehave::truncate(resp).await;
    }
    settle(&emu, seen, &resp, fault);
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    misbehave::deliver(resp, fault, kill).await
}

/// Notes a change for the state file and logs the request.
fn settle(emu: &Emulator, seen: Seen, resp: &Response, fault: Option<Fault>) {
    if seen.method != Method::GET && resp.status().is_success() {
        emu.mark_changed();
    }
    emu.record(redact(seen.entry(resp.status(), fault), emu.api_key()));
}

async fn read_body(body: HttpBody) -> Sent {
    match to_bytes(body, MAX_BODY_BYTES).await {
        Err(_) => Sent::TooLarge,
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Sent::Nothing,
        Ok(b) => serde_json::from_slice(&b).map_or(Sent::Broken, Sent::Json),
    }
}

/// The answer with its common headers: a 429 from the limiter, a fault's
/// answer instead of the request, or the route's.
async fn answer(
    emu: &Emulator,
    parts: Parts,
    sent: Sent,
    now: UnixMs,
    next: Next,
    admission: Admission,
    fault: Option<Fault>,
) -> Response {
    let (mut resp, served) = match (admission, fault) {
        (Admission::Limited { retry_after_secs }, _) => (too_many_requests(retry_after_secs), None),
        (_, Some(f)) if f.replaces_request() => (misbehave::answer_instead(f), None),
        _ => (route(emu, parts, sent, now, next).await, Some(admission)),
    };
    decorate(&mut resp, served);
    resp
}

/// What the request log keeps of a request, taken before it is routed.
struct Seen {
    at: UnixMs,
    method: Method,
    path: String,
    query: Option<String>,
    body: Option<Value>,
}

impl Seen {
    fn of(parts: &Parts, sent: &Sent, at: UnixMs) -> Seen {
        Seen {
            at,
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            body: match sent {
                Sent::Json(v) => Some(v.clone()),
                _ => None,
            },
        }
    }

    fn entry(self, status: StatusCode, fault: Option<Fault>) -> RequestLogEntry {
        RequestLogEntry {
            at: log_time(self.at),
            method: self.method.to_string(),
            path: self.path,
            query: self.query,
            status: status.as_u16(),
            user_id: self.body.as_ref().and_then(|b| b.get("user_id")?.as_i64()),
            body: self.body,
            fault: fault.map(|f| f.label()),
        }
    }
}

/// Runs the checks, then the route.
async fn route(emu: &Emulator, mut parts: Parts, sent: Sent, now: UnixMs, next: Next) -> Response {
    let body = match precheck(emu, &parts, sent) {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    if has_foreign_extension(parts.uri.path()) {
        return single_space_404();
    }
    let ctx = Ctx {
        body,
        base_url: base_url(&parts, &emu.cfg().domain),
        path: parts.uri.path().to_owned(),
        raw_query: parts.uri.query().map(str::to_owned),
        now,
    };
    strip_json_suffix(&mut parts.uri);
    parts.extensions.insert(Arc::new(ctx));
    let method = parts.method.clone();
    let resp = next
        .run(Request::from_parts(parts, HttpBody::empty()))
        .await;
    explain_405(resp, &method)
}

/// Auth, `Accept`, `Content-Type` and JSON, in that order. Bodies of GET and
/// DELETE are ignored, as Freshdesk ignores them.
fn precheck(emu: &Emulator, parts: &Parts, sent: Sent) -> Result<Option<Body>, ApiError> {
    if !auth::is_authorized(parts.headers.get(header::AUTHORIZATION), emu.api_key()) {
        let msg = "You have to be logged in to perform this action.";
        return Err(ApiError::request(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            msg,
        ));
    }
    check_accept(&parts.headers)?;
    if let Sent::TooLarge = sent {
        let msg = "Request body is too large";
        return Err(ApiError::request(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            msg,
        ));
    }
    let takes_body = parts.method == Method::POST || parts.method == Method::PUT;
    if !takes_body || matches!(sent, Sent::Nothing) {
        return Ok(None);
    }
    check_content_type(&parts.headers)?;
    match sent {
        Sent::Json(Value::Object(map)) => Ok(Some(map)),
        _ => {
            let msg = "Request body has invalid json format";
            Err(ApiError::request(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                msg,
            ))
        }
    }
}

/// 406 unless `Accept` (when sent) allows JSON.
fn check_accept(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(raw) = headers.get(header::ACCEPT) else {
        return Ok(());
    };
    let raw = String::from_utf8_lossy(raw.as_bytes());
    let ok = raw.trim().is_empty()
        || raw.split(',').any(|range| {
            let media = range
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            media == "application/json"
                || media == "*/*"
                || media.starts_with("application/vnd.freshdesk.v")
        });
    if ok {
        return Ok(());
    }
    let msg = format!("Accept header is set to {raw}. It should have application/json or */*");
    Err(ApiError::request(
        StatusCode::NOT_ACCEPTABLE,
        "invalid_accept_header",
        msg,
    ))
}

/// 415 unless a body is declared as JSON. Multipart (attachments) is not
/// emulated yet, so it is refused the same way.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let media = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media == "application/json" {
        return Ok(());
    }
    let msg = format!("Content-Type header is set to {raw}. It should be set to application/json");
    Err(ApiError::request(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_content_type",
        msg,
    ))
}

/// `<scheme>://<host>` of the request, for `Location` and `Link`.
fn base_url(parts: &Parts, domain: &str) -> String {
    let proto = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok());
    let scheme = if proto == Some("https") {
        "https"
    } else {
        "http"
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| domain.to_owned());
    format!("{scheme}://{host}")
}

/// A last path segment with an extension other than `.json` (`1.xml`).
fn has_foreign_extension(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    match last.rsplit_once('.') {
        Some((_, ext)) => ext != "json",
        None => false,
    }
}

/// Freshdesk's 404 for an unknown extension: a body of one space.
fn single_space_404() -> Response {
    let mut resp = (StatusCode::NOT_FOUND, " ").into_response();
    resp.headers_mut().remove(header::CONTENT_TYPE);
    resp.extensions_mut().insert(Built);
    resp
}

/// `/api/v2/tickets/1.json` routes like `/api/v2/tickets/1`.
fn strip_json_suffix(uri: &mut Uri) {
    let Some(path) = uri.path().strip_suffix(".json") else {
        return;
    };
    let pq = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = pq.parse().ok();
    if let Ok(new) = Uri::from_parts(parts) {
        *uri = new;
    }
}

/// axum answers a wrong method with an empty 405; Freshdesk explains it.
fn explain_405(resp: Response, method: &Method) -> Response {
    if resp.status() != StatusCode::METHOD_NOT_ALLOWED || resp.extensions().get::<Built>().is_some()
    {
        return resp;
    }
    let allow = resp
        .headers()
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let methods: Vec<String> = allow
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty() && *m != "HEAD")
        .map(str::to_owned)
        .collect();
    method_not_allowed(method.as_str(), &methods)
}

/// The headers every response carries (§1, §4); the rate-limit headers only
/// when the request was served (`None`: a 429, or a fault answered instead).
fn decorate(resp: &mut Response, admission: Option<Admission>) {
    let status = resp.status();
    let h = resp.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        h.insert(HeaderName::from_static("x-request-id"), id);
    }
    if status != StatusCode::NOT_FOUND {
        let name = HeaderName::from_static("x-freshdesk-api-version");
        h.insert(name, HeaderValue::from_static(API_VERSION));
    }
    if let Some(Admission::Allowed {
        total,
        remaining,
        cost,
    }) = admission
    {
        h.insert(HeaderName::from_static("x-ratelimit-total"), total.into());
        h.insert(
            HeaderName::from_static("x-ratelimit-remaining"),
            remaining.into(),
        );
        let used = HeaderName::from_static("x-ratelimit-used-currentrequest");
        h.insert(used, cost.into());
    }
}

/// A random UUID (v4 layout).
fn request_id() -> String {
    let n: u128 = rand::random();
    let n = (n & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
