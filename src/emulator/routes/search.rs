//! `GET /search/tickets` and `GET /search/contacts` (freshdesk-api.md §2.5):
//! `query="..."` in the search language, 30 results a page, pages 1-10, no
//! `per_page`, no `Link`; the body is `{"results":[...],"total":N}`.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Req, ok};
use crate::clock::parse_iso;
use crate::emulator::Emulator;
use crate::emulator::error::ApiError;
use crate::emulator::fields::{CustomField, CustomKind};
use crate::emulator::query::Query;
use crate::emulator::records::TicketRec;
use crate::emulator::search::{self, Expr, Kind, Val};
use crate::emulator::shape::{self, Embeds};
use crate::emulator::validate::{INVALID_VALUE, MISSING};
use crate::freshdesk::types::Contact;

const PER_PAGE: usize = 30;
const MAX_PAGE: usize = 10;
const MAX_QUERY_CHARS: usize = 512;
const INVALID_QUERY: &str = "Given query is invalid, expected format \"keyword:value  OPERATOR keyword:'string' ...\". Space is mandatory between key/value pair and operator. Please check the paranthesis if there are any.";

/// `GET /search/tickets`: deleted and spam tickets are never found.
pub(super) async fn tickets(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    let defs = &emu.cfg().custom_fields;
    let (expr, page) = parse_request(&ctx, |f| ticket_kind(f, defs))?;
    let inner = emu.lock();
    let world = &inner.world;
    let mut found: Vec<&TicketRec> = world
        .tickets
        .iter()
        .filter(|t| !t.is_locked())
        .filter(|t| search::matches(&expr, &|f: &str| ticket_value(t, f, defs)))
        .collect();
    found.sort_by(|a, b| {
        b.created_ms
            .cmp(&a.created_ms)
            .then(b.wire.id.cmp(&a.wire.id))
    });
    let e = Embeds {
        description: true,
        ..Embeds::default()
    };
    let total = found.len();
    let results: Vec<Value> = page_of(found, page)
        .map(|t| shape::ticket_list_item(t, world, e))
        .collect();
    Ok(ok(&json!({"results": results, "total": total})))
}

/// `GET /search/contacts`: deleted contacts are never found.
pub(super) async fn contacts(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    let (expr, page) = parse_request(&ctx, contact_kind)?;
    let inner = emu.lock();
    let mut found: Vec<&Contact> = inner
        .world
        .contacts
        .values()
        .filter(|c| c.deleted != Some(true))
        .filter(|c| search::matches(&expr, &|f: &str| contact_value(c, f)))
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let total = found.len();
    let results: Vec<Value> = page_of(found, page).map(shape::contact_item).collect();
    Ok(ok(&json!({"results": results, "total": total})))
}

fn page_of<T>(items: Vec<T>, page: usize) -> impl Iterator<Item = T> {
    items.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE)
}

/// The checked `query` and `page` parameters.
fn parse_request(
    ctx: &Req,
    kind_of: impl Fn(&str) -> Option<Kind>,
) -> Result<(Expr, usize), ApiError> {
    let mut q = Query::parse(ctx, &["query", "page"])?;
    let page = match q.get("page").map(|p| p.trim().parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => {
            let msg = "It should be a Positive Integer less than or equal to 10";
            q.push("page", msg, INVALID_VALUE);
            1
        }
    };
    let expr = match q.get("query").map(str::to_owned) {
        None => Err(("It should be a/an String".to_owned(), MISSING)),
        Some(raw) => parse_query(&raw, kind_of),
    };
    let expr = expr.map_err(|(msg, code)| q.push("query", msg, code)).ok();
    q.finish()?;
    // Unreachable: a missing expression always pushed an error above.
    expr.map(|e| (e, page)).ok_or(ApiError::NotFound)
}

