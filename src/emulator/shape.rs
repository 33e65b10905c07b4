//! The exact JSON each endpoint answers with. Records are serialized from the
//! wire types in `freshdesk::types`, then given the keys that endpoint adds or
//! leaves out in real responses (freshdesk-api.md §2.6, §6.2-§6.5, and the
//! records in `fixtures/freshdesk/`).

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::records::TicketRec;
use super::state::World;
use crate::freshdesk::types::{Agent, Contact, Conversation, Group, Ticket, TicketRequester};

/// Which embeds a ticket response carries (`include=...`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Embeds {
    pub conversations: bool,
    pub requester: bool,
    pub company: bool,
    pub stats: bool,
    pub sla_policy: bool,
    /// Lists only: keep `description`/`description_text`.
    pub description: bool,
}

/// At most this many conversations are embedded in a ticket view.
const EMBEDDED_CONVERSATIONS: usize = 10;

fn object<T: Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A ticket as create, update and view return it (no embeds): the wire
/// record itself, serialized straight to the body (the hot path of a GET).
pub(crate) fn ticket(rec: &TicketRec) -> &Ticket {
    &rec.wire
}

/// `GET /tickets/{id}` with its embeds (without any, use [`ticket`]).
pub(crate) fn ticket_view(rec: &TicketRec, world: &World, e: Embeds) -> Value {
    let mut map = object(&rec.wire);
    add_embeds(&mut map, rec, world, e);
    if e.conversations {
        let list = rec.conversations_oldest_first();
        let items = list.iter().take(EMBEDDED_CONVERSATIONS).map(conversation);
        map.insert("conversations".into(), Value::Array(items.collect()));
    }
    if e.sla_policy {
        map.insert("sla_policy".into(), sla_policy());
    }
    Value::Object(map)
}

/// A `GET /tickets` item: no attachments, no description unless included,
/// plus the list-only keys real list items carry.
pub(crate) fn ticket_list_item(rec: &TicketRec, world: &World, e: Embeds) -> Value {
    let mut map = object(&rec.wire);
    map.remove("attachments");
    if !e.description {
        map.remove("description");
        map.remove("description_text");
    }
    map.insert("support_email".into(), Value::Null);
    map.insert("associated_tickets_count".into(), Value::Null);
    map.insert("nr_due_by".into(), Value::Null);
    map.insert("nr_escalated".into(), Value::Bool(false));
    add_embeds(&mut map, rec, world, e);
    Value::Object(map)
}

fn add_embeds(map: &mut Map<String, Value>, rec: &TicketRec, world: &World, e: Embeds) {
    if e.requester {
        let user = rec.wire.requester_id.and_then(|id| world.user(id));
        let requester = user.map(|u| TicketRequester {
            id: u.id,
            name: Some(u.name),
            email: u.email,
            mobile: u.mobile,
            phone: u.phone,
        });
        map.insert("requester".into(), json!(requester));
    }
    if e.stats {
        map.insert("stats".into(), json!(rec.stats));
    }
    if e.company {
        // No companies in this account: Freshdesk sends `{}` then.
        map.insert("company".into(), json!({}));
    }
}

/// The account's default SLA policy, as far as its shape is known. Its id
/// is the one id below the range handed out to records.
fn sla_policy() -> Value {
    json!({
        "id": super::seed::ID_BASE,
        "name": "Default SLA Policy",
        "description": "default policy",
        "active": true,
        "is_default": true,
        "position": 1,
    })
}

/// A conversation as the list (and the ticket embed) returns it.
pub(crate) fn conversation(c: &Conversation) -> Value {
    let mut map = object(c);
    for key in [
        "email_failure_count",
        "outgoing_failures",
        "thread_id",
        "thread_message_id",
        "last_edited_at",
        "last_edited_user_id",
        "automation_id",
        "automation_type_id",
        "source_additional_info",
    ] {
        map.insert(key.into(), Value::Null);
    }
    map.insert("auto_response".into(), Value::Bool(false));
    Value::Object(map)
}

/// Keeps only `keys` (in a 201 conversation response).
fn only(c: &Conversation, keys: &[&str]) -> Value {
    let mut map = object(c);
    map.retain(|k, _| keys.contains(&k.as_str()));
    Value::Object(map)
}

