//! Playbooks: the steps of a lifecycle as data. A playbook lists, after the
//! ticket's creation, what happens when: who writes what (by *role*: the agent's
//! question, the customer's answer, the resolution, …) and which ticket fields
//! change. Times are in stage units (see `domain::StageOffsets::at`), so every
//! playbook follows `TICKETSIM_STAGE_OFFSETS`.

use serde::Deserialize;

use super::dice::Dice;
use super::library::Scenario;
use crate::domain::Stage;

/// The playbook `run` uses unless told otherwise.
pub const CLASSIC: &str = "classic";

/// Freshdesk's Closed status: every playbook must end there.
pub(super) const CLOSED_STATUS: i64 = 5;

/// `data/playbooks.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlaybookFile {
    pub playbooks: Vec<Playbook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Playbook {
    pub name: String,
    /// One line for `--help`-like listings and the README.
    pub summary: String,
    /// How often it is chosen when enabled, unless a scenario says otherwise.
    pub weight: u32,
    pub steps: Vec<StepSpec>,
}

/// One step after creation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepSpec {
    /// When, in stage units (1 = first configured offset, … 4 = the fourth).
    pub at: f64,
    pub kind: Stage,
    /// What the step's message says, for kinds that send one.
    #[serde(default)]
    pub text: Option<Role>,
    /// Status set by a `status` step, or after a reply's message.
    #[serde(default)]
    pub status: Option<i64>,
    /// `priority` steps: how many levels to raise it (capped at 4, urgent).
    #[serde(default)]
    pub raise: Option<i64>,
    /// `tags` steps: tags added to the ticket's own.
    #[serde(default)]
    pub add: Vec<String>,
    /// `time_entry` steps: the range of minutes logged.
    #[serde(default)]
    pub minutes: Option<[i64; 2]>,
    /// `time_entry` steps: billable or not (Freshdesk's default is billable).
    #[serde(default)]
    pub billable: Option<bool>,
}

/// What a message says, by its part in the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Role {
    /// The agent's first reply: a question about the problem.
    Question,
    /// The customer's answer to that question.
    Answer,
    /// The agent's fix.
    Resolution,
    /// The fix, by the agent the ticket was escalated to, who introduces themselves.
    HandoverResolution,
    /// The agent's second fix after the customer reopened the ticket.
    Followup,
    /// The customer says the problem is back.
    Reopen,
    /// The agent checks in on a customer who has not answered.
    Reminder,
    /// The agent closes the ticket for lack of an answer.
    NoReplyClose,
    /// Private note: why the ticket is escalated.
    EscalationNote,
    /// Private note: the work done.
    WorkNote,
    /// A time entry's note.
    TimeNote,
}

impl Role {
    /// The step kinds a role can be written for.
    pub fn fits(self, kind: Stage) -> bool {
        use Role::*;
        match kind {
            Stage::CustomerReply => matches!(self, Answer | Reopen),
            Stage::AgentReply | Stage::Resolve => matches!(
                self,
                Question | Resolution | HandoverResolution | Followup | Reminder | NoReplyClose
            ),
            Stage::PrivateNote => matches!(self, EscalationNote | WorkNote),
            Stage::TimeEntry => self == TimeNote,
            _ => false,
        }
    }
}

/// The playbooks in use (`TICKETSIM_PLAYBOOKS`). Only `classic` by default, so
/// `run` does exactly the four documented steps unless the operator opts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection(Vec<String>);

impl Default for Selection {
    fn default() -> Self {
        Selection(vec![CLASSIC.to_string()])
    }
}

impl Selection {
    /// `all`, or a comma list of names from `known`.
    pub fn parse(spec: &str, known: &[String]) -> Result<Selection, String> {
        let spec = spec.trim();
        // `all` is every scripted playbook: `trainee` waits for real agents,
        // so it is only ever chosen by name (or TICKETSIM_MODE=training).
        if spec.eq_ignore_ascii_case("all") {
            let scripted = known.iter().filter(|k| *k != super::training::TRAINEE);
            return Ok(Selection(scripted.cloned().collect()));
        }
        let mut names: Vec<String> = Vec::new();
        for name in spec.split(',').map(str::trim) {
            if !known.iter().any(|k| k == name) {
                return Err(format!(
                    "unknown playbook \"{name}\"; expected `all` or a comma list of: {}",
                    known.join(", ")
                ));
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        Ok(Selection(names))
    }

    /// Only the `trainee` playbook: what `TICKETSIM_MODE=training` uses.
    pub fn training() -> Selection {
        Selection(vec![super::training::TRAINEE.to_string()])
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == name)
    }
}

/// The playbook for a thread about `scenario`: by weight among the selected ones
/// (the scenario's weights first, then the playbook's). With a single playbook
/// selected, no random number is drawn.
pub(super) fn choose<'a>(
    rng: &mut Dice,
    playbooks: &'a [Playbook],
    selection: &Selection,
    scenario: &Scenario,
) -> Option<&'a Playbook> {
    // The trainee playbook needs the scenario's training data.
    let candidates: Vec<&Playbook> = playbooks
        .iter()
        .filter(|p| selection.contains(&p.name))
        .filter(|p| p.name != super::training::TRAINEE || scenario.training.is_some())
        .collect();
    if candidates.len() <= 1 {
        return candidates.first().copied();
    }
    let weight = |p: &Playbook| {
        let w = scenario.playbooks.get(&p.name).copied().unwrap_or(p.weight);
        u64::from(w)
    };
    let total: u64 = candidates.iter().map(|p| weight(p)).sum();
    if total == 0 {
        return rng.pick(&candidates).copied();
    }
    let mut pick = rng.below(total);
    for p in &candidates {
        if pick < weight(p) {
            return Some(p);
        }
        pick -= weight(p);
    }
    candidates.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        ["classic", "pending", "escalation"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn the_default_selection_is_classic_only() {
        assert_eq!(Selection::default().names(), ["classic"]);
    }

    #[test]
    fn all_and_comma_lists_select_known_playbooks() {
        assert_eq!(
            Selection::parse(" all ", &known()).unwrap().names(),
            known()
        );
        let s = Selection::parse("escalation, classic,escalation", &known()).unwrap();
        assert_eq!(s.names(), ["escalation", "classic"]);
    }

    #[test]
    fn an_unknown_or_empty_name_is_refused_with_the_known_ones() {
        let e = Selection::parse("classic,escalate", &known()).unwrap_err();
        assert!(
            e.contains("\"escalate\"") && e.contains("classic, pending, escalation"),
            "{e}"
        );
        assert!(Selection::parse("classic,,pending", &known()).is_err());
    }
}
