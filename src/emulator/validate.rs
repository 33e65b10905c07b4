//! Strict checking of JSON request bodies, with Freshdesk's codes and messages
//! (freshdesk-api.md §2.2, §3.1).
//!
//! A [`Checker`] reads typed values out of a body and collects every error it
//! meets, so that one response lists all of them, as Freshdesk's does. Each
//! getter returns `None` when the key is absent or its value was refused.

use serde_json::{Map, Value};

use super::error::{ApiError, field_error};
use crate::clock::{UnixMs, parse_iso};
use crate::freshdesk::types::FieldError;

/// A JSON object body.
pub(crate) type Body = Map<String, Value>;

pub(crate) const MISSING: &str = "missing_field";
pub(crate) const INVALID_VALUE: &str = "invalid_value";
pub(crate) const DATATYPE: &str = "datatype_mismatch";
pub(crate) const INVALID_FIELD: &str = "invalid_field";
pub(crate) const INACCESSIBLE: &str = "inaccessible_field";

pub(crate) const UNEXPECTED: &str = "Unexpected/invalid field in request";
pub(crate) const BLANK: &str = "It should not be blank as this is a mandatory field";
pub(crate) const NO_PERMISSION: &str = "Cannot be set, due to insufficient permissions.";
pub(crate) const BAD_EMAIL: &str = "It should be in the 'valid email address' format";
pub(crate) const BAD_DATE: &str =
    "It should be a valid date in the 'combined date and time ISO8601' format";
pub(crate) const POSITIVE_INTEGER: &str = "Positive Integer";

/// `"It should be one of these values: '2,3,4'"`.
pub(crate) fn one_of(list: &str) -> String {
    format!("It should be one of these values: '{list}'")
}

/// `2,3,4,5,6,7` from a slice of ids.
pub(crate) fn id_list(values: &[i64]) -> String {
    let parts: Vec<String> = values.iter().map(i64::to_string).collect();
    parts.join(",")
}

/// The name Freshdesk gives a JSON value's type in "Value set is of type X".
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_f64() => "Float",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "key/value pair",
    }
}

/// The `datatype_mismatch` message for `v` where `expected` was wanted.
/// `expected` is a full tail such as "It should be a/an String".
pub(crate) fn mismatch_message(v: &Value, expected: &str) -> String {
    if v.is_null() {
        expected.to_owned()
    } else {
        format!("Value set is of type {}.{expected}", type_name(v))
    }
}

/// 400 `invalid_field` for every key of `body` not in `allowed`, in key order.
pub(crate) fn reject_unknown_keys(body: &Body, allowed: &[&str]) -> Result<(), ApiError> {
    reject_unknown_keys_of(body, &[allowed])
}

/// [`reject_unknown_keys`] with the allowed keys given as several lists.
pub(crate) fn reject_unknown_keys_of(body: &Body, allowed: &[&[&str]]) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = body
        .keys()
        .filter(|k| !allowed.iter().any(|list| list.contains(&k.as_str())))
        .map(|k| field_error(k, UNEXPECTED, INVALID_FIELD))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A plausible email address: `local@domain.tld`, no spaces.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// The address part of `"Name" <addr>`, or the whole (trimmed) string.
pub(crate) fn bare_address(s: &str) -> &str {
    let s = s.trim();
    match (s.rfind('<'), s.ends_with('>')) {
        (Some(open), true) => s[open + 1..s.len() - 1].trim(),
        _ => s,
    }
}

/// An address as cc lists allow it: bare, or `"Name" <addr>`.
pub(crate) fn address_of(s: &str) -> Option<&str> {
    let addr = bare_address(s);
    is_email(addr).then_some(addr)
}

