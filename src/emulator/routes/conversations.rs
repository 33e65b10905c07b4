//! Replies, notes and the conversation list (freshdesk-api.md §2.6).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{Req, created, no_query, parse_id};
use crate::emulator::Emulator;
use crate::emulator::error::{ApiError, field_error};
use crate::emulator::query::{Query, list_response, paginate};
use crate::emulator::shape;
use crate::emulator::state::World;
use crate::emulator::ticket_store::ConversationKind;
use crate::emulator::validate::{
    Body, Checker, INVALID_VALUE, address_of, bare_address, reject_unknown_keys,
};
use crate::freshdesk::types::FieldError;

const REPLY_KEYS: &[&str] = &[
    "body",
    "from_email",
    "user_id",
    "cc_emails",
    "bcc_emails",
    "attachments",
];
const NOTE_KEYS: &[&str] = &[
    "body",
    "private",
    "incoming",
    "user_id",
    "notify_emails",
    "attachments",
];
const BODY_MAX: usize = 1 << 20;

struct ReplyInput {
    body: String,
    user_id: Option<i64>,
    from_email: Option<String>,
    cc_emails: Vec<String>,
    bcc_emails: Vec<String>,
}

struct NoteInput {
    body: String,
    user_id: Option<i64>,
    private: bool,
    incoming: bool,
    notify_emails: Vec<String>,
}

fn parse_reply(body: &Body) -> Result<ReplyInput, ApiError> {
    reject_unknown_keys(body, REPLY_KEYS)?;
    let mut c = Checker::new(body);
    let input = ReplyInput {
        body: c.required_string("body", BODY_MAX).unwrap_or_default(),
        user_id: c.pos_int("user_id"),
        from_email: c.string("from_email", 255),
        cc_emails: c.email_array("cc_emails", 49).unwrap_or_default(),
        bcc_emails: c.email_array("bcc_emails", 49).unwrap_or_default(),
    };
    c.no_attachments("attachments");
    c.finish()?;
    Ok(input)
}

fn parse_note(body: &Body) -> Result<NoteInput, ApiError> {
    reject_unknown_keys(body, NOTE_KEYS)?;
    let mut c = Checker::new(body);
    let input = NoteInput {
        body: c.required_string("body", BODY_MAX).unwrap_or_default(),
        user_id: c.pos_int("user_id"),
        private: c.boolean("private").unwrap_or(true),
        incoming: c.boolean("incoming").unwrap_or(false),
        notify_emails: c.email_array("notify_emails", 49).unwrap_or_default(),
    };
    c.no_attachments("attachments");
    c.finish()?;
    Ok(input)
}

/// `POST /tickets/{id}/reply`: an agent's email to the requester.
pub(super) async fn reply(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let empty = Body::new();
    let parsed = parse_reply(ctx.body.as_ref().unwrap_or(&empty));
    let mut inner = emu.lock();
    let world = &mut inner.world;
    world.ticket(id).ok_or(ApiError::NotFound)?;
    let input = parsed?;
    let user_id = reply_author(world, &input)?;
    let kind = ConversationKind::Reply {
        cc_emails: input.cc_emails,
        bcc_emails: input.bcc_emails,
    };
    let c = world
        .add_conversation(id, input.body, user_id, kind, ctx.now)
        .ok_or(ApiError::NotFound)?;
    Ok(created(
        &ctx,
        "conversations",
        c.id,
        &shape::reply_created(&c),
    ))
}

/// The agent a reply is sent as, and a check of `from_email`.
fn reply_author(world: &World, input: &ReplyInput) -> Result<i64, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    if let Some(from) = &input.from_email {
        let ours = bare_address(from).eq_ignore_ascii_case(&world.support_email);
        if !ours {
            let msg = "There is no active email_config matching the given from_email";
            errors.push(field_error("from_email", msg, INVALID_VALUE));
        }
    }
    let user_id = match input.user_id {
        Some(id) if world.agent(id).is_some() => Some(id),
        Some(_) => {
            let msg = "There is no agent matching the given user_id";
            errors.push(field_error("user_id", msg, INVALID_VALUE));
            None
        }
        None => world.owner().map(|a| a.id),
    };
    match user_id {
        Some(id) if errors.is_empty() => Ok(id),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// `POST /tickets/{id}/notes`: private unless told otherwise; a contact's
/// `user_id` means acting as the customer, which needs assume-identity.
pub(super) async fn note(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let empty = Body::new();
    let parsed = parse_note(ctx.body.as_ref().unwrap_or(&empty));
    let allow_assume = emu.cfg().allow_assume_identity;
    let mut inner = emu.lock();
    let world = &mut inner.world;
    world.ticket(id).ok_or(ApiError::NotFound)?;
    let input = parsed?;
    let (user_id, by_customer) = note_author(world, &input, allow_assume)?;
    let kind = ConversationKind::Note {
        private: input.private,
        incoming: input.incoming,
        by_customer,
        notify_emails: input.notify_emails,
    };
    let c = world
        .add_conversation(id, input.body, user_id, kind, ctx.now)
        .ok_or(ApiError::NotFound)?;
    Ok(created(
        &ctx,
        "conversations",
        c.id,
        &shape::note_created(&c),
    ))
}

/// The note's author and whether they are a customer.
fn note_author(
    world: &World,
    input: &NoteInput,
    allow_assume: bool,
) -> Result<(i64, bool), ApiError> {
    let not_agent = |e: &String| {
        let id = address_of(e).and_then(|a| world.user_id_by_email(a));
        id.is_none_or(|id| world.agent(id).is_none())
    };
    if input.notify_emails.iter().any(not_agent) {
        return Err(ApiError::field(
            "notify_emails",
            "Accepts only emails of agents",
            INVALID_VALUE,
        ));
    }
    let Some(user_id) = input.user_id else {
        let owner = world.owner().map(|a| a.id).ok_or(ApiError::NotFound)?;
        return Ok((owner, false));
    };
    let Some(user) = world.user(user_id) else {
        let msg = "There is no user matching the given user_id";
        return Err(ApiError::field("user_id", msg, INVALID_VALUE));
    };
    if !user.is_agent && (!allow_assume || user.deleted) {
        let msg = format!(
            "You are not authorized to perform this action on behalf of this user. id:{}, name:{}",
            user.id, user.name
        );
        return Err(ApiError::request(
            StatusCode::FORBIDDEN,
            "invalid_user",
            msg,
        ));
    }
    Ok((user.id, !user.is_agent))
}

/// `GET /tickets/{id}/conversations`: oldest first, paged.
pub(super) async fn list(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let mut q = Query::parse(&ctx, &["page", "per_page"])?;
    let page = q.page_req();
    q.finish()?;
    let all = {
        let inner = emu.lock();
        let rec = inner.world.ticket(id).ok_or(ApiError::NotFound)?;
        rec.conversations_oldest_first()
    };
    let (rows, more) = paginate(all, page);
    let items = rows.iter().map(shape::conversation).collect();
    Ok(list_response(&ctx, items, more, page))
}
