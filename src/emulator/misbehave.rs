//! How a faulty request is answered (see [`faults`](super::faults)): a 429
//! or 5xx instead of running it, or after running it a body cut in half, no
//! answer at all, or a closed connection; or, for a late write, no answer
//! (or a closed connection) while the write waits to take effect.

use std::future::Future;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::time::Instant;

use super::error::{Built, json_response, too_many_requests};
use super::faults::{Fault, HANG_MAX, LateWrite, LateWriteMode};
use super::server::ConnKill;

/// The answer to a request that is not run.
pub(crate) fn answer_instead(fault: Fault) -> Response {
    match fault {
        Fault::TooMany(secs) => too_many_requests(i64::from(secs)),
        Fault::Fail(500) => {
            let body = json!({"code": "internal_error", "message": "We're sorry, but something went wrong."});
            json_response(StatusCode::INTERNAL_SERVER_ERROR, &body)
        }
        Fault::Fail(code) => gateway_page(code),
        _ => json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({})),
    }
}

/// Load balancers answer 502/503 with an HTML page, not JSON.
fn gateway_page(code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
    let reason = status.canonical_reason().unwrap_or("Error");
    let html = format!(
        "<html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1></body></html>"
    );
    let mut resp = (status, html).into_response();
    let ct = HeaderValue::from_static("text/html; charset=utf-8");
    resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    resp.extensions_mut().insert(Built);
    resp
}

/// The same response with the first half of its body only (still with a
/// matching `Content-Length`, so the client reads it whole and fails to
/// parse it). Bodiless responses are left alone.
pub(crate) async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

/// Sends `resp`, or for a hang or drop never does. Without a connection
/// handle (the router used outside [`Emulator::serve`](super::Emulator::serve))
/// a drop answers normally and a hang answers after [`HANG_MAX`].
pub(crate) async fn deliver(
    resp: Response,
    fault: Option<Fault>,
    kill: Option<ConnKill>,
) -> Response {
    if !matches!(fault, Some(Fault::Drop | Fault::Hang)) {
        return resp;
    }
    if fault == Some(Fault::Hang) {
        tokio::time::sleep(HANG_MAX).await;
    }
    match kill {
        Some(k) => {
            k.fire();
            std::future::pending::<Response>().await
        }
        None => resp,
    }
}

/// Runs `write` (the request, then its log entry) `after_ms` after the
/// request `arrived`, in a task of its own so that it lands even when the
/// client has gone. Meanwhile the response hangs or the connection is
/// dropped. Without a connection handle (the router used outside
/// [`Emulator::serve`](super::Emulator::serve)) the answer comes once the
/// write has landed.
pub(crate) async fn late_write(
    late: LateWrite,
    arrived: Instant,
    kill: Option<ConnKill>,
    write: impl Future<Output = Response> + Send + 'static,
) -> Response {
    let landed = tokio::spawn(async move {
        tokio::time::sleep_until(arrived + Duration::from_millis(late.after_ms)).await;
        write.await
    });
    let Some(kill) = kill else {
        return landed
            .await
            .unwrap_or_else(|_| json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({})));
    };
    if late.mode == LateWriteMode::Hang {
        tokio::time::sleep(HANG_MAX).await;
    }
    kill.fire();
    std::future::pending::<Response>().await
}
