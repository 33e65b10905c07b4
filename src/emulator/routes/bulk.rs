//! `POST /tickets/bulk_update` and `GET /jobs/{id}` (freshdesk-api.md §2.8):
//! 202 with a job, which applies `properties` (and an optional reply) to up
//! to 100 tickets once it runs, reporting each ticket's result.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::ticket_input::parse_update;
use super::tickets::apply_update;
use super::{Req, no_query, ok};
use crate::clock::UnixMs;
use crate::emulator::Emulator;
use crate::emulator::error::{ApiError, field_error, json_response};
use crate::emulator::fields::CustomField;
use crate::emulator::records::{BulkReply, JobRec};
use crate::emulator::state::World;
use crate::emulator::ticket_store::ConversationKind;
use crate::emulator::validate::{
    BLANK, Body, Checker, DATATYPE, INVALID_VALUE, MISSING, bare_address, reject_unknown_keys,
};

const MAX_IDS: usize = 100;

/// `POST /tickets/bulk_update`, also as `{"bulk_action": {...}}`.
pub(super) async fn bulk_update(
    State(emu): State<Emulator>,
    ctx: Req,
) -> Result<Response, ApiError> {
    no_query(&ctx)?;
    let empty = Body::new();
    let mut body = ctx.body.as_ref().unwrap_or(&empty);
    if body.len() == 1
        && let Some(Value::Object(inner)) = body.get("bulk_action")
    {
        body = inner;
    }
    let defs = &emu.cfg().custom_fields;
    let (ids, properties, reply) = parse(body, defs, ctx.now)?;
    let mut inner = emu.lock();
    if let Some(r) = &reply
        && let Some(from) = r.1.as_deref()
        && !bare_address(from).eq_ignore_ascii_case(&inner.world.support_email)
    {
        let msg = "There is no active email_config matching the given from_email";
        return Err(ApiError::field("reply.from_email", msg, INVALID_VALUE));
    }
    let job = JobRec {
        id: format!("{:032x}", rand::random::<u128>()),
        created_ms: ctx.now,
        ids,
        properties,
        reply: reply.map(|(body, _)| BulkReply { body }),
        data: None,
    };
    let href = format!("{}/api/v2/jobs/{}", ctx.base_url, job.id);
    let answer = json!({"job_id": job.id, "href": href});
    inner.world.add_job(job);
    Ok(json_response(StatusCode::ACCEPTED, &answer))
}

type Parsed = (Vec<i64>, Option<Body>, Option<(String, Option<String>)>);

fn parse(body: &Body, defs: &[CustomField], now: UnixMs) -> Result<Parsed, ApiError> {
    reject_unknown_keys(body, &["ids", "properties", "reply"])?;
    let mut c = Checker::new(body);
    let ids = ids(&mut c);
    let properties = c.object("properties").cloned();
    let reply = c.object("reply").cloned();
    if properties.is_none() && reply.is_none() && !c.has("properties") && !c.has("reply") {
        let msg = "Please fill at least 1 of properties, reply fields";
        c.push("properties", msg, MISSING);
    }
    c.finish()?;
    if let Some(p) = &properties {
        if p.is_empty() {
            return Err(ApiError::field("properties", BLANK, INVALID_VALUE));
        }
        if p.contains_key("attachments") {
            let msg = "Unexpected/invalid field in request";
            return Err(ApiError::field("attachments", msg, "invalid_field"));
        }
        parse_update(p, defs, now)?;
    }
    let reply = reply.map(|r| parse_reply(&r)).transpose()?;
    Ok((ids.unwrap_or_default(), properties, reply))
}

/// `ids`: 1 to 100 positive integers.
fn ids(c: &mut Checker) -> Option<Vec<i64>> {
    let Some(v) = c.raw("ids") else {
        c.push("ids", "It should be a/an Array", MISSING);
        return None;
    };
    let Some(items) = v.as_array() else {
        c.push_mismatch("ids", "It should be a/an Array");
        return None;
    };
    let ids: Option<Vec<i64>> = items
        .iter()
        .map(|i| i.as_i64().filter(|n| *n > 0))
        .collect();
    let Some(ids) = ids else {
        let msg = "It should contain elements of type Positive Integer only";
        c.push("ids", msg, DATATYPE);
        return None;
    };
    if ids.is_empty() {
        c.push("ids", BLANK, INVALID_VALUE);
        return None;
    }
    if ids.len() > MAX_IDS {
        let msg = format!(
            "Has {} elements, it can have maximum of {MAX_IDS} elements",
            ids.len()
        );
        c.push("ids", msg, INVALID_VALUE);
        return None;
    }
    Some(ids)
}

fn parse_reply(r: &Body) -> Result<(String, Option<String>), ApiError> {
    reject_unknown_keys(r, &["body", "from_email"])?;
    let mut c = Checker::new(r);
    let body = c.required_string("body", 1 << 20);
    let from = c.string("from_email", 255);
    c.finish()?;
    Ok((body.unwrap_or_default(), from))
}

/// `GET /jobs/{id}`: 404 with an empty body for an unknown job.
pub(super) async fn show_job(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    no_query(&ctx)?;
    let inner = emu.lock();
    let job = inner.world.job(&id).ok_or(ApiError::NotFound)?;
    let mut answer = json!({"id": job.id, "status": job.status(ctx.now)});
    if let Some(data) = &job.data {
        answer["data"] = Value::Array(data.clone());
    }
    Ok(ok(&answer))
}

/// Runs every job that is due at `now`, in the order queued.
pub(crate) fn settle(world: &mut World, defs: &[CustomField], now: UnixMs) {
    let due: Vec<usize> = (0..world.jobs.len())
        .filter(|&i| world.jobs[i].is_due(now))
        .collect();
    for i in due {
        let job = world.jobs[i].clone();
        let data = job
            .ids
            .iter()
            .map(|&id| run_one(world, defs, &job, id, now))
            .collect();
        world.jobs[i].data = Some(data);
    }
}

/// One ticket of a job: the update, then the reply.
fn run_one(world: &mut World, defs: &[CustomField], job: &JobRec, id: i64, now: UnixMs) -> Value {
    let result = match &job.properties {
        Some(p) => apply_update(world, defs, id, parse_update(p, defs, now), now).map(|_| ()),
        None => match world.ticket(id) {
            None => Err(ApiError::NotFound),
            Some(t) if t.is_locked() => Err(ApiError::only_get("PUT")),
            Some(_) => Ok(()),
        },
    };
    let errors = match result {
        Ok(()) => {
            if let (Some(r), Some(owner)) = (&job.reply, world.owner().map(|a| a.id)) {
                let kind = ConversationKind::Reply {
                    cc_emails: Vec::new(),
                    bcc_emails: Vec::new(),
                };
                world.add_conversation(id, r.body.clone(), owner, kind, now);
            }
            return json!({"id": id, "success": true});
        }
        Err(ApiError::Validation(errors)) => errors,
        Err(ApiError::NotFound) => {
            vec![field_error(
                "id",
                "There is no ticket matching the given id",
                INVALID_VALUE,
            )]
        }
        Err(_) => vec![field_error(
            "id",
            "The ticket is deleted or spam",
            "unable_to_perform",
        )],
    };
    json!({"id": id, "success": false, "errors": errors})
}
