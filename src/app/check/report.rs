//! The outcome of `ticketsim check`: one item per question, rendered as text
//! for people or as JSON (`{"success", "message", "platform", "domain", ...}`)
//! for scripts and integration dashboards.

use std::fmt::Write as _;

use serde::Serialize;

use super::probe::Probe;
use super::schedule::ScheduleNeed;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentInfo {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateInfo {
    /// `X-RateLimit-Total`: the plan's requests per minute, account-wide.
    pub plan_per_min: Option<u32>,
    pub remaining: Option<u32>,
    pub configured_per_min: u32,
    /// What the budget will use: the lower of the two.
    pub budget_per_min: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counts {
    pub agents: usize,
    pub active_agents: usize,
    pub contacts: usize,
    pub groups: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldInfo {
    pub name: String,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleInfo {
    pub cron: String,
    #[serde(flatten)]
    pub need: ScheduleNeed,
    pub budget_per_hour: u32,
}

/// Everything `check` found; `success` is true when no item failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    pub success: bool,
    pub message: String,
    pub platform: &'static str,
    pub domain: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub people: Option<Counts>,
    pub closure_blockers: Vec<FieldInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acting_as_customer: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleInfo>,
    pub checks: Vec<Item>,
}

impl CheckReport {
    pub fn new(url: &str) -> CheckReport {
        let domain = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_string();
                Some(u.port().map_or(host.clone(), |p| format!("{host}:{p}")))
            })
            .unwrap_or_else(|| url.to_string());
        CheckReport {
            success: false,
            message: String::new(),
            platform: "freshdesk",
            domain,
            url: url.to_string(),
            agent: None,
            rate_limit: None,
            people: None,
            closure_blockers: Vec::new(),
            acting_as_customer: None,
            schedule: None,
            checks: Vec::new(),
        }
    }

    pub fn push(&mut self, name: &'static str, status: Status, detail: impl Into<String>) {
        self.checks.push(Item {
            name,
            status,
            detail: detail.into(),
        });
    }

    /// Sets `success` and `message` from the items.
    pub fn finish(&mut self) {
        let failures: Vec<&str> = self
            .checks
            .iter()
            .filter(|i| i.status == Status::Fail)
            .map(|i| i.detail.as_str())
            .collect();
        let warnings = self
            .checks
            .iter()
            .filter(|i| i.status == Status::Warn)
            .count();
        self.success = failures.is_empty();
        self.message = if self.success {
            format!(
                "ticketsim can work with {}: {} checks passed, {warnings} warning(s)",
                self.url,
                self.checks.len() - warnings
            )
        } else {
            failures.join("; ")
        };
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            format!(r#"{{"success": false, "message": "cannot encode the report: {e}"}}"#)
        })
    }

    pub fn to_text(&self) -> String {
        let mut out = format!("ticketsim check: {}\n", self.url);
        for item in &self.checks {
            let mark = match item.status {
                Status::Ok => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            let _ = writeln!(out, "  {mark}  {:<23} {}", item.name, item.detail);
        }
        if self.success {
            let _ = writeln!(out, "The daemon would work: {}", self.message);
        } else {
            let _ = writeln!(out, "The daemon would not work: {}", self.message);
        }
        out
    }
}
