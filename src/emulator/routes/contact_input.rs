//! Contact bodies and filters: allowed keys, JSON types, the contact-detail
//! rule and uniqueness (freshdesk-api.md §2.1, §3.3, §6.4).

use serde_json::json;

use crate::clock::{UnixMs, parse_iso};
use crate::emulator::contact_store::ContactPatch;
use crate::emulator::error::{ApiError, field_error};
use crate::emulator::query::Query;
use crate::emulator::state::{NewContact, World};
use crate::emulator::validate::{Body, Checker, INVALID_VALUE, MISSING, reject_unknown_keys};
use crate::freshdesk::types::Contact;

pub(super) const CONTACT_FILTERS: &[&str] = &[
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
const DETAILS: &[&str] = &[
    "email",
    "mobile",
    "phone",
    "twitter_id",
    "unique_external_id",
];

/// The filters of `GET /contacts`.
#[derive(Default)]
pub(super) struct ContactFilter {
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
    pub(super) fn from_query(q: &mut Query) -> ContactFilter {
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

    /// Without `state`, deleted and blocked contacts are left out.
    pub(super) fn matches(&self, c: &Contact, blocked: bool) -> bool {
        let deleted = c.deleted == Some(true);
        let state_ok = match self.state.as_deref() {
            Some("verified") => c.active && !deleted && !blocked,
            Some("unverified") => !c.active && !deleted && !blocked,
            Some("deleted") => deleted,
            Some(_) => blocked,
            None => !deleted && !blocked,
        };
        state_ok && self.details_match(c)
    }

    fn details_match(&self, c: &Contact) -> bool {
        let has_email = |e: &String| {
            let mut all = c.email.iter().chain(c.other_emails.iter().flatten());
            all.any(|x| x.to_lowercase() == *e)
        };
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
        };
        let updated = c.updated_at.as_deref().and_then(parse_iso).unwrap_or(0);
        self.email.as_ref().is_none_or(has_email)
            && same(&self.mobile, &c.mobile)
            && same(&self.phone, &c.phone)
            && same(&self.unique_external_id, &c.unique_external_id)
            && self.company_id.is_none_or(|id| c.company_id == Some(id))
            && self.updated_since.is_none_or(|t| updated >= t)
            && self
                .tag
                .as_ref()
                .is_none_or(|t| c.tags.iter().flatten().any(|x| x == t))
    }
}

/// `POST /contacts`: `name` and one contact detail are required.
pub(super) fn parse_create(body: &Body) -> Result<NewContact, ApiError> {
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
    if !DETAILS.iter().any(|k| c.has(k)) {
        let msg =
            "Please fill at least 1 of email, mobile, phone, twitter_id, unique_external_id fields";
        c.push("email", msg, MISSING);
    }
    common_rules(&mut c);
    c.finish()?;
    Ok(new)
}

/// `PUT /contacts/{id}`: the create fields, none of them required.
pub(super) fn parse_update(body: &Body) -> Result<ContactPatch, ApiError> {
    reject_unknown_keys(body, CONTACT_KEYS)?;
    let mut c = Checker::new(body);
    let patch = ContactPatch {
        name: c.non_blank_string("name", 255),
        email: c.email("email"),
        phone: c.non_blank_string("phone", 255),
        mobile: c.non_blank_string("mobile", 255),
        twitter_id: c.non_blank_string("twitter_id", 255),
        address: c.nullable_string("address", 255),
        description: c.nullable_string("description", 65_535),
        job_title: c.nullable_string("job_title", 255),
        language: c.string("language", 10),
        time_zone: c.string("time_zone", 255),
        tags: c.tags("tags"),
        other_emails: c.email_array("other_emails", 10),
    };
    common_rules(&mut c);
    c.finish()?;
    Ok(patch)
}

/// The rules beyond types: plan features, `active`, companies.
fn common_rules(c: &mut Checker) {
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

/// 409 `duplicate_value` for an email or twitter id another user has;
/// `own_id` is the contact being updated (its own values are no conflict).
pub(super) fn check_unique(
    world: &World,
    email: Option<&String>,
    other_emails: &[String],
    twitter_id: Option<&str>,
    own_id: Option<i64>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let mut conflict = |field: &str, user_id: i64| {
        if Some(user_id) != own_id {
            let mut e = field_error(field, "It should be a unique value", "duplicate_value");
            e.additional_info = Some(json!({ "user_id": user_id }));
            errors.push(e);
        }
    };
    if let Some(id) = email.and_then(|e| world.user_id_by_email(e)) {
        conflict("email", id);
    }
    for id in other_emails
        .iter()
        .filter_map(|e| world.user_id_by_email(e))
    {
        conflict("other_emails", id);
    }
    if let Some(id) = twitter_id.and_then(|t| world.contact_id_by("twitter_id", t)) {
        conflict("twitter_id", id);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}
