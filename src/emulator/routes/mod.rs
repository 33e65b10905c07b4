//! The route table. To add an endpoint: write a handler in the resource's
//! file (validate with `validate`/`query`, lock once, shape with `shape`)
//! and add one line here.

mod admin;
mod bulk;
mod contact_input;
mod contacts;
mod conversations;
mod people;
mod search;
mod ticket_fields;
mod ticket_input;
mod ticket_list;
mod tickets;
mod time_entries;

pub(crate) use bulk::settle as settle_jobs;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde::Serialize;

use super::Emulator;
pub(crate) use super::ctx::{Ctx, Req};
use super::error::{ApiError, empty_response, json_response};
use super::pipeline::api_pipeline;

/// The whole app: admin routes, then everything else through the pipeline.
pub(crate) fn router(emu: Emulator) -> Router {
    let api = api_routes().with_state(emu.clone());
    let piped = Router::new()
        .fallback_service(api)
        .layer(from_fn_with_state(emu.clone(), api_pipeline));
    Router::new()
        .route("/_emulator/state", get(admin::state))
        .route("/_emulator/requests", get(admin::requests))
        .route("/_emulator/tickets/{id}/delete", post(admin::delete_ticket))
        .route("/_emulator/tickets/{id}/spam", post(admin::spam_ticket))
        .route("/_emulator/contacts/{id}/block", post(admin::block_contact))
        .route(
            "/_emulator/faults",
            get(admin::faults)
                .put(admin::replace_faults)
                .post(admin::merge_faults)
                .delete(admin::clear_faults),
        )
        .route(
            "/_emulator/webhooks",
            get(admin::webhooks).put(admin::replace_webhooks),
        )
        .with_state(emu)
        .fallback_service(piped)
}

fn api_routes() -> Router<Emulator> {
    people_routes()
        .merge(ticket_routes())
        .merge(work_routes())
        .fallback(not_found)
}

fn people_routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/api/v2/contacts",
            get(contacts::list).post(contacts::create),
        )
        .route(
            "/api/v2/contacts/{id}",
            get(contacts::show)
                .put(contacts::update)
                .delete(contacts::delete),
        )
        .route("/api/v2/contacts/{id}/restore", put(contacts::restore))
        .route(
            "/api/v2/contacts/{id}/hard_delete",
            delete(contacts::hard_delete),
        )
        .route("/api/v2/search/contacts", get(search::contacts))
        .route("/api/v2/agents", get(people::list_agents))
        .route("/api/v2/agents/me", get(people::me))
        .route("/api/v2/agents/{id}", get(people::show_agent))
        .route("/api/v2/groups", get(people::list_groups))
        .route("/api/v2/groups/{id}", get(people::show_group))
}

fn ticket_routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/api/v2/tickets",
            get(ticket_list::list).post(tickets::create),
        )
        .route(
            "/api/v2/tickets/{id}",
            get(tickets::show)
                .put(tickets::update)
                .delete(tickets::delete),
        )
        .route("/api/v2/tickets/{id}/restore", put(tickets::restore))
        .route("/api/v2/tickets/{id}/reply", post(conversations::reply))
        .route("/api/v2/tickets/{id}/notes", post(conversations::note))
        .route(
            "/api/v2/tickets/{id}/conversations",
            get(conversations::list),
        )
        .route("/api/v2/search/tickets", get(search::tickets))
        .route("/api/v2/ticket_fields", get(ticket_fields::list))
}

/// Time entries and bulk jobs.
fn work_routes() -> Router<Emulator> {
    Router::new()
        .route("/api/v2/tickets/bulk_update", post(bulk::bulk_update))
        .route("/api/v2/jobs/{id}", get(bulk::show_job))
        .route(
            "/api/v2/tickets/{id}/time_entries",
            get(time_entries::list_for_ticket).post(time_entries::create),
        )
        .route("/api/v2/time_entries", get(time_entries::list_all))
        .route(
            "/api/v2/time_entries/{id}",
            put(time_entries::update).delete(time_entries::delete),
        )
        .route(
            "/api/v2/time_entries/{id}/toggle_timer",
            put(time_entries::toggle),
        )
}

/// Unknown routes: 404 with an empty body.
async fn not_found() -> Response {
    empty_response(StatusCode::NOT_FOUND)
}

/// An id from the path; anything that is not a positive number is unknown.
pub(crate) fn parse_id(raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::NotFound),
    }
}

/// 201 with the record and `Location: <base>/api/v2/<resource>/<id>`.
pub(crate) fn created<T: Serialize + ?Sized>(
    ctx: &Ctx,
    resource: &str,
    id: i64,
    body: &T,
) -> Response {
    let mut resp = json_response(StatusCode::CREATED, body);
    let location = format!("{}/api/v2/{resource}/{id}", ctx.base_url);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// 200 with a JSON body.
pub(crate) fn ok<T: Serialize + ?Sized>(body: &T) -> Response {
    json_response(StatusCode::OK, body)
}

/// 400 `missing_params`: an update with an empty body.
pub(crate) fn missing_params() -> ApiError {
    let msg = "Your update call does not have any parameter. Atleast one parameter is required.";
    ApiError::request(StatusCode::BAD_REQUEST, "missing_params", msg)
}

/// 400 `no_content_required` for a body where none belongs (restore, toggle).
pub(crate) fn no_body(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.body.is_none() {
        return Ok(());
    }
    let msg = "No content is required for this request";
    Err(ApiError::request(
        StatusCode::BAD_REQUEST,
        "no_content_required",
        msg,
    ))
}

/// Refuses any query parameter (show endpoints take none).
pub(crate) fn no_query(ctx: &Ctx) -> Result<(), ApiError> {
    super::query::Query::parse(ctx, &[]).map(|_| ())
}

/// The answer to a soft delete: 204, or 405 `Allow: GET` when the record is
/// already deleted (or spam, or blocked), or an empty 404.
pub(super) fn soft_delete_answer(
    result: Result<(), super::ticket_store::DeleteError>,
) -> Result<Response, ApiError> {
    use super::ticket_store::DeleteError;
    match result {
        Ok(()) => Ok(empty_response(StatusCode::NO_CONTENT)),
        Err(DeleteError::NotFound) => Err(ApiError::NotFound),
        Err(DeleteError::Locked) => Err(ApiError::only_get("DELETE")),
    }
}

/// The answer to a restore: 204, or an empty 404 unless the record was deleted.
pub(super) fn restore_answer(restored: bool) -> Result<Response, ApiError> {
    if restored {
        Ok(empty_response(StatusCode::NO_CONTENT))
    } else {
        Err(ApiError::NotFound)
    }
}
