//! Time entries (freshdesk-api.md §2.7): create and list per ticket, the
//! global list with filters, update, toggle the timer, delete. All of it
//! needs the Timesheets plan feature, and a deleted or spam ticket is 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::{Req, missing_params, no_body, no_query, ok, parse_id};
use crate::clock::UnixMs;
use crate::emulator::Emulator;
use crate::emulator::error::{ApiError, empty_response, json_response};
use crate::emulator::query::{Query, list_response, paginate};
use crate::emulator::records::TimeEntryRec;
use crate::emulator::state::World;
use crate::emulator::time_store::{NewTimeEntry, TimePatch};
use crate::emulator::validate::{Body, Checker, INVALID_VALUE, reject_unknown_keys};

const KEYS: &[&str] = &[
    "time_spent",
    "billable",
    "note",
    "executed_at",
    "timer_running",
    "start_time",
    "agent_id",
];
const FILTERS: &[&str] = &[
    "company_id",
    "agent_id",
    "executed_after",
    "executed_before",
    "billable",
    "page",
    "per_page",
];
const HH_MM: &str = "It should be in the 'hh:mm' format";

/// 403 `require_feature` unless the account has Timesheets.
fn feature(emu: &Emulator) -> Result<(), ApiError> {
    if emu.cfg().timesheets {
        return Ok(());
    }
    let msg = "The Timesheets feature(s) is/are not supported in your plan. Please upgrade your account to use it.";
    Err(ApiError::request(
        StatusCode::FORBIDDEN,
        "require_feature",
        msg,
    ))
}

/// 404 unless the ticket exists and is neither deleted nor spam.
fn live_ticket(world: &World, id: i64) -> Result<(), ApiError> {
    match world.ticket(id) {
        Some(t) if !t.is_locked() => Ok(()),
        _ => Err(ApiError::NotFound),
    }
}

fn entry_json(e: &TimeEntryRec, now: UnixMs) -> Value {
    serde_json::to_value(e.wire(now)).unwrap_or(Value::Null)
}

/// `POST /tickets/{id}/time_entries`: 201 (no `Location`, as Freshdesk).
pub(super) async fn create(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    feature(&emu)?;
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let empty = Body::new();
    let parsed = parse_create(ctx.body.as_ref().unwrap_or(&empty), ctx.now);
    let mut inner = emu.lock();
    let world = &mut inner.world;
    live_ticket(world, id)?;
    let mut new = parsed?;
    if new.agent_id == 0 {
        new.agent_id = world.owner().map(|a| a.id).ok_or(ApiError::NotFound)?;
    } else if world.agent(new.agent_id).is_none() {
        let msg = "There is no agent matching the given agent_id";
        return Err(ApiError::field("agent_id", msg, INVALID_VALUE));
    }
    let rec = world.add_time_entry(id, new, ctx.now);
    Ok(json_response(
        StatusCode::CREATED,
        &entry_json(&rec, ctx.now),
    ))
}

/// `time_spent`: `"hh:mm"` (minutes 00-59) or a number of seconds.
fn time_spent(c: &mut Checker) -> Option<i64> {
    let v = c.raw("time_spent")?;
    if let Some(n) = v.as_i64().filter(|n| *n >= 0) {
        return Some(n);
    }
    let Some(s) = v.as_str() else {
        c.push_mismatch("time_spent", "It should be a/an String");
        return None;
    };
    let parsed = s.split_once(':').and_then(|(h, m)| {
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        let ok = digits(h) && digits(m) && m.len() == 2;
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        (ok && m < 60).then_some(h * 3600 + m * 60)
    });
    if parsed.is_none() {
        c.push("time_spent", HH_MM, INVALID_VALUE);
    }
    parsed
}

/// `start_time`, which may not lie in the future.
fn start_time(c: &mut Checker, now: UnixMs) -> Option<UnixMs> {
    let t = c.datetime("start_time")?;
    if t > now {
        c.push(
            "start_time",
            "It should be a date before the current time",
            INVALID_VALUE,
        );
        return None;
    }
    Some(t)
}

fn parse_create(body: &Body, now: UnixMs) -> Result<NewTimeEntry, ApiError> {
    reject_unknown_keys(body, KEYS)?;
    let mut c = Checker::new(body);
    let seconds = time_spent(&mut c);
    let start = start_time(&mut c, now);
    let default_running = !c.has("time_spent") || c.has("start_time");
    let running = c.boolean("timer_running").unwrap_or(default_running);
    if c.has("start_time") && !running {
        let msg = "It can be set only when timer_running is true";
        c.push("start_time", msg, "incompatible_field");
    }
    let new = NewTimeEntry {
        agent_id: c.pos_int("agent_id").unwrap_or(0),
        billable: c.boolean("billable").unwrap_or(true),
        note: c.string("note", 65_535).unwrap_or_default(),
        executed_ms: c.datetime("executed_at").unwrap_or(now),
        seconds: seconds.unwrap_or(0),
        running,
        start_ms: start.unwrap_or(now),
    };
    c.finish()?;
    Ok(new)
}

