//! Ticket create/update bodies: allowed keys, JSON types, required fields and
//! value ranges (freshdesk-api.md §2.2, §2.3). References to other records
//! are checked later, under the lock, in `tickets.rs`.

use serde_json::{Map, Value};

use crate::clock::UnixMs;
use crate::emulator::error::ApiError;
use crate::emulator::fields::{CustomField, check_custom_fields};
use crate::emulator::validate::{
    Body, Checker, INVALID_VALUE, MISSING, id_list, one_of, reject_unknown_keys_of,
};
use crate::freshdesk::types::status;

pub(crate) const STATUSES: &[i64] = &[2, 3, 4, 5, 6, 7];
pub(crate) const PRIORITIES: &[i64] = &[1, 2, 3, 4];
/// Forum (4), Outbound Email (10), Bot (12) and WhatsApp (13) are refused on create.
const CREATE_SOURCES: &[i64] = &[1, 2, 3, 5, 6, 7, 8, 9, 11];
/// On update a source cannot become 5, 6 or 13; Bot (12) is allowed.
const UPDATE_SOURCES: &[i64] = &[1, 2, 3, 7, 8, 9, 11, 12];
pub(crate) const TYPES: &[&str] = &[
    "Question",
    "Incident",
    "Problem",
    "Feature Request",
    "Refund",
];
/// Statuses that stop the SLA timer: no due dates with them.
const SLA_STOPPED: &[i64] = &[3, 4, 5, 6];
const SUBJECT_MAX: usize = 255;
const TEXT_MAX: usize = 1 << 20;

/// Body keys create and update share (freshdesk-api.md §2.2, §2.3).
const TICKET_KEYS: &[&str] = &[
    "description",
    "due_by",
    "email_config_id",
    "fr_due_by",
    "group_id",
    "internal_group_id",
    "priority",
    "email",
    "phone",
    "twitter_id",
    "facebook_id",
    "requester_id",
    "name",
    "responder_id",
    "internal_agent_id",
    "source",
    "status",
    "subject",
    "type",
    "product_id",
    "company_id",
    "parent_id",
    "unique_external_id",
    "tags",
    "bcc_emails",
    "attachments",
    "related_ticket_ids",
    "custom_fields",
];
/// Create also takes `cc_emails`.
const CREATE_ONLY_KEYS: &[&str] = &["cc_emails"];
/// Update also takes `skip_close_notification` (and no `cc_emails`).
const UPDATE_ONLY_KEYS: &[&str] = &["skip_close_notification"];
/// Features this account does not have (shared ownership, multiple
/// companies, unique external ids, parent-child tickets).
const INACCESSIBLE: &[&str] = &[
    "internal_group_id",
    "internal_agent_id",
    "company_id",
    "unique_external_id",
    "parent_id",
    "related_ticket_ids",
];

/// Who the requester is, as the body names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequesterRef {
    Id(i64),
    Email(String),
    Phone(String),
    TwitterId(String),
    FacebookId(String),
}

/// The ticket fields of a body, checked for type and range.
#[derive(Debug, Clone, Default)]
pub(crate) struct TicketInput {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub status: Option<i64>,
    pub priority: Option<i64>,
    pub source: Option<i64>,
    pub ticket_type: Option<Option<String>>,
    pub requester: Option<RequesterRef>,
    pub name: Option<String>,
    pub responder_id: Option<Option<i64>>,
    pub group_id: Option<Option<i64>>,
    pub email_config_id: Option<Option<i64>>,
    pub product_id: Option<Option<i64>>,
    pub tags: Option<Vec<String>>,
    pub cc_emails: Option<Vec<String>>,
    pub due: Option<(UnixMs, UnixMs)>,
    /// Checked values of the `custom_fields` sent (decimals as strings).
    pub custom_fields: Option<Map<String, Value>>,
}

/// `POST /tickets`. Without `relaxed`, status and priority are required.
pub(crate) fn parse_create(
    body: &Body,
    relaxed: bool,
    defs: &[CustomField],
    now: UnixMs,
) -> Result<TicketInput, ApiError> {
    reject_unknown_keys_of(body, &[TICKET_KEYS, CREATE_ONLY_KEYS])?;
    let mut c = Checker::new(body);
    let mut input = common(&mut c, CREATE_SOURCES, defs);
    input.subject = c.required_string("subject", SUBJECT_MAX);
    input.description = c.required_string("description", TEXT_MAX);
    if !relaxed {
        c.require("status", &one_of(&id_list(STATUSES)));
        c.require("priority", &one_of(&id_list(PRIORITIES)));
    }
    input.cc_emails = c.email_array("cc_emails", 49);
    let named = [
        "requester_id",
        "phone",
        "email",
        "twitter_id",
        "facebook_id",
    ];
    if !named.iter().any(|k| c.has(k)) {
        let msg =
            "Please fill at least 1 of requester_id, phone, email, twitter_id, facebook_id fields";
        c.push("requester_id", msg, MISSING);
    }
    let status = input.status.unwrap_or(status::OPEN);
    input.due = due_dates(&mut c, Some(status), now);
    c.finish()?;
    Ok(input)
}

