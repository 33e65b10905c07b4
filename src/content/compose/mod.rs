//! Writing one lifecycle: the scenario and playbook picks, the ticket fields, and
//! the text of every message, in posting order. The draw order is part of the
//! output for a seed: keep it stable.

mod text;

use super::agent::AgentStyle;
use super::dice::Dice;
use super::facts::{self, Facts};
use super::library::{Body, Category, Exchange, Library, SUBJECT_MAX_CHARS, Scenario};
use super::outcome::{choose_outcome, span_minutes, wait_phrase};
use super::persona::Tone;
use super::playbook::{self, Role, Selection, StepSpec};
use super::template::Vars;
use super::variants::{Description, Resolution};
use super::{Author, Cast, Script, ScriptStep};
use crate::domain::{Stage, StageOffsets, StepParams};

/// The whole lifecycle, or `None` if the library has nothing to write with.
pub(super) fn compose(
    rng: &mut Dice,
    lib: &Library,
    selection: &Selection,
    offsets: &StageOffsets,
    cast: &Cast,
) -> Option<Script> {
    compose_traced(rng, lib, selection, offsets, cast).map(|(script, _)| script)
}

/// The variants a lifecycle was written from, for tests to check what goes
/// with what: the subject with its description, a second fix with the first.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Trace<'a> {
    pub description: Option<&'a Description>,
    pub first_fix: Option<&'a Resolution>,
    pub followup: Option<&'a Body>,
}

/// [`compose`], with the variants it used.
pub(super) fn compose_traced<'a>(
    rng: &mut Dice,
    lib: &'a Library,
    selection: &Selection,
    offsets: &StageOffsets,
    cast: &Cast<'a>,
) -> Option<(Script, Trace<'a>)> {
    let trainee_only = selection.names() == [super::training::TRAINEE];
    let (category, scenario) = if trainee_only {
        lib.pick_training_scenario(rng)?
    } else {
        lib.pick_scenario(rng)?
    };
    let playbook = playbook::choose(rng, &lib.playbooks, selection, scenario)?;
    let tone = lib.personas.tone_for(cast.customer_key)?;
    let vars = thread_vars(rng, lib, scenario, cast);
    let priority = priority(rng, scenario);
    let (outcome, resolutions) = choose_outcome(rng, scenario, playbook);
    let mut w = Writer {
        lib,
        category,
        scenario,
        tone,
        exchange: None,
        facts: Facts::default(),
        resolutions,
        subject: String::new(),
        trace: Trace::default(),
        style: AgentStyle::of(cast.agent_key, &lib.phrases),
        span_minutes: span_minutes(playbook, offsets),
        vars,
        author: Author::Agent,
        escalation_agent: cast.escalation_agent,
        escalation_agent_key: cast.escalation_agent_key,
        priority,
        tags: tags(category, scenario),
    };
    let steps = w.steps(rng, playbook, offsets);
    let key = w.vars.get(&scenario.key).unwrap_or_default().to_owned();
    let facts = std::mem::take(&mut w.facts);
    let subject = std::mem::take(&mut w.subject);
    let training = (playbook.name == super::training::TRAINEE)
        .then_some(scenario.training.as_ref())
        .flatten()
        .map(|t| super::training::sheet(rng, t, &lib.chases, &w.vars, tone));
    let script = Script {
        category: category.name.clone(),
        scenario: scenario.name.clone(),
        playbook: playbook.name.clone(),
        tone: tone.name.clone(),
        outcome: outcome.into(),
        facts,
        subject,
        ticket_type: scenario.ticket_type.clone(),
        priority,
        tags: tags(category, scenario),
        key,
        steps,
        training,
    };
    Some((script, w.trace))
}

/// Every value of the thread (pools, people, group, topic).
fn thread_vars(rng: &mut Dice, lib: &Library, scenario: &Scenario, cast: &Cast) -> Vars {
    let mut vars = Vars::draw(rng, &lib.variables).with_people(cast.customer, cast.agent);
    vars.insert("group", &team_phrase(cast.escalation_group));
    let topic = vars.fill(pick(rng, &scenario.topics));
    vars.insert("topic", &topic);
    vars
}

/// A group's name as a team: "the Specialist Team", "the Escalations team".
pub(super) fn team_phrase(group: &str) -> String {
    let name = group.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.to_lowercase().ends_with("team") {
        format!("the {name}")
    } else {
        format!("the {name} team")
    }
}

/// The state of a thread being written: who writes for the agents now, and the
/// ticket fields the steps so far have set.
struct Writer<'a> {
    lib: &'a Library,
    category: &'a Category,
    scenario: &'a Scenario,
    tone: &'a Tone,
    exchange: Option<&'a Exchange>,
    /// What the customer has said and the agent asked and cited.
    facts: Facts,
    /// The resolutions of the chosen outcome.
    resolutions: &'a [Resolution],
    /// The ticket's subject, one that fits the description.
    subject: String,
    /// The description, the first resolution (which a second fix follows on
    /// from) and the second fix written.
    trace: Trace<'a>,
    /// The writing agent's habits: greeting, sign-off, verbosity, layout.
    style: AgentStyle,
    /// The lifecycle's length, which no time entry exceeds.
    span_minutes: i64,
    vars: Vars,
    /// The agent writing for the helpdesk: the escalation agent once reassigned.
    author: Author,
    escalation_agent: &'a str,
    escalation_agent_key: u64,
    priority: i64,
    tags: Vec<String>,
}

