//! Bodies of `POST /tickets` and `PUT /tickets/{id}`, and Freshdesk's error
//! bodies (re-exported from [`super::types`]). The request bodies serialize
//! only the fields that are set: Freshdesk answers any unexpected key with 400
//! `invalid_field`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Body of `POST /tickets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateTicket {
    pub subject: String,
    pub description: String,
    pub status: i64,
    pub priority: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<i64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
    /// At most 49 addresses; `"Name" <addr>` is allowed. Never set by the daemon.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub cc_emails: Vec<String>,
    /// Keyed by the `cf_` API name; see [`super::CustomFieldMap`] for friendly names.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub custom_fields: Option<serde_json::Map<String, Value>>,
}

/// Body of `PUT /tickets/{id}`: only the fields that are set are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateTicket {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<String>,
    /// Replaces the whole list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<i64>,
    /// Changes the requester.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub requester_id: Option<i64>,
    /// Merged key by key into the ticket's custom fields.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub custom_fields: Option<serde_json::Map<String, Value>>,
    /// Only together with a change to status 4 or 5.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub skip_close_notification: Option<bool>,
}

/// One entry of a validation error body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<Value>,
}

/// Error body of Freshdesk in all of its three shapes (freshdesk-api.md §3.1):
/// validation (`description` + `errors`), request (`code` + `message`), base (`message`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