/// `PUT /tickets/{id}`. The caller has already refused an empty body.
pub(crate) fn parse_update(
    body: &Body,
    defs: &[CustomField],
    now: UnixMs,
) -> Result<TicketInput, ApiError> {
    reject_unknown_keys_of(body, &[TICKET_KEYS, UPDATE_ONLY_KEYS])?;
    let mut c = Checker::new(body);
    let mut input = common(&mut c, UPDATE_SOURCES, defs);
    input.subject = c.non_blank_string("subject", SUBJECT_MAX);
    input.description = c.non_blank_string("description", TEXT_MAX);
    let closing = matches!(input.status, Some(status::RESOLVED | status::CLOSED));
    if c.boolean("skip_close_notification").is_some() && !closing {
        let msg = "It can be set only when the status is changed to Resolved or Closed";
        c.push("skip_close_notification", msg, "incompatible_field");
    }
    input.due = due_dates(&mut c, input.status, now);
    c.finish()?;
    Ok(input)
}

/// The fields create and update share.
fn common(c: &mut Checker, sources: &[i64], defs: &[CustomField]) -> TicketInput {
    let mut input = TicketInput {
        status: c.choice("status", STATUSES),
        priority: c.choice("priority", PRIORITIES),
        source: c.choice("source", sources),
        ticket_type: ticket_type(c),
        requester: requester(c),
        name: c.non_blank_string("name", 255),
        responder_id: c.nullable_pos_int("responder_id"),
        group_id: c.nullable_pos_int("group_id"),
        email_config_id: c.nullable_pos_int("email_config_id"),
        product_id: c.nullable_pos_int("product_id"),
        tags: c.tags("tags"),
        ..TicketInput::default()
    };
    c.email_array("bcc_emails", 49);
    input.custom_fields = check_custom_fields(c, defs);
    c.no_attachments("attachments");
    for key in INACCESSIBLE {
        c.inaccessible(key);
    }
    input
}

/// `type`: one of the account's ticket types, or null.
fn ticket_type(c: &mut Checker) -> Option<Option<String>> {
    let t = c.nullable_string("type", 255)?;
    match t {
        Some(name) if !TYPES.contains(&name.as_str()) => {
            c.push("type", one_of(&TYPES.join(",")), INVALID_VALUE);
            None
        }
        other => Some(other),
    }
}

/// The first requester identity given, in Freshdesk's order of precedence.
fn requester(c: &mut Checker) -> Option<RequesterRef> {
    let id = c.pos_int("requester_id").map(RequesterRef::Id);
    let email = c.email("email").map(RequesterRef::Email);
    let phone = c.non_blank_string("phone", 255).map(RequesterRef::Phone);
    let twitter = c
        .non_blank_string("twitter_id", 255)
        .map(RequesterRef::TwitterId);
    let facebook = c
        .non_blank_string("facebook_id", 255)
        .map(RequesterRef::FacebookId);
    id.or(email).or(phone).or(twitter).or(facebook)
}

/// `due_by` and `fr_due_by`: together, in the future, `fr_due_by <= due_by`,
/// and not with a status that stops the SLA timer.
fn due_dates(c: &mut Checker, status: Option<i64>, now: UnixMs) -> Option<(UnixMs, UnixMs)> {
    let due = c.datetime("due_by");
    let fr = c.datetime("fr_due_by");
    match (c.has("due_by"), c.has("fr_due_by")) {
        (false, false) => return None,
        (true, false) => c.push("fr_due_by", "It should be given along with due_by", MISSING),
        (false, true) => c.push("due_by", "It should be given along with fr_due_by", MISSING),
        (true, true) => {}
    }
    let (due, fr) = (due?, fr?);
    if status.is_some_and(|s| SLA_STOPPED.contains(&s)) {
        let msg =
            "It cannot be set when the status is Pending, Resolved, Closed or Waiting on Customer";
        c.push("due_by", msg, "incompatible_field");
        return None;
    }
    if due <= now || fr <= now {
        let field = if due <= now { "due_by" } else { "fr_due_by" };
        c.push(
            field,
            "It should be a date after the creation time",
            INVALID_VALUE,
        );
        return None;
    }
    if fr > due {
        c.push(
            "fr_due_by",
            "It should be a date before or the same as due_by",
            INVALID_VALUE,
        );
        return None;
    }
    Some((due, fr))
}
