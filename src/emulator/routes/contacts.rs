//! Contacts: list, view, create, update, soft delete, restore and hard
//! delete (freshdesk-api.md §2.1, §3.3, §6.4).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::contact_input::{
    CONTACT_FILTERS, ContactFilter, check_unique, parse_create, parse_update,
};
use super::{Req, created, missing_params, no_query, ok, parse_id};
use crate::emulator::Emulator;
use crate::emulator::error::{ApiError, empty_response};
use crate::emulator::query::{Query, list_response, paginate};
use crate::emulator::shape;
use crate::emulator::validate::{Body, INVALID_VALUE, one_of};
use crate::freshdesk::types::Contact;

/// `GET /contacts`: sorted by name, paged.
pub(super) async fn list(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    let mut q = Query::parse(&ctx, CONTACT_FILTERS)?;
    let filter = ContactFilter::from_query(&mut q);
    let page = q.page_req();
    q.finish()?;
    let inner = emu.lock();
    let world = &inner.world;
    let mut list: Vec<&Contact> = world
        .contacts
        .values()
        .filter(|c| filter.matches(c, world.blocked.contains(&c.id)))
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let (rows, more) = paginate(list, page);
    let items = rows.into_iter().map(shape::contact_item).collect();
    Ok(list_response(&ctx, items, more, page))
}

/// `GET /contacts/{id}`: deleted contacts too, with `deleted: true`.
pub(super) async fn show(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let inner = emu.lock();
    let c = inner.world.contacts.get(&id).ok_or(ApiError::NotFound)?;
    Ok(ok(&shape::contact_full(c)))
}

/// `POST /contacts`: 201, or 409 with `additional_info.user_id` of the
/// existing user when the email is taken.
pub(super) async fn create(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    no_query(&ctx)?;
    let empty = Body::new();
    let new = parse_create(ctx.body.as_ref().unwrap_or(&empty))?;
    let mut inner = emu.lock();
    let world = &mut inner.world;
    check_unique(
        world,
        new.email.as_ref(),
        &new.other_emails,
        new.twitter_id.as_deref(),
        None,
    )?;
    let c = world.insert_contact(new, ctx.now);
    Ok(created(&ctx, "contacts", c.id, &shape::contact_full(&c)))
}

/// `PUT /contacts/{id}`: 404, then 405 on a deleted or blocked contact,
/// then the body.
pub(super) async fn update(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let parsed = match ctx.body.as_ref().filter(|b| !b.is_empty()) {
        Some(body) => parse_update(body),
        None => Err(missing_params()),
    };
    let mut inner = emu.lock();
    let world = &mut inner.world;
    if !world.contacts.contains_key(&id) {
        return Err(ApiError::NotFound);
    }
    if world.contact_is_locked(id) {
        return Err(ApiError::only_get("PUT"));
    }
    let patch = parsed?;
    let others = patch.other_emails.clone().unwrap_or_default();
    check_unique(
        world,
        patch.email.as_ref(),
        &others,
        patch.twitter_id.as_deref(),
        Some(id),
    )?;
    let c = world
        .update_contact(id, patch, ctx.now)
        .ok_or(ApiError::NotFound)?;
    Ok(ok(&shape::contact_full(&c)))
}

/// `DELETE /contacts/{id}`: soft delete, 204; 405 `Allow: GET` when already
/// deleted or blocked.
pub(super) async fn delete(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let result = emu.lock().world.soft_delete_contact(id, ctx.now);
    super::soft_delete_answer(result)
}

/// `PUT /contacts/{id}/restore`: 204; 404 unless the contact is deleted.
pub(super) async fn restore(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    super::no_body(&ctx)?;
    let restored = emu.lock().world.restore_contact(id, ctx.now);
    super::restore_answer(restored)
}

/// `DELETE /contacts/{id}/hard_delete[?force=true]`: 204. Without `force`,
/// only a soft-deleted contact can go; any other gets 400 with no body.
pub(super) async fn hard_delete(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let mut q = Query::parse(&ctx, &["force"])?;
    let force = match q.get("force") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            q.push("force", one_of("true,false"), INVALID_VALUE);
            false
        }
    };
    q.finish()?;
    let mut inner = emu.lock();
    let world = &mut inner.world;
    let deleted = match world.contacts.get(&id) {
        None => return Err(ApiError::NotFound),
        Some(c) => c.deleted == Some(true),
    };
    if !force && !deleted {
        return Ok(empty_response(StatusCode::BAD_REQUEST));
    }
    world.hard_delete_contact(id);
    Ok(empty_response(StatusCode::NO_CONTENT))
}
