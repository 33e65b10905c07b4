//! `GET /ticket_fields`: the default fields with their choices, shaped like
//! the real records in `fixtures/freshdesk/ticket_fields.json`, then the
//! account's custom fields (freshdesk-api.md §2.1, §6.3).

use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::ticket_input::TYPES;
use super::{Req, ok};
use crate::emulator::Emulator;
use crate::emulator::error::ApiError;
use crate::emulator::fields::{CustomField, CustomKind};
use crate::emulator::query::Query;
use crate::emulator::seed::ID_BASE;
use crate::emulator::state::World;
use crate::emulator::validate::{INVALID_VALUE, one_of};
use crate::freshdesk::types::TicketField;

/// Field ids sit just below the ids handed out to records.
const FIELD_ID_BASE: i64 = ID_BASE - 1_000;

/// `(name, label, description, required_for_agents, shown to customers)`.
const DEFAULTS: &[(&str, &str, &str, bool, bool)] = &[
    (
        "requester",
        "Search a requester",
        "Ticket requester",
        true,
        true,
    ),
    ("subject", "Subject", "Ticket subject", true, true),
    ("ticket_type", "Type", "Ticket type", false, false),
    ("source", "Source", "Ticket source", false, false),
    ("status", "Status", "Ticket status", true, true),
    ("priority", "Priority", "Ticket priority", true, false),
    ("group", "Group", "Ticket group", false, false),
    ("agent", "Agent", "Agent", false, false),
    (
        "description",
        "Description",
        "Ticket description",
        true,
        true,
    ),
    ("company", "Company", "Ticket Company", true, false),
];

/// Source names by id, as in the real `source` field.
const SOURCES: &[(&str, i64)] = &[
    ("Email", 1),
    ("Portal", 2),
    ("Phone", 3),
    ("Forum", 4),
    ("Twitter", 5),
    ("Facebook", 6),
    ("Chat", 7),
    ("MobiHelp", 8),
    ("Feedback Widget", 9),
    ("Outbound Email", 10),
    ("Ecommerce", 11),
    ("Bot", 12),
    ("Whatsapp", 13),
];

/// `GET /ticket_fields[?type=...]`.
pub(super) async fn list(State(emu): State<Emulator>, ctx: Req) -> Result<Response, ApiError> {
    let mut q = Query::parse(&ctx, &["type"])?;
    let inner = emu.lock();
    let all = all_fields(&inner.world, &emu.cfg().custom_fields);
    let wanted = q.get("type").map(str::to_owned);
    if let Some(t) = &wanted
        && !all.iter().any(|f| f["type"] == t.as_str())
    {
        let types: Vec<&str> = all.iter().filter_map(|f| f["type"].as_str()).collect();
        q.push("type", one_of(&types.join(",")), INVALID_VALUE);
    }
    q.finish()?;
    let items: Vec<Value> = all
        .into_iter()
        .filter(|f| wanted.as_ref().is_none_or(|t| f["type"] == t.as_str()))
        .collect();
    Ok(ok(&Value::Array(items)))
}

/// Default fields first, then custom ones, in `position` order.
fn all_fields(world: &World, custom: &[CustomField]) -> Vec<Value> {
    let at = world
        .groups
        .first()
        .and_then(|g| g.created_at.clone())
        .unwrap_or_default();
    let defaults = DEFAULTS
        .iter()
        .enumerate()
        .map(|(i, d)| default_field(i as i64 + 1, d, world, &at));
    let customs = custom
        .iter()
        .enumerate()
        .map(|(i, cf)| custom_field((DEFAULTS.len() + i) as i64 + 1, cf, &at));
    defaults.chain(customs).collect()
}

fn default_field(
    position: i64,
    (name, label, description, required, shown): &(&str, &str, &str, bool, bool),
    world: &World,
    at: &str,
) -> Value {
    let field = TicketField {
        id: FIELD_ID_BASE + position,
        name: (*name).to_owned(),
        label: Some((*label).to_owned()),
        description: Some((*description).to_owned()),
        position: Some(position),
        required_for_closure: false,
        required_for_agents: *required,
        required_for_customers: *shown && *required,
        field_type: Some(format!("default_{name}")),
        default: true,
        choices: Some(default_choices(name, world)),
        created_at: Some(at.to_owned()),
        updated_at: Some(at.to_owned()),
    };
    with_portal_keys(&field, *shown, label)
}

fn custom_field(position: i64, cf: &CustomField, at: &str) -> Value {
    let choices = match &cf.kind {
        CustomKind::Dropdown(list) => json!(list),
        _ => json!([]),
    };
    let field = TicketField {
        id: FIELD_ID_BASE + position,
        name: cf.name.clone(),
        label: Some(cf.label.clone()),
        description: Some(cf.label.clone()),
        position: Some(position),
        required_for_closure: cf.required_for_closure,
        required_for_agents: false,
        required_for_customers: false,
        field_type: Some(cf.type_name().to_owned()),
        default: false,
        choices: Some(choices),
        created_at: Some(at.to_owned()),
        updated_at: Some(at.to_owned()),
    };
    with_portal_keys(&field, false, &cf.label)
}

/// The wire record plus the customer-portal keys real records carry.
fn with_portal_keys(field: &TicketField, shown: bool, label: &str) -> Value {
    let mut map = match serde_json::to_value(field) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.insert("customers_can_edit".into(), json!(shown));
    map.insert("customers_can_filter".into(), json!(false));
    map.insert("label_for_customers".into(), json!(label));
    map.insert("displayed_to_customers".into(), json!(shown));
    Value::Object(map)
}

/// Choice maps as the real fields have them: types as a list, sources and
/// priorities name → id, statuses id → [agent label, customer label],
/// groups and agents name → id.
fn default_choices(name: &str, world: &World) -> Value {
    match name {
        "ticket_type" => json!(TYPES),
        "source" => Value::Object(
            SOURCES
                .iter()
                .map(|(n, id)| ((*n).into(), json!(id)))
                .collect(),
        ),
        "status" => json!({
            "2": ["Open", "Being Processed"],
            "3": ["Pending", "Awaiting your Reply"],
            "4": ["Resolved", "This ticket has been Resolved"],
            "5": ["Closed", "This ticket has been Closed"],
            "6": ["Waiting on Customer", "Awaiting your Reply"],
            "7": ["Waiting on Third Party", "Being Processed"],
        }),
        "priority" => json!({"Low": 1, "Medium": 2, "High": 3, "Urgent": 4}),
        "group" => {
            let map = world.groups.iter().map(|g| (g.name.clone(), json!(g.id)));
            Value::Object(map.collect())
        }
        "agent" => {
            let map = world
                .agents
                .iter()
                .map(|a| (a.contact.name.clone(), json!(a.id)));
            Value::Object(map.collect())
        }
        _ => json!([]),
    }
}