/// Reads typed values out of a body, collecting errors.
pub(crate) struct Checker<'a> {
    body: &'a Body,
    errors: Vec<FieldError>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(body: &'a Body) -> Self {
        Self {
            body,
            errors: Vec::new(),
        }
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.body.contains_key(key)
    }

    /// The raw value of `key`, for checks this type has no getter for.
    pub(crate) fn raw(&self, key: &str) -> Option<&'a Value> {
        self.body.get(key)
    }

    /// A `datatype_mismatch` for `key` whose value is not `expected`.
    pub(crate) fn push_mismatch(&mut self, key: &str, expected: &str) {
        if let Some(v) = self.body.get(key) {
            self.mismatch(key, v, expected);
        }
    }

    pub(crate) fn push(&mut self, field: &str, message: impl Into<String>, code: &str) {
        self.errors.push(field_error(field, message, code));
    }

    /// All errors so far as one 400/409 response.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    fn mismatch(&mut self, key: &str, v: &Value, expected: &str) {
        self.push(key, mismatch_message(v, expected), DATATYPE);
    }

    /// A string of at most `max` characters.
    pub(crate) fn string(&mut self, key: &str, max: usize) -> Option<String> {
        let v = self.body.get(key)?;
        let Some(s) = v.as_str() else {
            self.mismatch(key, v, "It should be a/an String");
            return None;
        };
        let len = s.chars().count();
        if len > max {
            let msg = format!("Has {len} characters, it can have maximum of {max} characters");
            self.push(key, msg, INVALID_VALUE);
            return None;
        }
        Some(s.to_owned())
    }

    /// A string that must be sent and must not be blank.
    pub(crate) fn required_string(&mut self, key: &str, max: usize) -> Option<String> {
        if !self.has(key) {
            self.push(key, "It should be a/an String", MISSING);
            return None;
        }
        self.non_blank_string(key, max)
    }

    /// A string that, when sent, must not be blank.
    pub(crate) fn non_blank_string(&mut self, key: &str, max: usize) -> Option<String> {
        let s = self.string(key, max)?;
        if s.trim().is_empty() {
            self.push(key, BLANK, INVALID_VALUE);
            return None;
        }
        Some(s)
    }

    /// A string or `null` (`Some(None)`).
    pub(crate) fn nullable_string(&mut self, key: &str, max: usize) -> Option<Option<String>> {
        match self.body.get(key)? {
            Value::Null => Some(None),
            _ => self.string(key, max).map(Some),
        }
    }

    /// An integer from a fixed set (status, priority, source).
    pub(crate) fn choice(&mut self, key: &str, allowed: &[i64]) -> Option<i64> {
        let v = self.body.get(key)?;
        let expected = one_of(&id_list(allowed));
        let Some(n) = v.as_i64() else {
            self.mismatch(key, v, &expected);
            return None;
        };
        if !allowed.contains(&n) {
            self.push(key, expected, INVALID_VALUE);
            return None;
        }
        Some(n)
    }

    /// `missing_field` with `message` when `key` was not sent.
    pub(crate) fn require(&mut self, key: &str, message: &str) {
        if !self.has(key) {
            self.push(key, message, MISSING);
        }
    }

    /// A positive integer (an id).
    pub(crate) fn pos_int(&mut self, key: &str) -> Option<i64> {
        let v = self.body.get(key)?;
        let expected = format!("It should be a/an {POSITIVE_INTEGER}");
        match v.as_i64() {
            Some(n) if n > 0 => Some(n),
            Some(_) => {
                self.push(key, expected, DATATYPE);
                None
            }
            None => {
                self.mismatch(key, v, &expected);
                None
            }
        }
    }

    /// A positive integer or `null` (`Some(None)`), e.g. unassigning.
    pub(crate) fn nullable_pos_int(&mut self, key: &str) -> Option<Option<i64>> {
        match self.body.get(key)? {
            Value::Null => Some(None),
            _ => self.pos_int(key).map(Some),
        }
    }

    pub(crate) fn boolean(&mut self, key: &str) -> Option<bool> {
        let v = self.body.get(key)?;
        let b = v.as_bool();
        if b.is_none() {
            self.mismatch(key, v, "It should be a/an Boolean");
        }
        b
    }

    /// A bare email address.
    pub(crate) fn email(&mut self, key: &str) -> Option<String> {
        let s = self.string(key, 255)?;
        if !is_email(s.trim()) {
            self.push(key, BAD_EMAIL, INVALID_VALUE);
            return None;
        }
        Some(s.trim().to_owned())
    }

    /// An ISO 8601 date-time.
    pub(crate) fn datetime(&mut self, key: &str) -> Option<UnixMs> {
        let v = self.body.get(key)?;
        let Some(s) = v.as_str() else {
            self.mismatch(key, v, "It should be a/an String");
            return None;
        };
        let parsed = parse_iso(s);
        if parsed.is_none() {
            self.push(key, BAD_DATE, INVALID_VALUE);
        }
        parsed
    }

    /// A JSON object.
    pub(crate) fn object(&mut self, key: &str) -> Option<&'a Body> {
        let v = self.body.get(key)?;
        let obj = v.as_object();
        if obj.is_none() {
            self.mismatch(key, v, "It should be a/an key/value pair");
        }
        obj
    }

    /// A field this account cannot set (a plan feature it lacks).
    pub(crate) fn inaccessible(&mut self, key: &str) {
        if self.has(key) {
            self.push(key, NO_PERMISSION, INACCESSIBLE);
        }
    }

    /// An array of strings with at most `max_items` elements.
    pub(crate) fn string_array(&mut self, key: &str, max_items: usize) -> Option<Vec<String>> {
        let v = self.body.get(key)?;
        let Some(items) = v.as_array() else {
            self.mismatch(key, v, "It should be a/an Array");
            return None;
        };
        let strings: Option<Vec<String>> = items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect();
        let Some(strings) = strings else {
            self.push(
                key,
                "It should contain elements of type String only",
                DATATYPE,
            );
            return None;
        };
        if strings.len() > max_items {
            let n = strings.len();
            let msg = format!("Has {n} elements, it can have maximum of {max_items} elements");
            self.push(key, msg, INVALID_VALUE);
            return None;
        }
        Some(strings)
    }

    /// Tags: strings of at most 32 characters, without commas.
    pub(crate) fn tags(&mut self, key: &str) -> Option<Vec<String>> {
        let tags = self.string_array(key, usize::MAX)?;
        if tags.iter().any(|t| t.chars().count() > 32) {
            let msg = "It should only contain elements that have maximum of 32 characters";
            self.push(key, msg, INVALID_VALUE);
            return None;
        }
        if tags.iter().any(|t| t.contains(',')) {
            self.push(
                key,
                "It should not contain elements that have commas",
                INVALID_VALUE,
            );
            return None;
        }
        Some(tags)
    }

    /// Email addresses (bare or `"Name" <addr>`), at most `max_items`.
    pub(crate) fn email_array(&mut self, key: &str, max_items: usize) -> Option<Vec<String>> {
        let list = self.string_array(key, max_items)?;
        if list.iter().any(|e| address_of(e).is_none()) {
            let msg = "It should contain elements that are in the 'valid email address' format";
            self.push(key, msg, INVALID_VALUE);
            return None;
        }
        Some(list)
    }

    /// `custom_fields`: this account defines none, so any key is unknown.
    pub(crate) fn custom_fields(&mut self, key: &str) {
        let Some(obj) = self.object(key) else {
            return;
        };
        for name in obj.keys() {
            self.push(&format!("{key}.{name}"), UNEXPECTED, INVALID_FIELD);
        }
    }

    /// `attachments` need multipart; in a JSON body only `[]` is harmless.
    pub(crate) fn no_attachments(&mut self, key: &str) {
        let Some(v) = self.body.get(key) else {
            return;
        };
        match v.as_array() {
            Some(items) if items.is_empty() => {}
            Some(_) => {
                let msg = "It should contain elements of type valid file format only";
                self.push(key, msg, DATATYPE);
            }
            None => self.mismatch(key, v, "It should be a/an Array"),
        }
    }
}