/// `GET /tickets/{id}/time_entries`: oldest first, paged.
pub(super) async fn list_for_ticket(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    feature(&emu)?;
    let id = parse_id(&id)?;
    let mut q = Query::parse(&ctx, &["page", "per_page"])?;
    let page = q.page_req();
    q.finish()?;
    let inner = emu.lock();
    live_ticket(&inner.world, id)?;
    let rows: Vec<&TimeEntryRec> = inner
        .world
        .time_entries
        .values()
        .filter(|e| e.ticket_id == id)
        .collect();
    let (rows, more) = paginate(rows, page);
    let items = rows.into_iter().map(|e| entry_json(e, ctx.now)).collect();
    Ok(list_response(&ctx, items, more, page))
}

/// `GET /time_entries`: every entry of live tickets, with filters.
pub(super) async fn list_all(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    feature(&emu)?;
    let mut q = Query::parse(&ctx, FILTERS)?;
    let company = q.pos_int("company_id");
    let agent = q.pos_int("agent_id");
    let after = q.datetime("executed_after");
    let before = q.datetime("executed_before");
    let billable = q
        .word("billable", &["true", "false"], "true,false")
        .map(|b| b == "true");
    let page = q.page_req();
    q.finish()?;
    let inner = emu.lock();
    let world = &inner.world;
    let rows: Vec<&TimeEntryRec> = world
        .time_entries
        .values()
        .filter(|e| world.ticket(e.ticket_id).is_some_and(|t| !t.is_locked()))
        .filter(|e| company.is_none() && agent.is_none_or(|a| e.agent_id == a))
        .filter(|e| {
            after.is_none_or(|t| e.executed_ms >= t) && before.is_none_or(|t| e.executed_ms <= t)
        })
        .filter(|e| billable.is_none_or(|b| e.billable == b))
        .collect();
    let (rows, more) = paginate(rows, page);
    let items = rows.into_iter().map(|e| entry_json(e, ctx.now)).collect();
    Ok(list_response(&ctx, items, more, page))
}

/// The entry `id`, if it exists on a live ticket.
fn live_entry(world: &World, id: i64) -> Result<&TimeEntryRec, ApiError> {
    let e = world.time_entries.get(&id).ok_or(ApiError::NotFound)?;
    live_ticket(world, e.ticket_id)?;
    Ok(e)
}

/// `PUT /time_entries/{id}`, with the timer rules of §2.7.
pub(super) async fn update(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    feature(&emu)?;
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let mut inner = emu.lock();
    let world = &mut inner.world;
    let running = live_entry(world, id)?.running_since.is_some();
    let body = ctx
        .body
        .as_ref()
        .filter(|b| !b.is_empty())
        .ok_or_else(missing_params)?;
    let patch = parse_update(body, running, ctx.now)?;
    if let Some(agent) = patch.agent_id
        && world.agent(agent).is_none()
    {
        let msg = "There is no agent matching the given agent_id";
        return Err(ApiError::field("agent_id", msg, INVALID_VALUE));
    }
    let rec = world
        .update_time_entry(id, patch, ctx.now)
        .ok_or(ApiError::NotFound)?;
    Ok(ok(&entry_json(&rec, ctx.now)))
}

fn parse_update(body: &Body, running: bool, now: UnixMs) -> Result<TimePatch, ApiError> {
    reject_unknown_keys(body, KEYS)?;
    let mut c = Checker::new(body);
    let patch = TimePatch {
        agent_id: c.pos_int("agent_id"),
        billable: c.boolean("billable"),
        note: c.string("note", 65_535),
        executed_ms: c.datetime("executed_at"),
        seconds: time_spent(&mut c),
        running: c.boolean("timer_running"),
        start_ms: start_time(&mut c, now),
    };
    if patch.running == Some(running) {
        c.push(
            "timer_running",
            "Can't set to the same value as before",
            INVALID_VALUE,
        );
    }
    let still_running = patch.running.unwrap_or(running);
    if running && still_running && c.has("agent_id") {
        c.push(
            "agent_id",
            "It cannot be changed while the timer is running",
            "incompatible_field",
        );
    }
    if running && c.has("start_time") {
        c.push(
            "start_time",
            "It cannot be set while the timer is running",
            "incompatible_field",
        );
    }
    c.finish()?;
    Ok(patch)
}

/// `PUT /time_entries/{id}/toggle_timer`: starts or stops the timer.
pub(super) async fn toggle(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    feature(&emu)?;
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    no_body(&ctx)?;
    let mut inner = emu.lock();
    live_entry(&inner.world, id)?;
    let rec = inner
        .world
        .toggle_timer(id, ctx.now)
        .ok_or(ApiError::NotFound)?;
    Ok(ok(&entry_json(&rec, ctx.now)))
}

/// `DELETE /time_entries/{id}`: 204.
pub(super) async fn delete(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    feature(&emu)?;
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let mut inner = emu.lock();
    live_entry(&inner.world, id)?;
    inner.world.time_entries.remove(&id);
    Ok(empty_response(StatusCode::NO_CONTENT))
}
