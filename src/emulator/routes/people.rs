//! Contacts, agents and groups (freshdesk-api.md §2.1, §3.3, §6.4, §6.5).

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Req, created, no_query, ok, parse_id};
use crate::clock::{UnixMs, parse_iso};
use crate::emulator::Emulator;
use crate::emulator::error::{ApiError, field_error};
use crate::emulator::query::{Query, list_response, paginate};
use crate::emulator::shape;
use crate::emulator::state::{NewContact, World};
use crate::emulator::validate::{Body, Checker, INVALID_VALUE, MISSING, reject_unknown_keys};
use crate::freshdesk::types::{Agent, Contact};

const CONTACT_FILTERS: &[&str] = &[
    "email",
    "mobile",
    "phone",
    "company_id",
    "state",
    "_updated_since",
    "unique_external_id",
    "tag",
    "page",
    "per_page",
];
const CONTACT_KEYS: &[&str] = &[
    "name",
    "email",
    "phone",
    "mobile",
    "twitter_id",
    "unique_external_id",
    "address",
    "description",
    "job_title",
    "language",
    "time_zone",
    "company_id",
    "view_all_tickets",
    "other_emails",
    "other_companies",
    "tags",
    "custom_fields",
    "avatar",
    "active",
];

/// The filters of `GET /contacts`.
#[derive(Default)]
struct ContactFilter {
    email: Option<String>,
    mobile: Option<String>,
    phone: Option<String>,
    company_id: Option<i64>,
    state: Option<String>,
    updated_since: Option<UnixMs>,
    unique_external_id: Option<String>,
    tag: Option<String>,
}

impl ContactFilter {
    fn from_query(q: &mut Query) -> ContactFilter {
        let states = ["verified", "unverified", "deleted", "blocked"];
        ContactFilter {
            email: q.get("email").map(|e| e.trim().to_lowercase()),
            mobile: q.get("mobile").map(str::to_owned),
            phone: q.get("phone").map(str::to_owned),
            company_id: q.pos_int("company_id"),
            state: q.word("state", &states, "verified,unverified,deleted,blocked"),
            updated_since: q.datetime("_updated_since"),
            unique_external_id: q.get("unique_external_id").map(str::to_owned),
            tag: q.get("tag").map(str::to_owned),
        }
    }

    fn matches(&self, c: &Contact) -> bool {
        let deleted = c.deleted == Some(true);
        let state_ok = match self.state.as_deref() {
            Some("verified") => c.active && !deleted,
            Some("unverified") => !c.active && !deleted,
            Some("deleted") => deleted,
            Some(_) => false, // blocked: nobody is blocked here
            None => !deleted,
        };
        let has_email = |e: &String| {
            let mut all = c.email.iter().chain(c.other_emails.iter().flatten());
            all.any(|x| x.to_lowercase() == *e)
        };
        let updated = c.updated_at.as_deref().and_then(parse_iso).unwrap_or(0);
        state_ok
            && self.email.as_ref().is_none_or(has_email)
            && self
                .mobile
                .as_ref()
                .is_none_or(|m| c.mobile.as_ref() == Some(m))
            && self
                .phone
                .as_ref()
                .is_none_or(|p| c.phone.as_ref() == Some(p))
            && self.company_id.is_none_or(|id| c.company_id == Some(id))
            && self.updated_since.is_none_or(|t| updated >= t)
            && self
                .unique_external_id
                .as_ref()
                .is_none_or(|u| c.unique_external_id.as_ref() == Some(u))
            && self
                .tag
                .as_ref()
                .is_none_or(|t| c.tags.iter().flatten().any(|x| x == t))
    }
}

