//! Agents and groups (freshdesk-api.md §2.1, §6.5).

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;

use super::{Req, no_query, ok, parse_id};
use crate::emulator::Emulator;
use crate::emulator::error::ApiError;
use crate::emulator::query::{Query, list_response, paginate};
use crate::emulator::shape;
use crate::freshdesk::types::Agent;

/// `GET /agents`: filters `email`, `phone`, `mobile`, `state`; sorted by name.
pub(super) async fn list_agents(
    State(emu): State<Emulator>,
    ctx: Req,
) -> Result<Response, ApiError> {
    let mut q = Query::parse(
        &ctx,
        &["email", "phone", "mobile", "state", "page", "per_page"],
    )?;
    let email = q.get("email").map(|e| e.trim().to_lowercase());
    let phone = q.get("phone").map(str::to_owned);
    let mobile = q.get("mobile").map(str::to_owned);
    let state = q.word("state", &["fulltime", "occasional"], "fulltime,occasional");
    let page = q.page_req();
    q.finish()?;
    let matches = |a: &&Agent| {
        let c = &a.contact;
        email
            .as_ref()
            .is_none_or(|e| c.email.as_ref().map(|x| x.to_lowercase()) == Some(e.clone()))
            && phone.as_ref().is_none_or(|p| c.phone.as_ref() == Some(p))
            && mobile.as_ref().is_none_or(|m| c.mobile.as_ref() == Some(m))
            && state
                .as_deref()
                .is_none_or(|s| a.occasional == (s == "occasional"))
    };
    let inner = emu.lock();
    let mut list: Vec<&Agent> = inner.world.agents.iter().filter(matches).collect();
    list.sort_by(|a, b| a.contact.name.cmp(&b.contact.name).then(a.id.cmp(&b.id)));
    let (rows, more) = paginate(list, page);
    let items = rows.into_iter().map(shape::agent_item).collect();
    Ok(list_response(&ctx, items, more, page))
}

/// `GET /agents/me`: the agent the API key belongs to.
pub(super) async fn me(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    no_query(&ctx)?;
    let inner = emu.lock();
    let a = inner.world.owner().ok_or(ApiError::NotFound)?;
    Ok(ok(&shape::agent_full(a)))
}

/// `GET /agents/{id}` (the agent's user id).
pub(super) async fn show_agent(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let inner = emu.lock();
    let a = inner.world.agent(id).ok_or(ApiError::NotFound)?;
    Ok(ok(&shape::agent_full(a)))
}

/// `GET /groups`, paged.
pub(super) async fn list_groups(
    State(emu): State<Emulator>,
    ctx: Req,
) -> Result<Response, ApiError> {
    let mut q = Query::parse(&ctx, &["page", "per_page"])?;
    let page = q.page_req();
    q.finish()?;
    let inner = emu.lock();
    let (rows, more) = paginate(inner.world.groups.iter().collect(), page);
    let items: Vec<Value> = rows.into_iter().map(shape::group_item).collect();
    Ok(list_response(&ctx, items, more, page))
}

/// `GET /groups/{id}` (adds `agent_ids`).
pub(super) async fn show_group(
    State(emu): State<Emulator>,
    ctx: Req,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    no_query(&ctx)?;
    let inner = emu.lock();
    let g = inner.world.group(id).ok_or(ApiError::NotFound)?;
    Ok(ok(&shape::group_full(g)))
}