/// The 201 body of `POST /tickets/{id}/reply` (no incoming/private/source).
pub(crate) fn reply_created(c: &Conversation) -> Value {
    let keys = [
        "id",
        "user_id",
        "from_email",
        "cc_emails",
        "bcc_emails",
        "body",
        "body_text",
        "ticket_id",
        "to_emails",
        "attachments",
        "created_at",
        "updated_at",
    ];
    let mut v = only(c, &keys);
    if let Some(map) = v.as_object_mut() {
        map.insert("source_additional_info".into(), Value::Null);
    }
    v
}

/// The 201 body of `POST /tickets/{id}/notes`.
pub(crate) fn note_created(c: &Conversation) -> Value {
    let keys = [
        "id",
        "incoming",
        "private",
        "user_id",
        "support_email",
        "ticket_id",
        "to_emails",
        "created_at",
        "updated_at",
        "attachments",
        "body",
        "body_text",
    ];
    only(c, &keys)
}

/// A contact as list items show it (no `tags`/`other_emails`).
pub(crate) fn contact_item(c: &Contact) -> Value {
    let mut map = object(c);
    map.remove("tags");
    map.remove("other_emails");
    add_contact_extras(&mut map);
    Value::Object(map)
}

/// A contact as show and create return it.
pub(crate) fn contact_full(c: &Contact) -> Value {
    let mut map = object(c);
    add_contact_extras(&mut map);
    Value::Object(map)
}

fn add_contact_extras(map: &mut Map<String, Value>) {
    map.insert("twitter_profile_status".into(), Value::Bool(false));
    map.insert("twitter_followers_count".into(), Value::Null);
}

/// An agent as list items show it.
pub(crate) fn agent_item(a: &Agent) -> Value {
    let mut map = object(a);
    map.remove("group_ids");
    Value::Object(map)
}

/// An agent as show and `/agents/me` return it.
pub(crate) fn agent_full(a: &Agent) -> Value {
    let mut map = object(a);
    map.insert(
        "group_ids".into(),
        json!(a.group_ids.clone().unwrap_or_default()),
    );
    map.insert("role_ids".into(), json!([]));
    map.insert("skill_ids".into(), json!([]));
    Value::Object(map)
}

/// A group as list items show it (show adds `agent_ids`).
pub(crate) fn group_item(g: &Group) -> Value {
    let mut map = object(g);
    map.remove("agent_ids");
    Value::Object(map)
}

pub(crate) fn group_full(g: &Group) -> Value {
    let mut map = object(g);
    map.insert(
        "agent_ids".into(),
        json!(g.agent_ids.clone().unwrap_or_default()),
    );
    Value::Object(map)
}

/// A plain-text copy of HTML: tags dropped, `<br>` and block ends become line
/// breaks, common entities decoded, blank runs collapsed.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open].replace('\n', " "));
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        if breaks_line(&tag) {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(&rest.replace('\n', " "));
    tidy(&decode_entities(&out))
}

fn breaks_line(tag: &str) -> bool {
    let name = tag
        .trim_end_matches('/')
        .split_whitespace()
        .next()
        .unwrap_or("");
    let closers = [
        "/p",
        "/div",
        "/li",
        "/tr",
        "/h1",
        "/h2",
        "/h3",
        "/h4",
        "/blockquote",
    ];
    name == "br" || closers.contains(&name)
}

fn decode_entities(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Trims each line, collapses spaces, keeps at most one blank line in a row.
fn tidy(s: &str) -> String {
    let lines: Vec<String> = s
        .split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut out: Vec<&str> = Vec::new();
    for line in &lines {
        let blank_run = line.is_empty() && out.last().is_some_and(|l| l.is_empty());
        if !blank_run {
            out.push(line);
        }
    }
    out.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text_like_freshdesks_description_text() {
        let html = "I was charged.<br><br> Thanks,<br> Owen";
        assert_eq!(html_to_text(html), "I was charged.\n\nThanks,\nOwen");
        let html = "<div dir=\"ltr\"><p>Fish &amp; chips</p><p>2 &lt; 3</p></div>";
        assert_eq!(html_to_text(html), "Fish & chips\n2 < 3");
        assert_eq!(html_to_text("plain"), "plain");
        assert_eq!(html_to_text("a<br><br><br><br>b"), "a\n\nb");
        assert_eq!(html_to_text("broken <b"), "broken <b");
    }
}
