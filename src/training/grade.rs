//! The grade of a closed trainee ticket, and `ticketsim report --training`:
//! the grades summed up per trainee (agent) and per scenario.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::react::Progress;
use crate::content::Sheet;
use crate::domain::{UnixMs, format_duration};

/// Stored (as JSON) with the ticket when it closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    pub ticket_id: i64,
    pub scenario: String,
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    /// `root cause found` or `root cause not found`.
    pub verdict: String,
    pub root_cause_found: bool,
    pub root_cause: String,
    pub first_response_ms: Option<i64>,
    pub resolution_ms: Option<i64>,
    pub exchanges: u32,
    pub facts_asked: Vec<String>,
    pub facts_needed: Vec<String>,
    pub wrong_fixes: Vec<String>,
    pub reopens: u32,
    pub sla_misses: u32,
    pub closed_at: UnixMs,
}

impl Grade {
    pub fn new(
        ticket_id: i64,
        scenario: &str,
        p: &Progress,
        sheet: &Sheet,
        closed_at: UnixMs,
    ) -> Grade {
        let found = p.fixed_at.is_some();
        Grade {
            ticket_id,
            scenario: scenario.to_string(),
            agent_id: p.agent_id,
            agent_name: p.agent_name.clone(),
            verdict: if found {
                "root cause found"
            } else {
                "root cause not found"
            }
            .into(),
            root_cause_found: found,
            root_cause: sheet.root_cause.clone(),
            first_response_ms: p.first_response_at.map(|t| t - p.ticket_created_at),
            resolution_ms: p.fixed_at.map(|t| t - p.ticket_created_at),
            exchanges: p.exchanges,
            facts_asked: p.asked.iter().cloned().collect(),
            facts_needed: sheet.facts.iter().map(|f| f.name.clone()).collect(),
            wrong_fixes: p.wrong_fixes.clone(),
            reopens: p.reopens,
            sla_misses: p.sla_misses,
            closed_at,
        }
    }

    /// The private note `TICKETSIM_GRADE_NOTE=on` adds, as plain lines.
    pub fn note_lines(&self) -> Vec<String> {
        let time = |ms: Option<i64>| ms.map_or("-".to_string(), format_duration);
        vec![
            format!("Training grade: {}.", self.verdict),
            format!("Root cause: {}", self.root_cause),
            format!(
                "First response {}, resolution {}, {} exchanges.",
                time(self.first_response_ms),
                time(self.resolution_ms),
                self.exchanges
            ),
            format!(
                "Facts asked {}/{} ({}); wrong fixes: {}; reopens {}; SLA misses {}.",
                self.facts_asked.len(),
                self.facts_needed.len(),
                self.facts_asked.join(", "),
                list_or_none(&self.wrong_fixes),
                self.reopens,
                self.sla_misses
            ),
        ]
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// The grades of one trainee or one scenario, summed up.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub tickets: u32,
    pub root_cause_found: u32,
    pub wrong_fixes: u32,
    pub reopens: u32,
    pub sla_misses: u32,
    pub exchanges: u32,
    /// Facts asked over facts needed, 0..=1.
    pub facts_ratio: f64,
    pub mean_first_response_ms: Option<i64>,
    pub mean_resolution_ms: Option<i64>,
}

/// `report --training`: every grade, and the sums per trainee and per scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub by_trainee: BTreeMap<String, Summary>,
    pub by_scenario: BTreeMap<String, Summary>,
    pub tickets: Vec<Grade>,
}

impl Report {
    pub fn new(grades: Vec<Grade>) -> Report {
        let mut by_trainee: BTreeMap<String, Vec<&Grade>> = BTreeMap::new();
        let mut by_scenario: BTreeMap<String, Vec<&Grade>> = BTreeMap::new();
        for g in &grades {
            let who = g
                .agent_name
                .clone()
                .or(g.agent_id.map(|id| format!("agent {id}")));
            by_trainee
                .entry(who.unwrap_or_else(|| "(nobody)".into()))
                .or_default()
                .push(g);
            by_scenario.entry(g.scenario.clone()).or_default().push(g);
        }
        let sum = |m: BTreeMap<String, Vec<&Grade>>| {
            m.into_iter().map(|(k, v)| (k, summary(&v))).collect()
        };
        Report {
            by_trainee: sum(by_trainee),
            by_scenario: sum(by_scenario),
            tickets: grades,
        }
    }

