//! Writing one lifecycle: the scenario and playbook picks, the ticket fields, and
//! the text of every message, in posting order. The draw order is part of the
//! output for a seed: keep it stable.

use super::agent::{AgentStyle, Verbosity};
use super::dice::Dice;
use super::facts::{self, Facts};
use super::html::paragraphs;
use super::library::{Body, Category, Exchange, Library, SUBJECT_MAX_CHARS, Scenario};
use super::outcome::{choose_outcome, span_minutes, wait_phrase};
use super::persona::Tone;
use super::playbook::{self, Role, Selection, StepSpec};
use super::template::Vars;
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
    let trainee_only = selection.names() == [super::training::TRAINEE];
    let (category, scenario) = if trainee_only {
        lib.pick_training_scenario(rng)?
    } else {
        lib.pick_scenario(rng)?
    };
    let playbook = playbook::choose(rng, &lib.playbooks, selection, scenario)?;
    let tone = lib.personas.tone_for(cast.customer_key)?;
    let (vars, subject) = thread_vars(rng, lib, scenario, cast);
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
    let training = (playbook.name == super::training::TRAINEE)
        .then_some(scenario.training.as_ref())
        .flatten()
        .map(|t| super::training::sheet(rng, t, &lib.chases, &w.vars, tone));
    Some(Script {
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
    })
}

