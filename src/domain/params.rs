//! What a step does beyond its kind: the values a playbook fixed for it when the
//! lifecycle was planned. Stored as JSON in `steps.params`, so a step is performed
//! exactly as planned after any restart.

use serde::{Deserialize, Serialize};

/// The parameters of one step. Every field is a concrete value (never "raise by
/// one" or "another group"): those are resolved once, at plan time, which makes the
/// updates set-style and safe to repeat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepParams {
    /// Status to set: the whole step for `status`, after the message for replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// Priority to set (1 low ..= 4 urgent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// Group to move the ticket to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    /// Agent to assign the ticket to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responder_id: Option<i64>,
    /// The ticket's full tag list after the step (Freshdesk replaces the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Minutes of work logged by a time entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
    /// Whether the time entry is billable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    /// The agent a time entry is logged for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<i64>,
    /// The time entry's note (plain text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl StepParams {
    /// True when nothing is set (classic steps store no parameters).
    pub fn is_empty(&self) -> bool {
        *self == StepParams::default()
    }

    /// A status-only parameter set.
    pub fn status(status: i64) -> StepParams {
        StepParams {
            status: Some(status),
            ..Default::default()
        }
    }

    /// `"0:25"`: Freshdesk's `hh:mm` form of the logged minutes.
    pub fn time_spent(&self) -> Option<String> {
        self.minutes
            .map(|m| format!("{:02}:{:02}", m.max(0) / 60, m.max(0) % 60))
    }

    /// One short line for `show` and the demo, e.g. `status 3`, `group 5, agent 7`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("status {s}"));
        }
        if let Some(p) = self.priority {
            parts.push(format!("priority {p}"));
        }
        if let Some(g) = self.group_id {
            parts.push(format!("group {g}"));
        }
        if let Some(r) = self.responder_id {
            parts.push(format!("agent {r}"));
        }
        if let Some(t) = &self.tags {
            parts.push(format!("tags {}", t.join(",")));
        }
        if let Some(t) = self.time_spent() {
            let billable = if self.billable == Some(false) {
                " non-billable"
            } else {
                ""
            };
            parts.push(format!("time {t}{billable}"));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_params_serialize_to_an_empty_object_and_back() {
        let p = StepParams::default();
        assert!(p.is_empty());
        assert_eq!(serde_json::to_string(&p).unwrap(), "{}");
        let back: StepParams = serde_json::from_str("{}").unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn time_is_written_the_way_freshdesk_wants_it() {
        let p = StepParams {
            minutes: Some(95),
            ..Default::default()
        };
        assert_eq!(p.time_spent().as_deref(), Some("01:35"));
        assert_eq!(p.summary(), "time 01:35");
    }

    #[test]
    fn unknown_keys_in_stored_params_are_refused() {
        assert!(serde_json::from_str::<StepParams>(r#"{"stauts":3}"#).is_err());
    }

    #[test]
    fn the_summary_names_every_value_set() {
        let p = StepParams {
            group_id: Some(5),
            responder_id: Some(7),
            priority: Some(3),
            ..Default::default()
        };
        assert_eq!(p.summary(), "priority 3, group 5, agent 7");
    }
}
