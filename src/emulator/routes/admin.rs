//! `/_emulator/...`: unauthenticated inspection and control for tests, demos
//! and trainers. Not part of the Freshdesk API, so neither rate-limited nor
//! logged.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::parse_id;
use crate::emulator::Emulator;
use crate::emulator::error::{ApiError, empty_response, json_response};

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
