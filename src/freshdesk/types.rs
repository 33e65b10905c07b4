//! Wire types of the Freshdesk v2 API, shared by the client and the emulator.
//!
//! Response types are tolerant: unknown fields are ignored (Freshdesk keeps adding
//! them), nullable fields are `Option`, and arrays that old accounts send as `null`
//! are `Option<Vec<_>>`. Every id is `i64`: only ticket display ids are small.
//! Timestamps stay strings (`YYYY-MM-DDTHH:MM:SSZ`); callers parse what they need.
//!
//! Request types serialize only the fields that are set, because Freshdesk answers
//! any unexpected key with 400 `invalid_field`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::bodies::*;
pub use super::ticket_bodies::*;

/// Ticket status ids (freshdesk-api.md §6.3).
pub mod status {
    pub const OPEN: i64 = 2;
    pub const PENDING: i64 = 3;
    pub const RESOLVED: i64 = 4;
    pub const CLOSED: i64 = 5;
}

/// Conversation `source` ids (freshdesk-api.md §2.6).
pub mod conversation_source {
    pub const EMAIL: i64 = 0;
    pub const NOTE: i64 = 2;
}

/// Conversation `category` ids (freshdesk-api.md §2.6).
pub mod conversation_category {
    pub const CUSTOMER_RESPONSE: i64 = 1;
    pub const AGENT_PRIVATE_RESPONSE: i64 = 2;
    pub const AGENT_PUBLIC_RESPONSE: i64 = 3;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub twitter_id: Option<String>,
    #[serde(default)]
    pub facebook_id: Option<String>,
    #[serde(default)]
    pub company_id: Option<i64>,
    #[serde(default)]
    pub unique_external_id: Option<String>,
    #[serde(default)]
    pub custom_fields: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_emails: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(default)]
    pub csat_rating: Option<i64>,
    #[serde(default)]
    pub preferred_source: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// The person behind an agent record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentContact {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub last_login_at: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// The agent's user id: the id used as `responder_id` and `user_id`.
    pub id: i64,
    #[serde(default)]
    pub available: bool,
    #[serde(default)]
    pub occasional: bool,
    #[serde(default)]
    pub ticket_scope: Option<i64>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default, rename = "type")]
    pub agent_type: Option<String>,
    #[serde(default)]
    pub last_active_at: Option<String>,
    #[serde(default)]
    pub available_since: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    pub contact: AgentContact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_ids: Option<Vec<i64>>,
}

/// `auto_ticket_assign` is `0`/`1` in real data and a boolean in older clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrBool {
    Int(i64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub escalate_to: Option<i64>,
    #[serde(default)]
    pub unassigned_for: Option<String>,
    #[serde(default)]
    pub business_hour_id: Option<i64>,
    #[serde(default)]
    pub group_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_ticket_assign: Option<IntOrBool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_ids: Option<Vec<i64>>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `requester` embed of a ticket (`include=requester`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRequester {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// `stats` embed of a ticket (`include=stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketStats {
    #[serde(default)]
    pub agent_responded_at: Option<String>,
    #[serde(default)]
    pub requester_responded_at: Option<String>,
    #[serde(default)]
    pub first_responded_at: Option<String>,
    #[serde(default)]
    pub status_updated_at: Option<String>,
    #[serde(default)]
    pub reopened_at: Option<String>,
    #[serde(default)]
    pub resolved_at: Option<String>,
    #[serde(default)]
    pub closed_at: Option<String>,
    #[serde(default)]
    pub pending_since: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// The per-account display id (small, counting up from 1).
    pub id: i64,
    pub subject: String,
    pub status: i64,
    pub priority: i64,
    #[serde(default)]
    pub source: Option<i64>,
    #[serde(default)]
    pub requester_id: Option<i64>,
    #[serde(default)]
    pub responder_id: Option<i64>,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default)]
    pub company_id: Option<i64>,
    #[serde(default)]
    pub email_config_id: Option<i64>,
    #[serde(default)]
    pub product_id: Option<i64>,
    #[serde(default, rename = "type")]
    pub ticket_type: Option<String>,
    #[serde(default)]
    pub cc_emails: Option<Vec<String>>,
    #[serde(default)]
    pub fwd_emails: Option<Vec<String>>,
    #[serde(default)]
    pub reply_cc_emails: Option<Vec<String>>,
    #[serde(default)]
    pub ticket_cc_emails: Option<Vec<String>>,
    #[serde(default)]
    pub to_emails: Option<Vec<String>>,
    #[serde(default)]
    pub fr_escalated: bool,
    #[serde(default)]
    pub is_escalated: bool,
    #[serde(default)]
    pub spam: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(default)]
    pub association_type: Option<i64>,
    #[serde(default)]
    pub due_by: Option<String>,
    #[serde(default)]
    pub fr_due_by: Option<String>,
    /// Absent from list items unless `include=description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_text: Option<String>,
    #[serde(default)]
    pub custom_fields: Option<Value>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Value>>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<TicketRequester>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<TicketStats>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversations: Option<Vec<Conversation>>,
}

/// A reply, note or incoming message on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: i64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_text: Option<String>,
    #[serde(default)]
    pub incoming: Option<bool>,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub support_email: Option<String>,
    #[serde(default)]
    pub source: Option<i64>,
    #[serde(default)]
    pub category: Option<i64>,
    #[serde(default)]
    pub to_emails: Option<Vec<String>>,
    #[serde(default)]
    pub from_email: Option<String>,
    #[serde(default)]
    pub cc_emails: Option<Vec<String>>,
    #[serde(default)]
    pub bcc_emails: Option<Vec<String>>,
    #[serde(default)]
    pub ticket_id: Option<i64>,
    #[serde(default)]
    pub attachments: Option<Vec<Value>>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeEntry {
    pub id: i64,
    #[serde(default)]
    pub billable: bool,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub timer_running: bool,
    #[serde(default)]
    pub agent_id: Option<i64>,
    #[serde(default)]
    pub ticket_id: Option<i64>,
    #[serde(default)]
    pub company_id: Option<i64>,
    #[serde(default)]
    pub time_spent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_spent_in_seconds: Option<i64>,
    #[serde(default)]
    pub executed_at: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketField {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub required_for_closure: bool,
    #[serde(default)]
    pub required_for_agents: bool,
    #[serde(default)]
    pub required_for_customers: bool,
    #[serde(default, rename = "type")]
    pub field_type: Option<String>,
    #[serde(default)]
    pub default: bool,
    /// A list of strings for most fields, a map (name → id, or id → names) for
    /// status, priority, source, group and agent.
    #[serde(default)]
    pub choices: Option<Value>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// `GET /search/tickets` and `GET /search/contacts`: one page of at most 30
/// results and the number of matches in all pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults<T> {
    pub results: Vec<T>,
    #[serde(default)]
    pub total: i64,
}

/// The 202 answer of `POST /tickets/bulk_update`: where to watch the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRef {
    pub job_id: String,
    #[serde(default)]
    pub href: Option<String>,
}

/// `GET /jobs/{id}`: `QUEUED`, `IN_PROGRESS`, then `SUCCESS`, `PARTIAL` or
/// `FAILED` with one entry a record in `data`. The per-item shape is not
/// documented, so it stays raw JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<Value>>,
}
