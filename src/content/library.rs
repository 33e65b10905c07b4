//! The library: scenarios (by category), value pools, phrases, personas and
//! playbooks, read from the data files embedded in the binary plus the user's
//! `TICKETSIM_SCENARIOS_DIR`, and checked as a whole before anything is generated.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rand::RngCore;
use serde::Deserialize;

use super::dice::Dice;
use super::load::{self, LoadError, Source};
use super::persona::{MadeUpPerson, Personas};
use super::playbook::{Playbook, Selection};
use super::training::{self, CommonFile, Training, TrainingFile};
use super::variants::{self, Description, Resolution};
use super::{checks, playbook_checks};

pub(super) const SCENARIOS_JSON: &str = include_str!("data/scenarios.json");
pub(super) const PERSONAS_JSON: &str = include_str!("data/personas.json");
pub(super) const PLAYBOOKS_JSON: &str = include_str!("data/playbooks.json");

/// Freshdesk's default ticket types; `Refund` exists on newer accounts.
pub(super) const TICKET_TYPES: [&str; 5] = [
    "Question",
    "Incident",
    "Problem",
    "Feature Request",
    "Refund",
];
pub(super) const SUBJECT_MAX_CHARS: usize = 120;
pub(super) const TAG_MAX_CHARS: usize = 32;

/// A message body: plain-text paragraphs with `{placeholders}`, escaped when rendered.
pub(super) type Body = Vec<String>;

/// `data/scenarios.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScenarioFile {
    /// Pools of values per placeholder; `#` in a value stands for a random digit.
    pub variables: BTreeMap<String, Vec<String>>,
    pub phrases: Phrases,
    pub categories: Vec<Category>,
}

/// A file of the user's scenario directory: more scenarios, and optionally more
/// values for the pools (added to the built-in ones of the same name).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserFile {
    #[serde(default)]
    pub variables: BTreeMap<String, Vec<String>>,
    pub categories: Vec<Category>,
}

/// The agents' framing around every scenario's text, and the generic bodies of
/// the steps a scenario does not write itself. Generic bodies talk about the
/// problem through `{topic}`, a scenario's noun phrase naming it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Phrases {
    pub agent_greetings: Vec<String>,
    pub agent_reply_closers: Vec<String>,
    pub resolution_greetings: Vec<String>,
    pub resolution_closers: Vec<String>,
    pub agent_signoffs: Vec<String>,
    /// First line of a resolution written by the agent a ticket was escalated to.
    pub handover_lines: Vec<String>,
    /// The customer says the problem is back after the resolution.
    pub reopens: Vec<Body>,
    /// The agent's second fix after a reopen.
    pub followups: Vec<Body>,
    /// The agent checks in when the customer has not answered.
    pub reminders: Vec<Body>,
    /// The agent closes a ticket the customer never answered.
    pub no_reply_closings: Vec<Body>,
    /// Private note: why the ticket goes to another group.
    pub escalation_notes: Vec<Body>,
    /// Private note: what the agent did (before logging the time).
    pub work_notes: Vec<Body>,
    /// A time entry's note, one line.
    pub time_notes: Vec<String>,
    /// Per fact (pool name): a resolution's opening line citing it, used when
    /// none of the outcome's resolutions cites what the customer gave.
    #[serde(default)]
    pub citations: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Category {
    pub name: String,
    /// Paragraphs a customer may add to any of the category's descriptions:
    /// what they tried, what it costs them. Facts in them count as stated.
    #[serde(default)]
    pub details: Vec<String>,
    /// The facts (pool names) a citation line may cite on the category's
    /// tickets, those that matter to it; any fact when empty.
    #[serde(default)]
    pub citable: Vec<String>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Scenario {
    pub name: String,
    pub ticket_type: String,
    /// Inclusive range within 1..=4.
    pub priority: [i64; 2],
    /// Added after the category name, which is always the first tag.
    pub tags: Vec<String>,
    /// The variable that names the problem; every agent message must mention it.
    pub key: String,
    /// Noun phrases naming the problem, each with the key variable, e.g.
    /// "the double charge on order {order}"; generic bodies use them as `{topic}`.
    pub topics: Vec<String>,
    #[serde(default)] // only for descriptions without subjects of their own
    pub subjects: Vec<String>,
    #[serde(deserialize_with = "variants::descriptions")]
    pub descriptions: Vec<Description>,
    pub exchanges: Vec<Exchange>,
    #[serde(deserialize_with = "variants::resolutions")]
    pub resolutions: Vec<Resolution>,
    /// Endings where the customer does not get what they asked for, each
    /// with its own resolutions (the plain `resolutions` are `granted`).
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
    /// Own "the problem is back" messages, else the generic ones.
    #[serde(default)]
    pub reopens: Vec<Body>,
    /// Second fixes (fitting after any resolution) for resolutions without their own.
    #[serde(default)]
    pub followups: Vec<Body>,
    /// Weights of playbooks for this scenario, replacing the playbooks' own.
    #[serde(default)]
    pub playbooks: BTreeMap<String, u32>,
    /// What a trainee must find out and do (training mode); built-in scenarios
    /// get it from `data/training/`.
    #[serde(default)]
    pub training: Option<Training>,
}

/// The outcomes a scenario may declare besides `granted`.
pub(super) const OUTCOMES: [&str; 6] = [
    "refused",
    "partial",
    "workaround",
    "not-planned",
    "own-error",
    "duplicate",
];

/// A way a ticket can end other than the customer getting what they asked
/// for: a refusal with the policy, a partial refund, a workaround only, a
/// feature not planned, the customer's own error explained, a duplicate merged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Outcome {
    /// One of [`OUTCOMES`].
    pub name: String,
    #[serde(deserialize_with = "variants::resolutions")]
    pub resolutions: Vec<Resolution>,
}