    /// The plain-text report: one table per view.
    pub fn text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "training report: {} closed trainee tickets\n",
            self.tickets.len()
        ));
        for (title, rows) in [
            ("trainee", &self.by_trainee),
            ("scenario", &self.by_scenario),
        ] {
            out.push_str(&format!(
                "\n{title:<24} {:>7} {:>10} {:>6} {:>7} {:>6} {:>6} {:>10} {:>10}\n",
                "tickets", "root cause", "facts", "wrong", "reopen", "sla", "1st resp", "resolved"
            ));
            for (name, s) in rows.iter() {
                out.push_str(&format!(
                    "{name:<24} {:>7} {:>10} {:>5.0}% {:>7} {:>6} {:>6} {:>10} {:>10}\n",
                    s.tickets,
                    format!("{}/{}", s.root_cause_found, s.tickets),
                    s.facts_ratio * 100.0,
                    s.wrong_fixes,
                    s.reopens,
                    s.sla_misses,
                    s.mean_first_response_ms.map_or("-".into(), format_duration),
                    s.mean_resolution_ms.map_or("-".into(), format_duration),
                ));
            }
        }
        out
    }
}

fn summary(grades: &[&Grade]) -> Summary {
    let n = grades.len() as u32;
    let mean = |values: Vec<i64>| {
        (!values.is_empty()).then(|| values.iter().sum::<i64>() / values.len() as i64)
    };
    let (asked, needed) = grades.iter().fold((0usize, 0usize), |(a, b), g| {
        (a + g.facts_asked.len(), b + g.facts_needed.len())
    });
    Summary {
        tickets: n,
        root_cause_found: grades.iter().filter(|g| g.root_cause_found).count() as u32,
        wrong_fixes: grades.iter().map(|g| g.wrong_fixes.len() as u32).sum(),
        reopens: grades.iter().map(|g| g.reopens).sum(),
        sla_misses: grades.iter().map(|g| g.sla_misses).sum(),
        exchanges: grades.iter().map(|g| g.exchanges).sum(),
        facts_ratio: if needed == 0 {
            0.0
        } else {
            asked as f64 / needed as f64
        },
        mean_first_response_ms: mean(grades.iter().filter_map(|g| g.first_response_ms).collect()),
        mean_resolution_ms: mean(grades.iter().filter_map(|g| g.resolution_ms).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grade(agent: &str, scenario: &str, found: bool, wrong: &[&str]) -> Grade {
        Grade {
            ticket_id: 1,
            scenario: scenario.into(),
            agent_id: Some(7),
            agent_name: Some(agent.into()),
            verdict: String::new(),
            root_cause_found: found,
            root_cause: "x".into(),
            first_response_ms: Some(60_000),
            resolution_ms: found.then_some(600_000),
            exchanges: 3,
            facts_asked: vec!["a".into()],
            facts_needed: vec!["a".into(), "b".into()],
            wrong_fixes: wrong.iter().map(|w| w.to_string()).collect(),
            reopens: 0,
            sla_misses: 1,
            closed_at: 5,
        }
    }

    #[test]
    fn the_report_sums_grades_per_trainee_and_per_scenario() {
        let r = Report::new(vec![
            grade("Ann", "double-charge", true, &[]),
            grade("Ann", "app-crash", false, &["reinstall"]),
            grade("Bob", "double-charge", true, &[]),
        ]);
        let ann = &r.by_trainee["Ann"];
        assert_eq!(
            (ann.tickets, ann.root_cause_found, ann.wrong_fixes),
            (2, 1, 1)
        );
        assert_eq!(ann.facts_ratio, 0.5);
        assert_eq!(r.by_scenario["double-charge"].tickets, 2);
        assert_eq!(
            r.by_scenario["double-charge"].mean_resolution_ms,
            Some(600_000)
        );
        let text = r.text();
        assert!(
            text.contains("Ann") && text.contains("double-charge") && text.contains("1/2"),
            "{text}"
        );
    }
}
