//! Request bodies of the actions beyond the daemon's lifecycle, and the small
//! response types that go with them (re-exported from [`super::types`]).
//!
//! Like the bodies in `types.rs`, each serializes only the fields that are set:
//! Freshdesk answers any unexpected or `null` key it does not take with 400.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::Error;
use super::types::Contact;

/// Body of `POST /tickets/{id}/notes` with every field Freshdesk takes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub body: String,
    /// Freshdesk's default is `true` (a private note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
    /// Shows the note as having come from outside (a customer message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming: Option<bool>,
    /// Who the note is posted as; another user than the key's agent needs the
    /// assume-identity feature and a manage-users key (else 403 `invalid_user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// Agent addresses to notify (Freshdesk accepts only agents' emails).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notify_emails: Vec<String>,
}

impl Note {
    /// A private note by the key's agent.
    pub fn private(body: impl Into<String>) -> Note {
        Note {
            body: body.into(),
            private: Some(true),
            ..Note::default()
        }
    }

    /// A public message posted as the customer (`user_id` = the requester).
    pub fn from_customer(body: impl Into<String>, contact_id: i64) -> Note {
        Note {
            body: body.into(),
            private: Some(false),
            incoming: Some(true),
            user_id: Some(contact_id),
            ..Note::default()
        }
    }
}

/// Body of `POST /tickets/{id}/reply` with every field Freshdesk takes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub body: String,
    /// Must be an active support address of the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_email: Option<String>,
    /// The agent the reply is sent as; defaults to the key's agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub cc_emails: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub bcc_emails: Vec<String>,
}

/// Body of `POST /contacts`: a name and at least one of email, phone, mobile,
/// twitter_id or unique_external_id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewContact {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twitter_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub other_emails: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Map<String, Value>>,
}

impl NewContact {
    /// Whether a repeat of this create is answered with 409 and the existing id,
    /// which makes re-sending it after an uncertain outcome safe.
    pub(crate) fn has_unique_key(&self) -> bool {
        self.email.is_some() || self.twitter_id.is_some() || self.unique_external_id.is_some()
    }
}

/// Body of `PUT /contacts/{id}`: only the fields that are set are changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Map<String, Value>>,
}

/// What `create_contact` found: a new contact, or the one that already had the
/// email (Freshdesk's 409 names it in `additional_info.user_id`).
#[derive(Debug, Clone, PartialEq)]
pub enum CreatedContact {
    Created(Box<Contact>),
    Existing { id: i64 },
}

impl CreatedContact {
    pub fn id(&self) -> i64 {
        match self {
            CreatedContact::Created(c) => c.id,
            CreatedContact::Existing { id } => *id,
        }
    }

    pub fn was_created(&self) -> bool {
        matches!(self, CreatedContact::Created(_))
    }
}

/// Time spent, as Freshdesk wants it: `"hh:mm"` with minutes below 60.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeSpent(String);

impl TimeSpent {
    pub fn from_minutes(minutes: u32) -> TimeSpent {
        TimeSpent(format!("{:02}:{:02}", minutes / 60, minutes % 60))
    }

    /// Checks `"h:mm"`/`"hh:mm"` (minutes 00-59) before anything is sent.
    pub fn parse(text: &str) -> Result<TimeSpent, Error> {
        let bad = || {
            Error::Invalid(format!(
                "time spent \"{text}\" is not in the \"hh:mm\" format (e.g. \"01:30\")"
            ))
        };
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || m.len() != 2 || !digits(m) || m > "59" || h.len() > 4 {
            return Err(bad());
        }
        Ok(TimeSpent(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Body of `POST /tickets/{id}/time_entries`. Leaving `time_spent` out starts a
/// timer, which is rarely what a script wants; [`NewTimeEntry::spent`] sets it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewTimeEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_spent: Option<TimeSpent>,
    /// Freshdesk's default is `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Another agent than the key's needs the "edit time entries" privilege.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<i64>,
    /// ISO 8601; defaults to now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timer_running: Option<bool>,
}

impl NewTimeEntry {
    pub fn spent(time_spent: TimeSpent) -> NewTimeEntry {
        NewTimeEntry {
            time_spent: Some(time_spent),
            ..NewTimeEntry::default()
        }
    }
}

/// What `GET /tickets/{id}?include=` can embed (each costs one more credit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketInclude {
    /// Up to 10 conversations, oldest first.
    Conversations,
    Requester,
    Company,
    Stats,
    SlaPolicy,
}

impl TicketInclude {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketInclude::Conversations => "conversations",
            TicketInclude::Requester => "requester",
            TicketInclude::Company => "company",
            TicketInclude::Stats => "stats",
            TicketInclude::SlaPolicy => "sla_policy",
        }
    }
}

/// Body of `POST /tickets/bulk_update`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkUpdate {
    /// 1 to 100 ticket ids.
    pub ids: Vec<i64>,
    pub properties: super::types::UpdateTicket,
    /// A reply sent on every ticket; makes the call unsafe to repeat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<BulkReply>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkReply {
    pub body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_email: Option<String>,
}

/// The 202 answer of a bulk action: the job to poll, or (older accounts) the
/// result at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BulkAccepted {
    Job {
        job_id: String,
        #[serde(default)]
        href: Option<String>,
    },
    Done {
        #[serde(default)]
        succeeded: Vec<i64>,
        #[serde(default)]
        failed: Vec<Value>,
    },
}

impl super::types::Job {
    /// Whether the job has stopped running (successfully or not).
    pub fn is_finished(&self) -> bool {
        !matches!(
            self.status.to_ascii_uppercase().as_str(),
            "QUEUED" | "IN_PROGRESS" | "PENDING" | "RUNNING"
        )
    }
}

/// One ticket's result in a finished job. Its exact shape is not documented, so
/// everything beyond the id is kept as it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobItem {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Value>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The result of a bulk update after its job finished.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOutcome {
    pub job_id: Option<String>,
    /// `SUCCESS`, `PARTIAL` or `FAILED` (or `SUCCESS` for the immediate form).
    pub status: String,
    pub items: Vec<JobItem>,
}