/// An agent question with the customer answers that fit it, kept together so the
/// customer always answers what was asked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Exchange {
    pub agent: Body,
    pub customer: Vec<Body>,
    /// The facts (variable names) the question asks for; by default, those
    /// every answer states.
    #[serde(default)]
    pub asks: Vec<String>,
}

/// Everything the generator reads. Built once at start-up and shared (`Arc`).
pub struct Library {
    pub(super) variables: BTreeMap<String, Vec<String>>,
    pub(super) phrases: Phrases,
    pub(super) categories: Vec<Category>,
    pub(super) personas: Personas,
    pub(super) playbooks: Vec<Playbook>,
    /// The customer's chases in training mode, by frustration level.
    pub(super) chases: Vec<Body>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("categories", &self.categories.len())
            .field("scenarios", &self.scenario_names().len())
            .field("playbooks", &self.playbook_names())
            .finish()
    }
}

impl Library {
    /// The built-in library. Tests prove it loads; if it ever did not, this is an
    /// empty library and [`super::compose`] falls back to a plain thread.
    pub fn embedded() -> Arc<Library> {
        static EMBEDDED: OnceLock<Arc<Library>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| match Library::load(None) {
                Ok(library) => library,
                Err(e) => {
                    tracing::error!(error = %e, "built-in scenario data is broken");
                    Arc::new(Library::empty())
                }
            })
            .clone()
    }

    /// The built-in library plus every `*.json` file of `dir` (in name order). The
    /// first problem is reported as `file:line:column: what`, so a typo in a user's
    /// scenario stops the program at start-up, before any request.
    pub fn load(dir: Option<&Path>) -> Result<Arc<Library>, LoadError> {
        let scenarios = Source::embedded("scenarios.json", SCENARIOS_JSON);
        let file: ScenarioFile = load::parse(&scenarios)?;
        let personas_src = Source::embedded("personas.json", PERSONAS_JSON);
        let personas: Personas = load::parse(&personas_src)?;
        let playbooks_src = Source::embedded("playbooks.json", PLAYBOOKS_JSON);
        let playbooks: super::playbook::PlaybookFile = load::parse(&playbooks_src)?;
        let mut library = Library {
            variables: file.variables,
            phrases: file.phrases,
            categories: file.categories,
            personas,
            playbooks: playbooks.playbooks,
            chases: vec![],
        };
        checks::check_personas(&library).locate(&personas_src)?;
        playbook_checks::check_playbooks(&library.playbooks).locate(&playbooks_src)?;
        checks::check_embedded(&library).locate(&scenarios)?;
        library.add_builtin_training()?;
        if let Some(dir) = dir {
            for source in load::read_dir(dir)? {
                library.add_user_file(&source)?;
            }
        }
        Ok(Arc::new(library))
    }

    /// Parses, checks and merges one file of the user's directory.
    fn add_user_file(&mut self, source: &Source) -> Result<(), LoadError> {
        let file: UserFile = load::parse(source)?;
        for (name, values) in file.variables {
            self.variables.entry(name).or_default().extend(values);
        }
        checks::check_user_file(self, &file.categories).locate(source)?;
        let mut problems = super::load::Problems::default();
        for scenario in file.categories.iter().flat_map(|c| &c.scenarios) {
            if let Some(t) = &scenario.training {
                training::check(t, &format!("\"{}\"", scenario.name), &mut problems);
            }
        }
        problems.locate(source)?;
        for category in file.categories {
            match self.categories.iter_mut().find(|c| c.name == category.name) {
                Some(existing) => existing.scenarios.extend(category.scenarios),
                None => self.categories.push(category),
            }
        }
        Ok(())
    }

    fn empty() -> Library {
        Library {
            variables: BTreeMap::new(),
            phrases: Phrases::default(),
            categories: vec![],
            personas: Personas::default(),
            playbooks: vec![],
            chases: vec![],
        }
    }

    /// Reads `data/training/`: the chases, and each scenario's training data,
    /// checked and attached to the scenario it names.
    fn add_builtin_training(&mut self) -> Result<(), LoadError> {
        let common = Source::embedded("training/common.json", training::COMMON_JSON);
        let common: CommonFile = load::parse(&common)?;
        self.chases = common.chases;
        for (name, text) in training::FILES {
            let source = Source::embedded(&format!("training/{name}"), text);
            let file: TrainingFile = load::parse(&source)?;
            let mut problems = super::load::Problems::default();
            training::check(&file.training, "\"training\"", &mut problems);
            let found = self
                .categories
                .iter_mut()
                .flat_map(|c| c.scenarios.iter_mut())
                .find(|s| s.name == file.scenario);
            match found {
                Some(s) => s.training = Some(file.training),
                None => problems.push(
                    format!("no scenario is named \"{}\"", file.scenario),
                    super::load::At::new("\"scenario\"", &[]),
                ),
            }
            problems.locate(&source)?;
        }
        Ok(())
    }

    /// The scenarios that have no training data (training mode never picks
    /// them), as `category/scenario`.
    pub fn scenarios_without_training(&self) -> Vec<String> {
        self.categories
            .iter()
            .flat_map(|c| c.scenarios.iter().map(move |s| (c, s)))
            .filter(|(_, s)| s.training.is_none())
            .map(|(c, s)| format!("{}/{}", c.name, s.name))
            .collect()
    }

    /// Picks a scenario that has training data (a category first, as
    /// [`Library::pick_scenario`] does, among the categories that have one).
    pub(super) fn pick_training_scenario(&self, rng: &mut Dice) -> Option<(&Category, &Scenario)> {
        let categories: Vec<&Category> = self
            .categories
            .iter()
            .filter(|c| c.scenarios.iter().any(|s| s.training.is_some()))
            .collect();
        let category = *rng.pick(&categories)?;
        let scenarios: Vec<&Scenario> = category
            .scenarios
            .iter()
            .filter(|s| s.training.is_some())
            .collect();
        Some((category, *rng.pick(&scenarios)?))
    }

    /// A category first, then one of its scenarios, so every category is equally
    /// likely however many scenarios it has.
    pub(super) fn pick_scenario(&self, rng: &mut Dice) -> Option<(&Category, &Scenario)> {
        let category = rng.pick(&self.categories)?;
        let scenario = rng.pick(&category.scenarios)?;
        Some((category, scenario))
    }

    /// Every `(category, scenario)` name pair, in library order.
    pub fn scenario_names(&self) -> Vec<(String, String)> {
        self.categories
            .iter()
            .flat_map(|c| {
                c.scenarios
                    .iter()
                    .map(move |s| (c.name.clone(), s.name.clone()))
            })
            .collect()
    }

    /// `n` made-up people (for `preview` and `seed-contacts`): distinct names and
    /// reserved-domain emails. Takes one number from `rng` to seed [`Dice`].
    pub fn made_up_people<R: RngCore + ?Sized>(&self, rng: &mut R, n: usize) -> Vec<MadeUpPerson> {
        self.personas
            .made_up(&mut Dice::new(rng.next_u64()), n, &[])
    }

    /// `n` made-up agents for a helpdesk whose customers are `customers`: their
    /// first names differ from every customer's while the name pool allows.
    pub fn made_up_agents<R: RngCore + ?Sized>(
        &self,
        rng: &mut R,
        n: usize,
        customers: &[MadeUpPerson],
    ) -> Vec<MadeUpPerson> {
        let avoid: Vec<&str> = customers
            .iter()
            .filter_map(|c| c.name.split_whitespace().next())
            .collect();
        self.personas
            .made_up(&mut Dice::new(rng.next_u64()), n, &avoid)
    }

    /// Group names for a made-up helpdesk.
    pub fn group_names(&self) -> &[String] {
        &self.personas.group_names
    }

    /// Every playbook: name and one-line summary, `classic` first.
    pub fn playbook_summaries(&self) -> Vec<(String, String)> {
        let summary = |p: &Playbook| (p.name.clone(), p.summary.clone());
        self.playbooks.iter().map(summary).collect()
    }

    /// The playbooks' names, `classic` first.
    pub fn playbook_names(&self) -> Vec<String> {
        self.playbooks.iter().map(|p| p.name.clone()).collect()
    }

    /// The playbooks to use for `TICKETSIM_PLAYBOOKS`: `all`, or a comma list of
    /// names. The error lists the known names.
    pub fn select_playbooks(&self, spec: &str) -> Result<Selection, String> {
        Selection::parse(spec, &self.playbook_names())
    }
}