impl Writer<'_> {
    /// The creation, then every step of the playbook, each knowing how long
    /// the ticket waits after it (`{wait}`).
    fn steps(
        &mut self,
        rng: &mut Dice,
        playbook: &playbook::Playbook,
        offsets: &StageOffsets,
    ) -> Vec<ScriptStep> {
        let mut steps = vec![self.creation(rng)];
        for (i, spec) in playbook.steps.iter().enumerate() {
            let next = playbook.steps.get(i + 1).map(|n| offsets.at(n.at));
            let gap = next.map(|at| at - offsets.at(spec.at));
            self.vars.insert("wait", wait_phrase(gap));
            steps.push(self.step(rng, spec, offsets));
        }
        steps
    }

    fn creation(&mut self, rng: &mut Dice) -> ScriptStep {
        let (tone, scenario) = (self.tone, self.scenario);
        let opener = pick(rng, &tone.openers);
        let Some(chosen) = rng.pick(&scenario.descriptions) else {
            return self.empty_creation();
        };
        self.trace.description = Some(chosen);
        let subjects = own_or(&chosen.subjects, &scenario.subjects);
        let subject = self.vars.fill(pick(rng, subjects));
        self.subject = subject.chars().take(SUBJECT_MAX_CHARS).collect();
        let mut description = chosen.text.clone();
        // Half of the time, one detail of the category: what was tried, the impact.
        if rng.chance(50) {
            description.extend(rng.pick(&self.category.details).cloned());
        }
        let closing = pick(rng, &tone.closings);
        let extras = &tone.extras.description;
        let body = self.customer_message(rng, opener, &description, extras, closing);
        self.facts.stated = facts::stated(&tone.shape(&description));
        self.exchange = facts::choose_exchange(rng, &scenario.exchanges, &self.facts.stated);
        self.facts.asked = self.exchange.map(facts::asks).unwrap_or_default();
        ScriptStep {
            kind: Stage::Create,
            offset_ms: 0,
            author: Some(Author::Customer),
            body: Some(body),
            private: false,
            params: StepParams::default(),
        }
    }

    /// A creation without a description (the data checks rule it out).
    fn empty_creation(&self) -> ScriptStep {
        ScriptStep {
            kind: Stage::Create,
            offset_ms: 0,
            author: Some(Author::Customer),
            body: Some(String::new()),
            private: false,
            params: StepParams::default(),
        }
    }

    fn step(&mut self, rng: &mut Dice, spec: &StepSpec, offsets: &StageOffsets) -> ScriptStep {
        let mut step = ScriptStep {
            kind: spec.kind,
            offset_ms: offsets.at(spec.at),
            author: None,
            body: None,
            private: spec.kind == Stage::PrivateNote,
            params: StepParams {
                status: spec.status,
                ..Default::default()
            },
        };
        self.apply(rng, spec, &mut step);
        if let (Some(role), false) = (spec.text, spec.kind == Stage::TimeEntry) {
            let customer = matches!(role, Role::Answer | Role::Reopen);
            step.author = Some(if customer {
                Author::Customer
            } else {
                self.author
            });
            step.body = Some(self.text(rng, role));
        }
        step
    }

    /// What the step changes besides its message: who writes next, the
    /// priority, the tags, or the time logged.
    fn apply(&mut self, rng: &mut Dice, spec: &StepSpec, step: &mut ScriptStep) {
        match spec.kind {
            Stage::Reassign => {
                self.vars = self.vars.clone().with_agent(self.escalation_agent);
                self.style = AgentStyle::of(self.escalation_agent_key, &self.lib.phrases);
                self.author = Author::EscalationAgent;
            }
            Stage::Priority => {
                self.priority = (self.priority + spec.raise.unwrap_or(1)).clamp(1, 4);
                step.params.priority = Some(self.priority);
            }
            Stage::Tags => {
                for tag in &spec.add {
                    if !self.tags.contains(tag) {
                        self.tags.push(tag.clone());
                    }
                }
                step.params.tags = Some(self.tags.clone());
            }
            Stage::TimeEntry => self.time_entry(rng, spec, step),
            _ => {}
        }
    }

    fn time_entry(&mut self, rng: &mut Dice, spec: &StepSpec, step: &mut ScriptStep) {
        let [low, high] = spec.minutes.unwrap_or([15, 30]);
        let high = high.max(low).min(self.span_minutes);
        let low = low.min(high).max(1);
        let minutes = rng.between(low, high);
        step.author = Some(self.author);
        step.params.minutes = Some((minutes / 5 * 5).max(low));
        step.params.billable = Some(spec.billable.unwrap_or(true));
        step.params.note = Some(self.vars.fill(pick(rng, &self.lib.phrases.time_notes)));
    }
}

/// The own list when it has some, else the other (the scenario's or generic).
fn own_or<'a, T>(own: &'a [T], generic: &'a [T]) -> &'a [T] {
    if own.is_empty() { generic } else { own }
}

/// One phrase, or "" when the list is empty (the data checks rule that out).
fn pick<'a>(rng: &mut Dice, phrases: &'a [String]) -> &'a str {
    rng.pick(phrases).map(String::as_str).unwrap_or_default()
}

/// The `i`th phrase (wrapping), or "" when the list is empty.
fn nth(phrases: &[String], i: usize) -> &str {
    match phrases.len() {
        0 => "",
        n => &phrases[i % n],
    }
}

/// One body, or no paragraphs when the list is empty (the data checks rule that out).
fn pick_body<'a>(rng: &mut Dice, bodies: &'a [Body]) -> &'a [String] {
    rng.pick(bodies).map(Vec::as_slice).unwrap_or_default()
}

fn priority(rng: &mut Dice, scenario: &Scenario) -> i64 {
    let [low, high] = scenario.priority.map(|p| p.clamp(1, 4));
    rng.between(low, high)
}

/// The category first, then the scenario's own tags, without repeats.
fn tags(category: &Category, scenario: &Scenario) -> Vec<String> {
    let mut tags = vec![category.name.clone()];
    for tag in &scenario.tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    tags
}