/// Every value of the thread (pools, people, group, topic) and its subject.
fn thread_vars(rng: &mut Dice, lib: &Library, scenario: &Scenario, cast: &Cast) -> (Vars, String) {
    let mut vars = Vars::draw(rng, &lib.variables).with_people(cast.customer, cast.agent);
    vars.insert("group", &team_phrase(cast.escalation_group));
    let topic = vars.fill(pick(rng, &scenario.topics));
    vars.insert("topic", &topic);
    let subject = vars.fill(pick(rng, &scenario.subjects));
    (vars, subject.chars().take(SUBJECT_MAX_CHARS).collect())
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
    resolutions: &'a [Body],
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
        let mut description = pick_body(rng, &scenario.descriptions).to_vec();
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

    /// The HTML of a message in `role`.
    fn text(&mut self, rng: &mut Dice, role: Role) -> String {
        match role {
            Role::Answer | Role::Reopen => self.customer_text(rng, role),
            Role::EscalationNote | Role::WorkNote | Role::TimeNote => self.note_text(rng, role),
            _ => self.agent_text(rng, role),
        }
    }

    /// The customer's answer to the question, or their "it's back" message.
    fn customer_text(&mut self, rng: &mut Dice, role: Role) -> String {
        let (p, s, tone) = (&self.lib.phrases, self.scenario, self.tone);
        let (openers, bodies, extras) = match role {
            Role::Answer => {
                let answers = self.exchange.map(|e| e.customer.as_slice());
                (
                    &tone.reply_openers,
                    answers.unwrap_or_default(),
                    &tone.extras.answer,
                )
            }
            _ => (
                &tone.reopen_openers,
                own_or(&s.reopens, &p.reopens),
                &tone.extras.reopen,
            ),
        };
        let opener = pick(rng, openers);
        let body = pick_body(rng, bodies);
        // Anyone may answer in one line now and then: no greeting, no extras,
        // just their name.
        let one_line = role == Role::Answer && rng.chance(40);
        let written = match one_line {
            true => self.tone.one_line(body),
            false => self.tone.shape(body),
        };
        if role == Role::Answer {
            self.facts.answered = facts::stated(&written);
        }
        match one_line {
            true => self.customer_message(rng, "", &written, &[], "{customer_first}"),
            false => self.customer_reply(rng, opener, body, extras),
        }
    }

    /// A public message by the agent writing now: greeting, maybe a second line
    /// (acknowledgement or handover), the body, a closing line, the signature.
    fn agent_text(&mut self, rng: &mut Dice, role: Role) -> String {
        let (p, s) = (&self.lib.phrases, self.scenario);
        let resolving = matches!(
            role,
            Role::Resolution | Role::HandoverResolution | Role::Followup
        );
        let greetings = match resolving {
            true => &p.resolution_greetings,
            false => &p.agent_greetings,
        };
        let greeting = nth(greetings, self.style.greeting);
        let brief = self.style.verbosity == Verbosity::Brief;
        let second = match role {
            Role::Question if brief => "",
            Role::Question => pick(rng, &self.tone.acknowledgements),
            Role::HandoverResolution => pick(rng, &p.handover_lines),
            _ => "",
        };
        let body = match role {
            Role::Question => self.exchange.map(|e| e.agent.clone()).unwrap_or_default(),
            Role::Followup => pick_body(rng, own_or(&s.followups, &p.followups)).to_vec(),
            Role::Reminder => pick_body(rng, &p.reminders).to_vec(),
            Role::NoReplyClose => pick_body(rng, &p.no_reply_closings).to_vec(),
            _ => self.resolution_body(rng),
        };
        let closer = match role {
            _ if brief => "",
            Role::Question => pick(rng, &p.agent_reply_closers),
            Role::Reminder | Role::NoReplyClose => "",
            _ => pick(rng, &p.resolution_closers),
        };
        self.agent_message(&[greeting, second], &self.style.lay_out(&body), closer)
    }

    /// A resolution of the outcome citing a fact the customer gave; when none
    /// of them does, one opened by a line citing such a fact.
    fn resolution_body(&mut self, rng: &mut Dice) -> Vec<String> {
        let known = self.facts.known();
        let key = &self.scenario.key;
        let (body, cited) = facts::choose_resolution(rng, self.resolutions, &known, key);
        let mut body = body.to_vec();
        if cited.is_empty() {
            let citations = &self.lib.phrases.citations;
            if let Some((line, fact)) = facts::citation(rng, citations, &known, key) {
                body.insert(0, line);
                self.facts.cited.insert(fact);
            }
        }
        self.facts.cited.extend(cited);
        body
    }

    /// A private note's paragraphs, or a time entry's one line.
    fn note_text(&self, rng: &mut Dice, role: Role) -> String {
        let p = &self.lib.phrases;
        let body: &[String] = match role {
            Role::EscalationNote => pick_body(rng, &p.escalation_notes),
            Role::WorkNote => pick_body(rng, &p.work_notes),
            _ => rng
                .pick(&p.time_notes)
                .map(std::slice::from_ref)
                .unwrap_or_default(),
        };
        paragraphs(body.iter().map(|part| self.vars.fill(part)))
    }

    /// Opening lines, body, a closing line and the signature, as HTML.
    fn agent_message(&self, opening: &[&str], body: &[String], closer: &str) -> String {
        let parts = opening
            .iter()
            .copied()
            .chain(body.iter().map(String::as_str));
        let signoff = nth(&self.lib.phrases.agent_signoffs, self.style.signoff);
        let parts = parts.chain([closer, signoff]);
        paragraphs(parts.map(|part| self.vars.fill(part)))
    }

    fn customer_reply(
        &self,
        rng: &mut Dice,
        opener: &str,
        body: &[String],
        extras: &[String],
    ) -> String {
        let closing = pick(rng, &self.tone.reply_closings);
        self.customer_message(rng, opener, body, extras, closing)
    }

    /// The customer's words in their tone: opener, shaped body, the tone's extra
    /// paragraphs, sign-off.
    fn customer_message(
        &self,
        rng: &mut Dice,
        opener: &str,
        body: &[String],
        extras: &[String],
        closing: &str,
    ) -> String {
        let shaped = self.tone.shape(body);
        let added = self.tone.extras(rng, extras);
        let parts = std::iter::once(opener)
            .chain(shaped.iter().map(String::as_str))
            .chain(added)
            .chain([closing]);
        paragraphs(parts.map(|part| self.vars.fill(part)))
    }
}

/// The scenario's own bodies when it has some, else the generic ones.
fn own_or<'a>(own: &'a [Body], generic: &'a [Body]) -> &'a [Body] {
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
