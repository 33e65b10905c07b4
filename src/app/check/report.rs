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

/// One question and its answer. `key` is stable for scripts; `name` is prose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub key: &'static str,
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
    /// Told each item as it is decided (the text output streams them).
    #[serde(skip)]
    pub live: Live,
}

/// A function told each item as soon as it is pushed.
#[derive(Clone, Copy, Default)]
pub struct Live(pub Option<fn(&Item)>);

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Live(on)"
        } else {
            "Live(off)"
        })
    }
}

impl PartialEq for Live {
    fn eq(&self, _: &Live) -> bool {
        true
    }
}

/// The stable key of each check, for `check --json`.
fn key_for(name: &str) -> &'static str {
    match name {
        "configuration" => "configuration",
        "URL and API key" => "url_and_key",
        "rate limit" => "rate_limit",
        "budget" => "budget",
        "trial plan" => "trial_plan",
        "people" => "people",
        "ticket fields" => "ticket_fields",
        "required for closure" => "closure_fields",
        "custom fields" => "custom_fields",
        "acting as the customer" => "acting_as_customer",
        "probe cleanup" => "probe_cleanup",
        "schedule" => "schedule",
        "bursts" => "bursts",
        "allowed hosts" => "allowed_hosts",
        _ => "other",
    }
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
            live: Live::default(),
        }
    }

    pub fn push(&mut self, name: &'static str, status: Status, detail: impl Into<String>) {
        let item = Item {
            key: key_for(name),
            name,
            status,
            detail: detail.into(),
        };
        if let Some(tell) = self.live.0 {
            tell(&item);
        }
        self.checks.push(item);
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
        let mut out = self.header();
        for item in &self.checks {
            out.push_str(&item.line());
        }
        out.push_str(&self.verdict());
        out
    }

    /// The first line of the text output.
    pub fn header(&self) -> String {
        format!("ticketsim check: {}\n", self.url)
    }

    /// The last line of the text output.
    pub fn verdict(&self) -> String {
        if self.success {
            format!("The daemon would work: {}\n", self.message)
        } else {
            format!("The daemon would not work: {}\n", self.message)
        }
    }
}

impl Item {
    /// The item as one line of the text output.
    pub fn line(&self) -> String {
        let mark = match self.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        let mut out = String::new();
        let _ = writeln!(out, "  {mark}  {:<23} {}", self.name, self.detail);
        out
    }
}
