//! Ticket create, view, update, delete and restore (freshdesk-api.md §2.1-§2.3).

use axum::extract::{Path, State};
use axum::response::Response;

use serde_json::Value;

use super::ticket_input::{RequesterRef, TicketInput, parse_create, parse_update};
use super::{Req, created, missing_params, no_query, ok, parse_id};
use crate::clock::UnixMs;
use crate::emulator::Emulator;
use crate::emulator::error::{ApiError, field_error};
use crate::emulator::fields::{self, CustomField};
use crate::emulator::query::Query;
use crate::emulator::records::TicketRec;
use crate::emulator::shape::{self, Embeds};
use crate::emulator::state::{NewContact, World};
use crate::emulator::ticket_store::{NewTicket, TicketPatch};
use crate::emulator::validate::{Body, INVALID_VALUE, MISSING, one_of};
use crate::freshdesk::types::{FieldError, status};

/// Source when none is sent: Portal.
const DEFAULT_SOURCE: i64 = 2;
/// Priority when none is sent (relaxed mode only): Low.
const DEFAULT_PRIORITY: i64 = 1;
const VIEW_INCLUDES: &[&str] = &[
    "conversations",
    "requester",
    "company",
    "stats",
    "sla_policy",
];

/// `POST /tickets`: 201 with the ticket and `Location`.
pub(super) async fn create(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    no_query(&ctx)?;
    let empty = Body::new();
    let body = ctx.body.as_ref().unwrap_or(&empty);
    let defs = &emu.cfg().custom_fields;
    let input = parse_create(body, emu.cfg().relaxed, defs, ctx.now)?;
    let status = input.status.unwrap_or(status::OPEN);
    let custom = fields::merged(defs, None, &input.custom_fields.clone().unwrap_or_default());
    if CLOSING.contains(&status) {
        closure_check(defs, &custom)?;
    }
    let mut inner = emu.lock();
    let world = &mut inner.world;
    let plan = resolve_refs(world, &input)?;
    let Some(requester_id) = plan.map(|p| p.apply(world, ctx.now)) else {
        // parse_create guarantees a requester; keep the answer Freshdesk's anyway.
        let msg =
            "Please fill at least 1 of requester_id, phone, email, twitter_id, facebook_id fields";
        return Err(ApiError::field("requester_id", msg, MISSING));
    };
    let new = NewTicket {
        subject: input.subject.unwrap_or_default(),
        description: input.description.unwrap_or_default(),
        status,
        priority: input.priority.unwrap_or(DEFAULT_PRIORITY),
        source: input.source.unwrap_or(DEFAULT_SOURCE),
        ticket_type: input.ticket_type.flatten(),
        requester_id,
        responder_id: input.responder_id.flatten(),
        group_id: input.group_id.flatten(),
        email_config_id: input.email_config_id.flatten(),
        tags: input.tags.unwrap_or_default(),
        cc_emails: input.cc_emails.unwrap_or_default(),
        due: input.due,
        custom_fields: custom,
    };
    let rec = world.create_ticket(new, ctx.now);
    Ok(created(&ctx, "tickets", rec.wire.id, shape::ticket(rec)))
}

/// Statuses that need the required-for-closure fields: Resolved, Closed.
const CLOSING: &[i64] = &[status::RESOLVED, status::CLOSED];

fn closure_check(defs: &[CustomField], values: &Value) -> Result<(), ApiError> {
    let errors = fields::closure_errors(defs, values);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// `GET /tickets/{id}`: deleted and spam tickets are viewable too.
pub(super) async fn show(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let embeds = view_embeds(&mut Query::parse(&ctx, &["include"])?)?;
    let inner = emu.lock();
    let rec = inner.world.ticket(id).ok_or(ApiError::NotFound)?;
    if embeds == Embeds::default() {
        return Ok(ok(shape::ticket(rec)));
    }
    Ok(ok(&shape::ticket_view(rec, &inner.world, embeds)))
}

fn view_embeds(q: &mut Query) -> Result<Embeds, ApiError> {
    let mut e = Embeds::default();
    for name in q
        .get("include")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match name {
            "conversations" => e.conversations = true,
            "requester" => e.requester = true,
            "company" => e.company = true,
            "stats" => e.stats = true,
            "sla_policy" => e.sla_policy = true,
            _ => {
                let msg = one_of(&VIEW_INCLUDES.join(", "));
                return Err(ApiError::field("include", msg, INVALID_VALUE));
            }
        }
    }
    Ok(e)
}

/// `PUT /tickets/{id}`: 404 and 405 come before any complaint about the body.
pub(super) async fn update(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let defs = &emu.cfg().custom_fields;
    let parsed = match ctx.body.as_ref().filter(|b| !b.is_empty()) {
        Some(body) => parse_update(body, defs, ctx.now),
        None => Err(missing_params()),
    };
    let mut inner = emu.lock();
    let rec = apply_update(&mut inner.world, defs, id, parsed, ctx.now)?;
    Ok(ok(shape::ticket(rec)))
}