/// `"<expression>"` (the double quotes are part of the value), at most 512
/// characters inside them; the error message and code otherwise.
fn parse_query(
    raw: &str,
    kind_of: impl Fn(&str) -> Option<Kind>,
) -> Result<Expr, (String, &'static str)> {
    let invalid = || (INVALID_QUERY.to_owned(), INVALID_VALUE);
    let text = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|_| raw.len() >= 2)
        .ok_or_else(invalid)?;
    let n = text.chars().count();
    if n > MAX_QUERY_CHARS {
        let msg =
            format!("Has {n} characters, it can have maximum of {MAX_QUERY_CHARS} characters");
        return Err((msg, INVALID_VALUE));
    }
    search::parse(text, kind_of).map_err(|_| invalid())
}

fn ticket_kind(field: &str, defs: &[CustomField]) -> Option<Kind> {
    match field {
        "priority" | "status" | "group_id" | "agent_id" => Some(Kind::Int),
        "created_at" | "updated_at" | "due_by" | "fr_due_by" | "nr_due_by" => Some(Kind::Date),
        "type" => Some(Kind::Str),
        "tag" => Some(Kind::Tags),
        _ => match &defs.iter().find(|d| d.name == field)?.kind {
            CustomKind::Text | CustomKind::Paragraph | CustomKind::Dropdown(_) => Some(Kind::Str),
            CustomKind::Number => Some(Kind::Int),
            CustomKind::Checkbox => Some(Kind::Bool),
            CustomKind::Date => Some(Kind::Date),
            CustomKind::Decimal => None,
        },
    }
}

fn ticket_value(t: &TicketRec, field: &str, defs: &[CustomField]) -> Option<Val> {
    let w = &t.wire;
    let date = |s: &Option<String>| Val::Date(s.as_deref().and_then(parse_iso));
    Some(match field {
        "priority" => Val::Int(Some(w.priority)),
        "status" => Val::Int(Some(w.status)),
        "group_id" => Val::Int(w.group_id),
        "agent_id" => Val::Int(w.responder_id),
        "created_at" => Val::Date(Some(t.created_ms)),
        "updated_at" => Val::Date(Some(t.updated_ms)),
        "due_by" => date(&w.due_by),
        "fr_due_by" => date(&w.fr_due_by),
        "nr_due_by" => Val::Date(None),
        "type" => Val::Str(w.ticket_type.clone()),
        "tag" => Val::Tags(w.tags.clone().unwrap_or_default()),
        _ => {
            let v = w
                .custom_fields
                .as_ref()?
                .get(field)
                .cloned()
                .unwrap_or(Value::Null);
            match ticket_kind(field, defs)? {
                Kind::Int => Val::Int(v.as_i64()),
                Kind::Bool => Val::Bool(v.as_bool()),
                Kind::Date => Val::Date(v.as_str().and_then(parse_iso)),
                _ => Val::Str(v.as_str().map(str::to_owned)),
            }
        }
    })
}

fn contact_kind(field: &str) -> Option<Kind> {
    match field {
        "email" | "mobile" | "phone" | "twitter_id" | "language" | "time_zone" => Some(Kind::Str),
        "company_id" => Some(Kind::Int),
        "active" => Some(Kind::Bool),
        "tag" => Some(Kind::Tags),
        "created_at" | "updated_at" => Some(Kind::Date),
        _ => None,
    }
}

fn contact_value(c: &Contact, field: &str) -> Option<Val> {
    let s = |v: &Option<String>| Val::Str(v.clone());
    Some(match field {
        "email" => s(&c.email),
        "mobile" => s(&c.mobile),
        "phone" => s(&c.phone),
        "twitter_id" => s(&c.twitter_id),
        "language" => s(&c.language),
        "time_zone" => s(&c.time_zone),
        "company_id" => Val::Int(c.company_id),
        "active" => Val::Bool(Some(c.active)),
        "tag" => Val::Tags(c.tags.clone().unwrap_or_default()),
        "created_at" => Val::Date(c.created_at.as_deref().and_then(parse_iso)),
        "updated_at" => Val::Date(c.updated_at.as_deref().and_then(parse_iso)),
        _ => return None,
    })
}
