//! `GET /tickets` (freshdesk-api.md §2.4): strict parameters, the 30-day
//! default, deleted and spam hidden, ordering, includes, the 300-page cap.

use std::cmp::Ordering;

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Months};

use super::Req;
use crate::clock::{UnixMs, parse_iso};
use crate::emulator::Emulator;
use crate::emulator::error::ApiError;
use crate::emulator::query::{PageReq, Query, list_response, paginate};
use crate::emulator::records::TicketRec;
use crate::emulator::shape::{self, Embeds};
use crate::emulator::state::World;
use crate::emulator::validate::{INVALID_VALUE, one_of};
use crate::freshdesk::types::status;

const PARAMS: &[&str] = &[
    "filter",
    "company_id",
    "requester_id",
    "email",
    "order_by",
    "order_type",
    "updated_since",
    "include",
    "page",
    "per_page",
];
const FILTERS: &[&str] = &["new_and_my_open", "watching", "spam", "deleted"];
const ORDER_BY: &[&str] = &["created_at", "updated_at", "priority", "status", "due_by"];
const INCLUDES: &[&str] = &["requester", "stats", "company", "description"];
const MAX_PAGE: usize = 300;

/// The checked parameters of one list call.
struct ListParams {
    filter: Option<String>,
    requester_id: Option<i64>,
    email: Option<String>,
    company_id: Option<i64>,
    updated_since: Option<UnixMs>,
    order_by: String,
    descending: bool,
    embeds: Embeds,
    page: PageReq,
}

impl ListParams {
    fn parse(q: &mut Query) -> ListParams {
        let order_type = q.word("order_type", &["asc", "desc"], "asc,desc");
        let p = ListParams {
            filter: q.word("filter", FILTERS, &FILTERS.join(",")),
            requester_id: q.pos_int("requester_id"),
            email: q.email("email"),
            company_id: q.pos_int("company_id"),
            updated_since: q.datetime("updated_since"),
            order_by: q
                .word("order_by", ORDER_BY, &ORDER_BY.join(","))
                .unwrap_or_else(|| "created_at".to_owned()),
            descending: order_type.as_deref() != Some("asc"),
            embeds: list_embeds(q),
            page: q.page_req(),
        };
        if p.page.page > MAX_PAGE {
            let msg = "You cannot access tickets beyond the 300th page. Please provide a smaller page number.";
            q.push("page", msg, INVALID_VALUE);
        }
        p
    }

    /// Without any of these, only tickets created since the start of the
    /// day one month ago are listed.
    fn lifts_default_window(&self) -> bool {
        self.filter.is_some()
            || self.requester_id.is_some()
            || self.email.is_some()
            || self.company_id.is_some()
            || self.updated_since.is_some()
    }
}

fn list_embeds(q: &mut Query) -> Embeds {
    let mut e = Embeds::default();
    let raw = q.get("include").unwrap_or("").to_owned();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name {
            "requester" => e.requester = true,
            "stats" => e.stats = true,
            "company" => e.company = true,
            "description" => e.description = true,
            _ => {
                q.push("include", one_of(&INCLUDES.join(", ")), INVALID_VALUE);
                break;
            }
        }
    }
    e
}

/// `GET /tickets`.
pub(crate) async fn list(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    let mut q = Query::parse(&ctx, PARAMS)?;
    let params = ListParams::parse(&mut q);
    q.finish()?;
    let inner = emu.lock();
    let world = &inner.world;
    let by_email = match params.email.as_deref() {
        None => None,
        Some(e) => Some(world.user_id_by_email(e).ok_or_else(|| {
            ApiError::field(
                "email",
                "There is no contact matching the given email",
                INVALID_VALUE,
            )
        })?),
    };
    let since = (!params.lifts_default_window()).then(|| month_ago_start(ctx.now));
    let mut rows: Vec<&TicketRec> = world
        .tickets
        .iter()
        .filter(|t| matches(t, &params, world, by_email, since))
        .collect();
    rows.sort_by(|a, b| order(a, b, &params.order_by, params.descending));
    let (rows, more) = paginate(rows, params.page);
    let items = rows
        .into_iter()
        .map(|t| shape::ticket_list_item(t, world, params.embeds))
        .collect();
    Ok(list_response(&ctx, items, more, params.page))
}

fn matches(
    t: &TicketRec,
    p: &ListParams,
    world: &World,
    by_email: Option<i64>,
    since: Option<UnixMs>,
) -> bool {
    let w = &t.wire;
    let visible = match p.filter.as_deref() {
        Some("deleted") => t.is_deleted(),
        Some("spam") => w.spam && !t.is_deleted(),
        Some("watching") => false, // nobody watches tickets in this account
        Some(_) => {
            let mine = world.owner().map(|a| a.id);
            !t.is_locked()
                && w.status == status::OPEN
                && (w.responder_id.is_none() || w.responder_id == mine)
        }
        None => !t.is_locked(),
    };
    visible
        && p.requester_id.is_none_or(|r| w.requester_id == Some(r))
        && by_email.is_none_or(|r| w.requester_id == Some(r))
        && p.company_id.is_none_or(|c| w.company_id == Some(c))
        && p.updated_since.is_none_or(|s| t.updated_ms >= s)
        && since.is_none_or(|s| t.created_ms >= s)
}

/// Orders by the chosen key, then by id, in the chosen direction.
fn order(a: &TicketRec, b: &TicketRec, by: &str, descending: bool) -> Ordering {
    let key = |t: &TicketRec| match by {
        "updated_at" => t.updated_ms,
        "priority" => t.wire.priority,
        "status" => t.wire.status,
        "due_by" => t.wire.due_by.as_deref().and_then(parse_iso).unwrap_or(0),
        _ => t.created_ms,
    };
    let ord = key(a).cmp(&key(b)).then(a.wire.id.cmp(&b.wire.id));
    if descending { ord.reverse() } else { ord }
}

/// The start (00:00 UTC) of the day one calendar month before `now`.
pub(crate) fn month_ago_start(now: UnixMs) -> UnixMs {
    let Some(dt) = DateTime::from_timestamp_millis(now) else {
        return 0;
    };
    let today = dt.date_naive();
    let day = today.checked_sub_months(Months::new(1)).unwrap_or(today);
    day.and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().timestamp_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_iso;

    #[test]
    fn the_default_window_starts_at_midnight_one_month_back() {
        let now = parse_iso("2024-03-31T15:20:00Z").unwrap();
        assert_eq!(
            month_ago_start(now),
            parse_iso("2024-02-29T00:00:00Z").unwrap()
        );
    }
}
