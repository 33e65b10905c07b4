//! The account's custom ticket fields: their definitions (from the config or
//! `--custom-field`), the strict per-type checking of `custom_fields`, and the
//! "required for closure" rule (freshdesk-api.md §2.2, §2.3, §6.1, §8.9).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::field_error;
use super::validate::{Body, Checker, DATATYPE, INVALID_FIELD, INVALID_VALUE, MISSING, UNEXPECTED};
use crate::freshdesk::types::FieldError;

/// The kinds of custom field Freshdesk has, with their JSON value types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "choices")]
pub enum CustomKind {
    /// A string of at most 255 characters.
    Text,
    /// A string of any length.
    Paragraph,
    /// A JSON integer.
    Number,
    /// A JSON number; answered as a string (`"2.34"`), as Freshdesk does.
    Decimal,
    /// A JSON boolean.
    Checkbox,
    /// A `yyyy-mm-dd` string.
    Date,
    /// Exactly one of the choices.
    Dropdown(Vec<String>),
}

/// One custom ticket field, e.g. `cf_order_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    /// The API name; always starts with `cf_`.
    pub name: String,
    pub label: String,
    pub kind: CustomKind,
    /// Moving a ticket to Resolved or Closed needs a value for this field.
    #[serde(default)]
    pub required_for_closure: bool,
}

impl CustomField {
    /// `custom_text`, `custom_dropdown`, ...: the `type` in `GET /ticket_fields`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            CustomKind::Text => "custom_text",
            CustomKind::Paragraph => "custom_paragraph",
            CustomKind::Number => "custom_number",
            CustomKind::Decimal => "custom_decimal",
            CustomKind::Checkbox => "custom_checkbox",
            CustomKind::Date => "custom_date",
            CustomKind::Dropdown(_) => "custom_dropdown",
        }
    }

    /// The message naming the value this field expects.
    fn expected(&self) -> String {
        match &self.kind {
            CustomKind::Text | CustomKind::Paragraph => "It should be a/an String".into(),
            CustomKind::Number => "It should be a/an Integer".into(),
            CustomKind::Decimal => "It should be a/an Number".into(),
            CustomKind::Checkbox => "It should be a/an Boolean".into(),
            CustomKind::Date => "It should be a valid date in the 'yyyy-mm-dd' format".into(),
            CustomKind::Dropdown(choices) => super::validate::one_of(&choices.join(",")),
        }
    }

    /// The stored value for `v`, or the error Freshdesk gives. `null` clears.
    fn check(&self, v: &Value) -> Result<Value, (String, &'static str)> {
        if v.is_null() {
            return Ok(Value::Null);
        }
        let mismatch = || {
            Err((
                super::validate::mismatch_message(v, &self.expected()),
                DATATYPE,
            ))
        };
        match (&self.kind, v) {
            (CustomKind::Text, Value::String(s)) if s.chars().count() > 255 => {
                let n = s.chars().count();
                let msg = format!("Has {n} characters, it can have maximum of 255 characters");
                Err((msg, INVALID_VALUE))
            }
            (CustomKind::Text | CustomKind::Paragraph, Value::String(_)) => Ok(v.clone()),
            (CustomKind::Number, Value::Number(n)) if n.is_i64() => Ok(v.clone()),
            (CustomKind::Decimal, Value::Number(n)) => Ok(Value::String(n.to_string())),
            (CustomKind::Decimal, Value::String(s)) if s.trim().parse::<f64>().is_ok() => {
                Ok(Value::String(s.trim().to_owned()))
            }
            (CustomKind::Checkbox, Value::Bool(_)) => Ok(v.clone()),
            (CustomKind::Date, Value::String(s)) => {
                match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(_) => Ok(v.clone()),
                    Err(_) => Err((self.expected(), INVALID_VALUE)),
                }
            }
            (CustomKind::Dropdown(choices), Value::String(s)) => {
                if choices.contains(s) {
                    Ok(v.clone())
                } else {
                    Err((self.expected(), INVALID_VALUE))
                }
            }
            _ => mismatch(),
        }
    }
}