/// Checks references and closure rules, then applies a parsed update. Shared
/// with bulk updates, which run it once per ticket.
pub(crate) fn apply_update<'w>(
    world: &'w mut World,
    defs: &[CustomField],
    id: i64,
    parsed: Result<TicketInput, ApiError>,
    now: UnixMs,
) -> Result<&'w TicketRec, ApiError> {
    let rec = world.ticket(id).ok_or(ApiError::NotFound)?;
    if rec.is_locked() {
        return Err(ApiError::only_get("PUT"));
    }
    let input = parsed?;
    let custom = input
        .custom_fields
        .as_ref()
        .map(|set| fields::merged(defs, rec.wire.custom_fields.as_ref(), set));
    if input.status.is_some_and(|s| CLOSING.contains(&s)) {
        let current = fields::merged(defs, rec.wire.custom_fields.as_ref(), &Default::default());
        closure_check(defs, custom.as_ref().unwrap_or(&current))?;
    }
    let plan = resolve_refs(world, &input)?;
    let requester_id = plan.map(|p| p.apply(world, now));
    let patch = TicketPatch {
        subject: input.subject,
        description: input.description,
        status: input.status,
        priority: input.priority,
        source: input.source,
        ticket_type: input.ticket_type,
        requester_id,
        responder_id: input.responder_id,
        group_id: input.group_id,
        email_config_id: input.email_config_id,
        tags: input.tags,
        due: input.due,
        custom_fields: custom,
    };
    world
        .update_ticket(id, patch, now)
        .ok_or(ApiError::NotFound)
}

/// `DELETE /tickets/{id}`: soft delete, 204; 405 when already deleted or spam.
pub(super) async fn delete(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let result = emu.lock().world.soft_delete(id, ctx.now);
    super::soft_delete_answer(result)
}

/// `PUT /tickets/{id}/restore`: 204; 404 unless the ticket is deleted.
pub(super) async fn restore(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    super::no_body(&ctx)?;
    let restored = emu.lock().world.restore(id, ctx.now);
    super::restore_answer(restored)
}

/// Where the requester comes from once references are checked.
enum RequesterPlan {
    Existing(i64),
    /// An unknown email (or phone, ...) makes a new contact.
    Create(Box<NewContact>),
}

impl RequesterPlan {
    fn apply(self, world: &mut World, now: UnixMs) -> i64 {
        match self {
            RequesterPlan::Existing(id) => id,
            RequesterPlan::Create(new) => world.insert_contact(*new, now).id,
        }
    }
}

/// Checks that every referenced record exists; nothing is written here.
fn resolve_refs(world: &World, input: &TicketInput) -> Result<Option<RequesterPlan>, ApiError> {
    let mut errors = Vec::new();
    let plan = input
        .requester
        .as_ref()
        .and_then(|r| requester_plan(world, r, input.name.as_deref(), &mut errors));
    let mut missing = |field: &str, what: &str| {
        let msg = format!("There is no {what} matching the given {field}");
        errors.push(field_error(field, msg, INVALID_VALUE));
    };
    if let Some(Some(id)) = input.responder_id
        && world.agent(id).is_none()
    {
        missing("responder_id", "agent");
    }
    if let Some(Some(id)) = input.group_id
        && world.group(id).is_none()
    {
        missing("group_id", "group");
    }
    if let Some(Some(id)) = input.email_config_id
        && id != world.email_config_id
    {
        missing("email_config_id", "email_config");
    }
    if let Some(Some(_)) = input.product_id {
        missing("product_id", "product");
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn requester_plan(
    world: &World,
    r: &RequesterRef,
    name: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<RequesterPlan> {
    let found = match r {
        RequesterRef::Id(id) if world.user(*id).is_some() => {
            return Some(RequesterPlan::Existing(*id));
        }
        RequesterRef::Id(_) => {
            let msg = "There is no contact matching the given requester_id";
            errors.push(field_error("requester_id", msg, INVALID_VALUE));
            return None;
        }
        RequesterRef::Email(e) => world.user_id_by_email(e),
        RequesterRef::Phone(p) => world.contact_id_by("phone", p),
        RequesterRef::TwitterId(t) => world.contact_id_by("twitter_id", t),
        RequesterRef::FacebookId(f) => world.contact_id_by("facebook_id", f),
    };
    match found {
        Some(id) => Some(RequesterPlan::Existing(id)),
        None => new_requester(r, name, errors).map(|c| RequesterPlan::Create(Box::new(c))),
    }
}

/// The contact Freshdesk makes for an unknown requester. Without a `name`,
/// an email's local part or the social handle becomes the name; a phone
/// number alone is not enough.
fn new_requester(
    r: &RequesterRef,
    name: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<NewContact> {
    let named = |fallback: &str| name.unwrap_or(fallback).to_owned();
    let contact = match r {
        RequesterRef::Id(_) => return None,
        RequesterRef::Email(e) => NewContact {
            name: named(e.split('@').next().unwrap_or(e)),
            email: Some(e.clone()),
            ..NewContact::default()
        },
        RequesterRef::Phone(_) if name.is_none() => {
            let msg = "It should not be blank if phone is only given";
            errors.push(field_error("name", msg, MISSING));
            return None;
        }
        RequesterRef::Phone(p) => NewContact {
            name: named(p),
            phone: Some(p.clone()),
            ..NewContact::default()
        },
        RequesterRef::TwitterId(t) => NewContact {
            name: named(t),
            twitter_id: Some(t.clone()),
            ..NewContact::default()
        },
        RequesterRef::FacebookId(f) => NewContact {
            name: named(f),
            facebook_id: Some(f.clone()),
            ..NewContact::default()
        },
    };
    Some(contact)
}