/// `GET /contacts`: sorted by name, paged.
pub(super) async fn list_contacts(
    State(emu): State<Emulator>,
    ctx: Req,
) -> Result<Response, ApiError> {
    let mut q = Query::parse(&ctx, CONTACT_FILTERS)?;
    let filter = ContactFilter::from_query(&mut q);
    let page = q.page_req();
    q.finish()?;
    let inner = emu.lock();
    let mut list: Vec<&Contact> = inner
        .world
        .contacts
        .values()
        .filter(|c| filter.matches(c))
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let (rows, more) = paginate(list, page);
    let items = rows.into_iter().map(shape::contact_item).collect();
    Ok(list_response(&ctx, items, more, page))
}

/// `GET /contacts/{id}`.
pub(super) async fn show_contact(
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
pub(super) async fn create_contact(
    State(emu): State<Emulator>,
    ctx: Req,
) -> Result<Response, ApiError> {
    let empty = Body::new();
    let body = ctx.body.as_ref().unwrap_or(&empty);
    let new = parse_contact(body)?;
    let mut inner = emu.lock();
    check_unique(&inner.world, &new)?;
    let c = inner.world.insert_contact(new, ctx.now);
    Ok(created(&ctx, "contacts", c.id, &shape::contact_full(&c)))
}

fn parse_contact(body: &Body) -> Result<NewContact, ApiError> {
    reject_unknown_keys(body, CONTACT_KEYS)?;
    let mut c = Checker::new(body);
    let new = NewContact {
        name: c.required_string("name", 255).unwrap_or_default(),
        email: c.email("email"),
        phone: c.string("phone", 255),
        mobile: c.string("mobile", 255),
        twitter_id: c.string("twitter_id", 255),
        facebook_id: None,
        address: c.string("address", 255),
        description: c.string("description", 65_535),
        job_title: c.string("job_title", 255),
        language: c.string("language", 10),
        time_zone: c.string("time_zone", 255),
        tags: c.tags("tags").unwrap_or_default(),
        other_emails: c.email_array("other_emails", 10).unwrap_or_default(),
    };
    contact_rules(&mut c);
    c.finish()?;
    Ok(new)
}

/// The rules beyond types: a contact detail, plan features, `active`.
fn contact_rules(c: &mut Checker) {
    let details = [
        "email",
        "mobile",
        "phone",
        "twitter_id",
        "unique_external_id",
    ];
    if !details.iter().any(|k| c.has(k)) {
        let msg =
            "Please fill at least 1 of email, mobile, phone, twitter_id, unique_external_id fields";
        c.push("email", msg, MISSING);
    }
    for key in ["unique_external_id", "other_companies", "avatar"] {
        c.inaccessible(key);
    }
    if c.boolean("active") == Some(false) {
        let msg = "It should be one of these values: 'true'";
        c.push("active", msg, INVALID_VALUE);
    }
    c.boolean("view_all_tickets");
    c.custom_fields("custom_fields");
    if c.pos_int("company_id").is_some() {
        let msg = "There is no company matching the given company_id";
        c.push("company_id", msg, INVALID_VALUE);
    }
}

/// 409 `duplicate_value` for an email or twitter id already in use.
fn check_unique(world: &World, new: &NewContact) -> Result<(), ApiError> {
    let emails = new.email.iter().chain(new.other_emails.iter());
    let mut errors = Vec::new();
    for (i, email) in emails.enumerate() {
        if let Some(user_id) = world.user_id_by_email(email) {
            let field = if i == 0 && new.email.is_some() {
                "email"
            } else {
                "other_emails"
            };
            let mut e = field_error(field, "It should be a unique value", "duplicate_value");
            e.additional_info = Some(json!({ "user_id": user_id }));
            errors.push(e);
        }
    }
    if let Some(user_id) = new
        .twitter_id
        .as_deref()
        .and_then(|t| world.contact_id_by("twitter_id", t))
    {
        let mut e = field_error(
            "twitter_id",
            "It should be a unique value",
            "duplicate_value",
        );
        e.additional_info = Some(json!({ "user_id": user_id }));
        errors.push(e);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

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