/// `custom_fields` of a ticket body: every key must be a field of the
/// account and every value of its type. Returns the values to store.
pub(crate) fn check_custom_fields(
    c: &mut Checker,
    defs: &[CustomField],
) -> Option<Map<String, Value>> {
    let obj: &Body = c.object("custom_fields")?;
    let mut out = Map::new();
    let mut ok = true;
    for (name, v) in obj {
        let field = format!("custom_fields.{name}");
        let Some(def) = defs.iter().find(|d| d.name == *name) else {
            c.push(&field, UNEXPECTED, INVALID_FIELD);
            ok = false;
            continue;
        };
        match def.check(v) {
            Ok(value) => {
                out.insert(name.clone(), value);
            }
            Err((msg, code)) => {
                c.push(&field, msg, code);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Every field of the account, `null` when unset, with `set` merged in key
/// by key (`current` holds what the ticket had).
pub(crate) fn merged(
    defs: &[CustomField],
    current: Option<&Value>,
    set: &Map<String, Value>,
) -> Value {
    let mut out = Map::new();
    for d in defs {
        let old = current.and_then(|c| c.get(&d.name)).cloned();
        let v = set.get(&d.name).cloned().or(old).unwrap_or(Value::Null);
        out.insert(d.name.clone(), v);
    }
    Value::Object(out)
}

/// `missing_field` for each required-for-closure field left empty when a
/// ticket moves to Resolved (4) or Closed (5).
pub(crate) fn closure_errors(defs: &[CustomField], values: &Value) -> Vec<FieldError> {
    defs.iter()
        .filter(|d| d.required_for_closure)
        .filter(|d| values.get(&d.name).is_none_or(Value::is_null))
        .map(|d| field_error(&format!("custom_fields.{}", d.name), d.expected(), MISSING))
        .collect()
}

/// Why a `--custom-field` spec was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFieldSpec(String);

impl fmt::Display for BadFieldSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadFieldSpec {}

/// `cf_name:type[:choice1|choice2|...]`, type one of text, paragraph, number,
/// decimal, checkbox, date, dropdown (which needs its choices).
impl FromStr for CustomField {
    type Err = BadFieldSpec;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let bad =
            |why: &str| BadFieldSpec(format!("{spec:?}: {why}; expected cf_name:type[:a|b|c]"));
        let mut parts = spec.splitn(3, ':');
        let name = parts.next().unwrap_or("").trim();
        let valid_name = name.len() > 3
            && name.starts_with("cf_")
            && name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if !valid_name {
            return Err(bad(
                "the name must start with cf_ and use only a-z, 0-9 and _",
            ));
        }
        let kind = match (parts.next().map(str::trim), parts.next()) {
            (Some("text"), None) => CustomKind::Text,
            (Some("paragraph"), None) => CustomKind::Paragraph,
            (Some("number"), None) => CustomKind::Number,
            (Some("decimal"), None) => CustomKind::Decimal,
            (Some("checkbox"), None) => CustomKind::Checkbox,
            (Some("date"), None) => CustomKind::Date,
            (Some("dropdown"), Some(list)) => {
                let choices: Vec<String> = list.split('|').map(|c| c.trim().to_owned()).collect();
                if choices.iter().any(String::is_empty) {
                    return Err(bad("a dropdown choice is empty"));
                }
                CustomKind::Dropdown(choices)
            }
            (Some("dropdown"), None) => return Err(bad("a dropdown needs its choices")),
            (Some(_), Some(_)) => return Err(bad("only a dropdown takes choices")),
            _ => {
                return Err(bad(
                    "unknown type (text, paragraph, number, decimal, checkbox, date, dropdown)",
                ));
            }
        };
        Ok(CustomField {
            name: name.to_owned(),
            label: label_of(name),
            kind,
            required_for_closure: false,
        })
    }
}

/// `cf_order_id` → `Order id`.
fn label_of(name: &str) -> String {
    let words = name.trim_start_matches("cf_").replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_specs_parse_into_typed_fields_or_say_what_is_wrong() {
        let f: CustomField = "cf_plan:dropdown:Free|Pro".parse().unwrap();
        assert_eq!(
            f.kind,
            CustomKind::Dropdown(vec!["Free".into(), "Pro".into()])
        );
        assert_eq!(f.label, "Plan");
        let f: CustomField = "cf_order_id:number".parse().unwrap();
        assert_eq!((f.kind, f.label.as_str()), (CustomKind::Number, "Order id"));
        for bad in [
            "plan:text",
            "cf_x:colour",
            "cf_x:dropdown",
            "cf_x:text:a",
            "cf_X:text",
        ] {
            let err = bad.parse::<CustomField>().unwrap_err().to_string();
            assert!(err.contains(bad) && err.contains("cf_name:type"), "{err}");
        }
    }

    #[test]
    fn values_are_checked_per_type_and_decimals_become_strings() {
        let f = |spec: &str| spec.parse::<CustomField>().unwrap();
        assert_eq!(
            f("cf_d:decimal").check(&serde_json::json!(2.5)),
            Ok(Value::from("2.5"))
        );
        assert!(f("cf_n:number").check(&serde_json::json!(2.5)).is_err());
        assert!(f("cf_day:date").check(&Value::from("2024-02-30")).is_err());
        assert!(f("cf_c:checkbox").check(&Value::from("true")).is_err());
        assert_eq!(f("cf_c:checkbox").check(&Value::Null), Ok(Value::Null));
    }
}
