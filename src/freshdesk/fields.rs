//! `GET /ticket_fields` and the mapping of friendly names to `cf_*` custom fields
//! (gotcha 9): custom fields go by their `cf_` API name, dropdown values must be one
//! of the choices exactly, and fields "required for closure" make a resolve or close
//! fail unless they are set.

use serde_json::{Map, Value};

use super::budget::Lane;
use super::client::{Call, Client};
use super::error::Error;
use super::types::TicketField;

/// Default fields the daemon always sets when it creates a ticket, so that their
/// being required for closure does not stop the close step.
const SET_BY_THE_DAEMON: &[&str] = &[
    "requester",
    "subject",
    "description",
    "status",
    "priority",
    "source",
    "ticket_type",
    "agent",
];

/// The account's ticket fields, with the questions ticketsim asks of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketFields {
    fields: Vec<TicketField>,
}

impl TicketFields {
    pub fn new(fields: Vec<TicketField>) -> TicketFields {
        TicketFields { fields }
    }

    pub fn all(&self) -> &[TicketField] {
        &self.fields
    }

    pub fn get(&self, name: &str) -> Option<&TicketField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The account's own fields (`cf_*`).
    pub fn custom(&self) -> impl Iterator<Item = &TicketField> {
        self.fields
            .iter()
            .filter(|f| !f.default || f.name.starts_with("cf_"))
    }

    /// Fields that must have a value before a ticket can be resolved or closed.
    pub fn required_for_closure(&self) -> impl Iterator<Item = &TicketField> {
        self.fields.iter().filter(|f| f.required_for_closure)
    }

    /// Fields required for closure that the daemon does not set: each makes its
    /// resolve step fail with `missing_field`.
    pub fn blocking_closure(&self) -> Vec<&TicketField> {
        self.required_for_closure()
            .filter(|f| !SET_BY_THE_DAEMON.contains(&f.name.as_str()))
            .collect()
    }

    /// The choices of a dropdown-like field (list choices, or the names of a map).
    pub fn choices(&self, name: &str) -> Option<Vec<String>> {
        let choices = self.get(name)?.choices.as_ref()?;
        match choices {
            Value::Array(items) => Some(
                items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                    .collect(),
            ),
            Value::Object(map) => Some(map.keys().cloned().collect()),
            _ => None,
        }
    }
}

/// Friendly names for custom fields, e.g. `order_id=cf_order_id,plan=cf_plan`
/// (the value of `TICKETSIM_CUSTOM_FIELDS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomFieldMap {
    entries: Vec<(String, String)>,
}

impl CustomFieldMap {
    /// Parses `friendly=cf_name` pairs separated by commas; the message says what
    /// is wrong with which pair.
    pub fn parse(text: &str) -> Result<CustomFieldMap, String> {
        let mut entries: Vec<(String, String)> = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((friendly, cf)) = pair.split_once('=') else {
                return Err(format!("\"{pair}\" is not name=cf_name"));
            };
            let (friendly, cf) = (friendly.trim(), cf.trim());
            let word =
                |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !word(friendly) {
                return Err(format!(
                    "\"{friendly}\" is not a name (letters, digits and _)"
                ));
            }
            if !cf.starts_with("cf_") || !word(cf) {
                return Err(format!(
                    "\"{cf}\" is not a custom field's API name (it starts with cf_; see GET /api/v2/ticket_fields)"
                ));
            }
            if entries.iter().any(|(f, _)| f == friendly) {
                return Err(format!("\"{friendly}\" is mapped twice"));
            }
            entries.push((friendly.to_string(), cf.to_string()));
        }
        Ok(CustomFieldMap { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(friendly, cf_name)` pairs in configuration order.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    pub fn cf_name(&self, friendly: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(f, _)| f == friendly)
            .map(|(_, cf)| cf.as_str())
    }

    /// Every mapped `cf_` name must be a custom field of this account.
    pub fn validate(&self, fields: &TicketFields) -> Result<(), Error> {
        for (friendly, cf) in &self.entries {
            if fields.custom().all(|f| f.name != *cf) {
                let known: Vec<&str> = fields.custom().map(|f| f.name.as_str()).collect();
                let known = if known.is_empty() {
                    "the account has no custom ticket fields".to_string()
                } else {
                    format!("known: {}", known.join(", "))
                };
                return Err(Error::Invalid(format!(
                    "{friendly}={cf}: {cf} is not a custom ticket field of this helpdesk ({known})"
                )));
            }
        }
        Ok(())
    }

    /// `custom_fields` for a create or update, from friendly names and values,
    /// checked against the fields' types and dropdown choices.
    pub fn values(
        &self,
        fields: &TicketFields,
        values: &[(&str, Value)],
    ) -> Result<Map<String, Value>, Error> {
        let mut out = Map::new();
        for (friendly, value) in values {
            let cf = self.cf_name(friendly).ok_or_else(|| {
                Error::Invalid(format!(
                    "\"{friendly}\" is not a mapped custom field (add {friendly}=cf_... to the mapping)"
                ))
            })?;
            let field = fields.get(cf).ok_or_else(|| {
                Error::Invalid(format!(
                    "{friendly}={cf}: {cf} is not a ticket field of this helpdesk"
                ))
            })?;
            check_value(fields, field, friendly, value)?;
            out.insert(cf.to_string(), value.clone());
        }
        Ok(out)
    }
}

/// Freshdesk's type rules for custom field values (api §2.2).
fn check_value(
    fields: &TicketFields,
    field: &TicketField,
    friendly: &str,
    value: &Value,
) -> Result<(), Error> {
    let kind = field.field_type.as_deref().unwrap_or("");
    let cf = &field.name;
    let expected = match kind {
        "custom_number" if !value.is_i64() => Some("a whole number"),
        "custom_decimal" if !(value.is_number() || value.is_string()) => Some("a number"),
        "custom_checkbox" if !value.is_boolean() => Some("true or false"),
        "custom_date" if !value.as_str().is_some_and(is_day) => Some("a date yyyy-mm-dd"),
        "custom_text" | "custom_paragraph" if !value.is_string() => Some("a string"),
        _ => None,
    };
    if let Some(expected) = expected {
        return Err(Error::Invalid(format!(
            "{friendly} ({cf}): {value} is not {expected}"
        )));
    }
    if kind == "custom_dropdown"
        && let Some(choices) = fields.choices(cf)
        && !value
            .as_str()
            .is_some_and(|v| choices.iter().any(|c| c == v))
    {
        return Err(Error::Invalid(format!(
            "{friendly} ({cf}): {value} is not one of the choices: {}",
            choices.join(", ")
        )));
    }
    Ok(())
}

fn is_day(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

impl Client {
    /// `GET /ticket_fields`: default and custom fields, their dropdown choices and
    /// which are required for closure.
    #[tracing::instrument(skip(self))]
    pub async fn list_ticket_fields(&self) -> Result<TicketFields, Error> {
        let fields: Vec<TicketField> = self.fetch(Call::get("ticket_fields", Lane::New)).await?;
        Ok(TicketFields::new(fields))
    }
}
