//! `/_emulator/...`: unauthenticated inspection and control for tests, demos
//! and trainers. Not part of the Freshdesk API, so neither rate-limited nor
//! logged.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::parse_id;
use crate::emulator::error::{ApiError, empty_response, json_response};
use crate::emulator::{Emulator, Faults};

/// `GET /_emulator/state`: agents, contacts, groups, tickets (deleted
/// included) and every ticket's conversations, oldest first.
pub(super) async fn state(State(emu): State<Emulator>) -> Response {
    let tickets = emu.tickets();
    let conversations: Vec<_> = tickets
        .iter()
        .flat_map(|t| emu.conversations(t.id))
        .collect();
    let groups = emu.lock().world.groups.clone();
    let body = json!({
        "agents": emu.agents(),
        "contacts": emu.contacts(),
        "groups": groups,
        "tickets": tickets,
        "conversations": conversations,
    });
    json_response(StatusCode::OK, &body)
}

/// `GET /_emulator/requests`: the request log as a JSON array.
pub(super) async fn requests(State(emu): State<Emulator>) -> Response {
    json_response(StatusCode::OK, &emu.requests())
}

/// `POST /_emulator/tickets/{id}/delete`: a human deletes the ticket (204),
/// 404 when it is unknown or already deleted.
pub(super) async fn delete_ticket(
    State(emu): State<Emulator>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    if emu.delete_ticket_as_someone(id) {
        Ok(empty_response(StatusCode::NO_CONTENT))
    } else {
        Err(ApiError::NotFound)
    }
}

/// `POST /_emulator/tickets/{id}/spam`: a human marks the ticket as spam
/// (204), 404 when it is unknown, deleted or spam already.
pub(super) async fn spam_ticket(
    State(emu): State<Emulator>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    if emu.mark_ticket_spam_as_someone(id) {
        Ok(empty_response(StatusCode::NO_CONTENT))
    } else {
        Err(ApiError::NotFound)
    }
}

/// `POST /_emulator/contacts/{id}/block`: a human blocks the contact (204),
/// 404 when it is unknown.
pub(super) async fn block_contact(
    State(emu): State<Emulator>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    if emu.block_contact_as_someone(id) {
        Ok(empty_response(StatusCode::NO_CONTENT))
    } else {
        Err(ApiError::NotFound)
    }
}

/// `GET /_emulator/faults`: the fault settings now.
pub(super) async fn faults(State(emu): State<Emulator>) -> Response {
    json_response(StatusCode::OK, &emu.faults())
}

/// `PUT /_emulator/faults`: replaces every setting (left out = off).
pub(super) async fn replace_faults(State(emu): State<Emulator>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Faults>(&body).map_err(|e| e.to_string());
    apply_faults(&emu, parsed)
}

/// `POST /_emulator/faults`: changes only the settings sent.
pub(super) async fn merge_faults(State(emu): State<Emulator>, body: Bytes) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|patch| {
            let mut now = serde_json::to_value(emu.faults()).map_err(|e| e.to_string())?;
            match (now.as_object_mut(), patch) {
                (Some(map), Value::Object(patch)) => map.extend(patch),
                _ => return Err("expected a JSON object of fault settings".to_owned()),
            }
            serde_json::from_value::<Faults>(now).map_err(|e| e.to_string())
        });
    apply_faults(&emu, parsed)
}

/// `DELETE /_emulator/faults`: every fault off.
pub(super) async fn clear_faults(State(emu): State<Emulator>) -> Response {
    apply_faults(&emu, Ok(Faults::default()))
}

/// 200 with the new settings, or 400 `{"message": ...}` saying what is wrong.
fn apply_faults(emu: &Emulator, parsed: Result<Faults, String>) -> Response {
    match parsed.and_then(|f| emu.set_faults(f)) {
        Ok(()) => json_response(StatusCode::OK, &emu.faults()),
        Err(message) => json_response(StatusCode::BAD_REQUEST, &json!({ "message": message })),
    }
}

/// `GET /_emulator/webhooks`: the targets (secrets hidden), the retry delays
/// and every delivery attempt so far.
pub(super) async fn webhooks(State(emu): State<Emulator>) -> Response {
    let body = json!({"settings": emu.webhooks(), "deliveries": emu.webhook_deliveries()});
    json_response(StatusCode::OK, &body)
}

/// `PUT /_emulator/webhooks`: replaces the targets, e.g.
/// `{"targets":[{"url":"http://127.0.0.1:9187/webhooks/freshdesk","secret":"..."}],"retry_delays_ms":[1000,2000,3000]}`.
pub(super) async fn replace_webhooks(State(emu): State<Emulator>, body: Bytes) -> Response {
    let settings = match serde_json::from_slice::<crate::emulator::WebhookSettings>(&body) {
        Ok(s) => s,
        Err(e) => return json_response(StatusCode::BAD_REQUEST, &json!({"error": e.to_string()})),
    };
    match emu.set_webhooks(settings) {
        Ok(()) => json_response(StatusCode::OK, &json!({"settings": emu.webhooks()})),
        Err(e) => json_response(StatusCode::BAD_REQUEST, &json!({"error": e})),
    }
}
