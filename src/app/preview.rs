//! `ticketsim preview`: the lifecycles `run` would generate, written by the same
//! planner, for a made-up helpdesk. No request is made and no database is touched.

mod corpus;
mod lint;
#[cfg(test)]
mod lint_tests;
mod markers;
mod stats;

pub use corpus::body_lines;
pub use lint::{Rule, Violation, lint};
pub use stats::{CorpusStats, corpus_stats};

use serde::Serialize;
use serde_json::json;

use crate::content::{self, Library};
use crate::dispatcher::{Content, People, Planned, plan_lifecycle};
use crate::domain::{self, Stage, StepParams, format_duration};
use crate::freshdesk::types::{Agent, Contact, Group};
use crate::store::PlannedStep;

/// What to preview.
#[derive(Debug, Clone)]
pub struct PreviewOptions {
    /// How many lifecycles.
    pub count: usize,
    /// The run seed (as `TICKETSIM_SEED`): lifecycle `i` is seeded like slot `i`.
    pub seed: u64,
    /// Made-up contacts and agents to choose from.
    pub contacts: usize,
    pub agents: usize,
}

/// One previewed lifecycle, as printed by `--json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PreviewLifecycle {
    /// 1-based position in the preview.
    pub lifecycle: usize,
    pub seed: u64,
    pub scenario: String,
    pub category: String,
    pub playbook: String,
    /// The customer's tone.
    pub tone: String,
    /// How the resolution ends for the customer: `granted` (they get what they
    /// asked for) or another outcome.
    pub outcome: String,
    /// What the customer stated, what the agent asked, what the resolution cites
    /// (variable names).
    pub facts: content::Facts,
    pub customer: PreviewPerson,
    pub agent: PreviewPerson,
    pub subject: String,
    /// The value of the scenario's key variable (its order number, product or
    /// error code), which every resolution names.
    pub key: String,
    /// HTML, as it would be posted.
    pub description: String,
    #[serde(rename = "type")]
    pub ticket_type: String,
    pub priority: i64,
    pub tags: Vec<String>,
    pub steps: Vec<PreviewStep>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PreviewPerson {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// One step: when, what, by whom, and the message it posts (if any).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PreviewStep {
    /// From ticket creation, e.g. `5m`.
    pub offset: String,
    pub offset_ms: i64,
    pub kind: Stage,
    /// `customer`, `agent`, or null for steps nobody writes.
    pub author: Option<String>,
    pub author_id: Option<i64>,
    /// The author's display name.
    pub author_name: Option<String>,
    /// HTML, as it would be posted; null for steps without a message.
    pub body: Option<String>,
    /// The body as plain text.
    pub text: Option<String>,
    pub private: bool,
    #[serde(skip_serializing_if = "StepParams::is_empty")]
    pub params: StepParams,
}

/// Agents, contacts and groups of a helpdesk that does not exist, with ids in
/// Freshdesk's style. The same seed gives the same people.
pub fn made_up_people(library: &Library, seed: u64, contacts: usize, agents: usize) -> People {
    let mut rng = content::Dice::new(domain::lifecycle_seed(seed, -1));
    let customers = library.made_up_people(&mut rng, contacts);
    let staff = library.made_up_agents(&mut rng, agents, &customers);
    let contacts = customers
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let c = json!({"id": 67_000_000_001_i64 + i as i64, "name": p.name, "email": p.email, "active": true});
            serde_json::from_value::<Contact>(c).ok()
        })
        .collect();
    let agents = staff
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let email = p.email.replace('@', ".agent@");
            let a = json!({"id": 67_000_100_001_i64 + i as i64,
                "contact": {"name": p.name, "email": email, "active": true}});
            serde_json::from_value::<Agent>(a).ok()
        })
        .collect();
    let groups = library
        .group_names()
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let g = json!({"id": 67_000_200_001_i64 + i as i64, "name": name});
            serde_json::from_value::<Group>(g).ok()
        })
        .collect();
    People::new(contacts, agents, groups)
}

/// The lifecycles `run` would write for `content`, with made-up people. Errors
/// only when there are no people to choose from (`--contacts 0`).
pub fn preview(content: &Content, opts: &PreviewOptions) -> Result<Vec<PreviewLifecycle>, String> {
    let people = made_up_people(&content.library, opts.seed, opts.contacts, opts.agents);
    (0..opts.count)
        .map(|i| {
            let seed = domain::lifecycle_seed(opts.seed, i as i64);
            let planned = plan_lifecycle(seed, &people, content).map_err(|e| e.0)?;
            Ok(describe(i + 1, seed, &planned, &people))
        })
        .collect()
}

/// A person's display name by Freshdesk id.
fn name_of(people: &People, id: i64) -> Option<String> {
    let contact = people.contacts.iter().find(|c| c.id == id).map(|c| &c.name);
    let agent = people
        .agents
        .iter()
        .find(|a| a.id == id)
        .map(|a| &a.contact.name);
    contact.or(agent).cloned()
}

fn describe(n: usize, seed: u64, p: &Planned, people: &People) -> PreviewLifecycle {
    let plan = &p.plan;
    let email = people
        .contacts
        .iter()
        .find(|c| c.id == plan.contact_id)
        .and_then(|c| c.email.clone());
    PreviewLifecycle {
        lifecycle: n,
        seed,
        scenario: plan.scenario.clone(),
        category: plan.category.clone(),
        playbook: plan.playbook.clone(),
        tone: plan.tone.clone(),
        outcome: p.script.outcome.clone(),
        facts: p.script.facts.clone(),
        customer: PreviewPerson {
            id: plan.contact_id,
            name: plan.contact_name.clone(),
            email,
        },
        agent: PreviewPerson {
            id: plan.agent_id,
            name: plan.agent_name.clone(),
            email: None,
        },
        subject: plan.subject.clone(),
        key: p.script.key.clone(),
        description: p.script.description().to_string(),
        ticket_type: plan.ticket_type.clone(),
        priority: plan.priority,
        tags: plan.tags.clone(),
        steps: p.steps.iter().map(|s| preview_step(s, people)).collect(),
    }
}

fn preview_step(s: &PlannedStep, people: &People) -> PreviewStep {
    let m = s.message.as_ref();
    let author_id = m.map(|m| m.author_id).or(s.params.agent_id);
    let time_entry = (s.kind == Stage::TimeEntry).then(|| "agent".to_string());
    PreviewStep {
        offset: match s.offset_ms {
            0 => "0s".to_string(),
            ms => format_duration(ms),
        },
        offset_ms: s.offset_ms,
        kind: s.kind,
        author: m.map(|m| m.author_kind.clone()).or(time_entry),
        author_id,
        author_name: author_id.and_then(|id| name_of(people, id)),
        body: m.map(|m| m.body.clone()),
        text: m.map(|m| content::html_to_text(&m.body)),
        private: m.is_some_and(|m| m.private),
        params: s.params.clone(),
    }
}
