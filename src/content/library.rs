//! The phrase library: categories, scenarios and value pools from `data/scenarios.json`,
//! parsed once and checked as a whole. Text lives in data so that new scenarios (and later
//! personas and playbooks) are added without touching the generator.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use rand::Rng;
use rand::seq::IndexedRandom;
use serde::Deserialize;

use super::template::{PERSON_VARIABLES, placeholders};

const SCENARIOS_JSON: &str = include_str!("data/scenarios.json");

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Library {
    /// Pools of values per placeholder; `#` in a value stands for a random digit.
    pub variables: BTreeMap<String, Vec<String>>,
    pub phrases: Phrases,
    pub categories: Vec<Category>,
}

/// The framing around every scenario's text: greetings, openers and sign-offs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Phrases {
    pub customer_openers: Vec<String>,
    pub customer_closings: Vec<String>,
    pub customer_reply_openers: Vec<String>,
    pub customer_reply_closings: Vec<String>,
    pub agent_greetings: Vec<String>,
    pub agent_reply_closers: Vec<String>,
    pub resolution_greetings: Vec<String>,
    pub resolution_closers: Vec<String>,
    pub agent_signoffs: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Category {
    pub name: String,
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
    pub subjects: Vec<String>,
    pub descriptions: Vec<Body>,
    pub exchanges: Vec<Exchange>,
    pub resolutions: Vec<Body>,
}

/// An agent question with the customer answers that fit it, kept together so the
/// customer always answers what was asked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Exchange {
    pub agent: Body,
    pub customer: Vec<Body>,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum LibraryError {
    #[error("scenario data is not valid JSON: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("scenario data is inconsistent: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// The embedded library, or `None` if it failed its checks. Tests prove it parses, so
/// `None` never happens in a shipped build; the caller still degrades instead of panicking.
pub(super) fn get() -> Option<&'static Library> {
    static LIBRARY: OnceLock<Option<Library>> = OnceLock::new();
    LIBRARY
        .get_or_init(|| Library::parse(SCENARIOS_JSON).ok())
        .as_ref()
}

impl Phrases {
    fn lists(&self) -> [(&'static str, &[String]); 9] {
        [
            ("customer_openers", &self.customer_openers),
            ("customer_closings", &self.customer_closings),
            ("customer_reply_openers", &self.customer_reply_openers),
            ("customer_reply_closings", &self.customer_reply_closings),
            ("agent_greetings", &self.agent_greetings),
            ("agent_reply_closers", &self.agent_reply_closers),
            ("resolution_greetings", &self.resolution_greetings),
            ("resolution_closers", &self.resolution_closers),
            ("agent_signoffs", &self.agent_signoffs),
        ]
    }
}

impl Library {
    pub fn parse(json: &str) -> Result<Self, LibraryError> {
        let library: Library = serde_json::from_str(json)?;
        let problems = library.problems();
        if problems.is_empty() {
            Ok(library)
        } else {
            Err(LibraryError::Invalid(problems))
        }
    }

    /// A category first, then one of its scenarios, so every category is equally likely
    /// however many scenarios it has.
    pub fn pick_scenario<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&Category, &Scenario)> {
        let category = self.categories.choose(rng)?;
        let scenario = category.scenarios.choose(rng)?;
        Some((category, scenario))
    }

    /// Every problem found, so one test run lists them all.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.check_pools(&mut out);
        let known = self.known_placeholders();
        for (list, phrases) in self.phrases.lists() {
            require(
                !phrases.is_empty(),
                || format!("phrases.{list} is empty"),
                &mut out,
            );
            for phrase in phrases {
                check_template(&known, phrase, &mut out);
            }
        }
        require(
            !self.categories.is_empty(),
            || "no categories".into(),
            &mut out,
        );
        let mut names = BTreeSet::new();
        for category in &self.categories {
            check_tag(&category.name, &mut out);
            require(
                names.insert(&category.name),
                || format!("category {} repeated", category.name),
                &mut out,
            );
            require(
                !category.scenarios.is_empty(),
                || format!("{} has no scenarios", category.name),
                &mut out,
            );
            for scenario in &category.scenarios {
                self.check_scenario(&known, scenario, &mut out);
            }
        }
        out
    }

    fn known_placeholders(&self) -> BTreeSet<&str> {
        let pools = self.variables.keys().map(String::as_str);
        pools.chain(PERSON_VARIABLES).collect()
    }

    fn check_pools(&self, out: &mut Vec<String>) {
        for (name, values) in &self.variables {
            require(!values.is_empty(), || format!("pool {name} is empty"), out);
            require(
                !PERSON_VARIABLES.contains(&name.as_str()),
                || format!("pool {name} shadows a person"),
                out,
            );
            for value in values {
                let clean = !value.trim().is_empty() && !value.contains(['{', '}', '\n']);
                require(
                    clean,
                    || format!("pool {name} has bad value {value:?}"),
                    out,
                );
            }
        }
    }

    fn check_scenario(&self, known: &BTreeSet<&str>, s: &Scenario, out: &mut Vec<String>) {
        self.check_scenario_fields(s, out);
        self.check_scenario_text(known, s, out);
    }

    /// Type, priority, tags, key and non-empty variant lists.
    fn check_scenario_fields(&self, s: &Scenario, out: &mut Vec<String>) {
        let at = |what: &str| format!("scenario {}: {what}", s.name);
        require(!s.name.is_empty(), || at("empty name"), out);
        require(
            TICKET_TYPES.contains(&s.ticket_type.as_str()),
            || at("unknown ticket_type"),
            out,
        );
        let [low, high] = s.priority;
        require(
            (1..=high).contains(&low) && high <= 4,
            || at("priority outside 1..=4"),
            out,
        );
        s.tags.iter().for_each(|tag| check_tag(tag, out));
        require(
            self.variables.contains_key(&s.key),
            || at("key is not a pool"),
            out,
        );
        let lists = [
            s.subjects.len(),
            s.descriptions.len(),
            s.exchanges.len(),
            s.resolutions.len(),
        ];
        require(
            lists.iter().all(|&n| n > 0),
            || at("a variant list is empty"),
            out,
        );
    }

    /// Placeholders, subject length, and the key variable in every agent message.
    fn check_scenario_text(&self, known: &BTreeSet<&str>, s: &Scenario, out: &mut Vec<String>) {
        let at = |what: &str| format!("scenario {}: {what}", s.name);
        for subject in &s.subjects {
            check_template(known, subject, out);
            let longest = self.longest_fill(subject);
            require(
                longest <= SUBJECT_MAX_CHARS,
                || at(&format!("subject can reach {longest} chars")),
                out,
            );
        }
        let key = format!("{{{}}}", s.key);
        for body in s
            .resolutions
            .iter()
            .chain(s.exchanges.iter().map(|e| &e.agent))
        {
            require(
                body.iter().any(|p| p.contains(&key)),
                || at(&format!("agent text without {key}")),
                out,
            );
        }
        let answers = s.exchanges.iter().flat_map(|e| &e.customer);
        for body in s.descriptions.iter().chain(&s.resolutions).chain(answers) {
            require(!body.is_empty(), || at("empty body"), out);
            body.iter().for_each(|p| check_template(known, p, out));
        }
        for exchange in &s.exchanges {
            require(
                !exchange.customer.is_empty(),
                || at("question without answers"),
                out,
            );
            exchange
                .agent
                .iter()
                .for_each(|p| check_template(known, p, out));
        }
    }

    /// The most characters `template` can fill to, taking the longest value of each pool
    /// (a `#` is one character, like the digit that replaces it).
    fn longest_fill(&self, template: &str) -> usize {
        let Ok(names) = placeholders(template) else {
            return usize::MAX;
        };
        let longest = |name: &str| {
            let values = self
                .variables
                .get(name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            values.iter().map(|v| v.chars().count()).max().unwrap_or(0)
        };
        let placeholder_chars: usize = names.iter().map(|n| n.chars().count() + 2).sum();
        let filled: usize = names.iter().map(|n| longest(n)).sum();
        template.chars().count() - placeholder_chars + filled
    }
}

fn require(ok: bool, problem: impl FnOnce() -> String, out: &mut Vec<String>) {
    if !ok {
        out.push(problem());
    }
}

fn check_template(known: &BTreeSet<&str>, template: &str, out: &mut Vec<String>) {
    match placeholders(template) {
        Ok(names) => {
            for name in names.into_iter().filter(|n| !known.contains(n)) {
                out.push(format!("unknown placeholder {{{name}}} in {template:?}"));
            }
        }
        Err(problem) => out.push(problem),
    }
}

/// Freshdesk caps tags at 32 characters and forbids commas; we also keep them lowercase
/// slugs so they are easy to search for (`tag:'billing'`).
pub(super) fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.chars().count() <= TAG_MAX_CHARS
        && tag
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn check_tag(tag: &str, out: &mut Vec<String>) {
    require(is_valid_tag(tag), || format!("bad tag {tag:?}"), out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_scenario_data_parses_and_passes_every_check() {
        if let Err(error) = Library::parse(SCENARIOS_JSON) {
            panic!("{error}");
        }
        assert!(get().is_some());
    }

    #[test]
    fn embedded_data_has_at_least_six_categories_of_two_scenarios_each() {
        let library = Library::parse(SCENARIOS_JSON).unwrap();
        assert!(library.categories.len() >= 6);
        for category in &library.categories {
            assert!(category.scenarios.len() >= 2, "{}", category.name);
        }
    }

    #[test]
    fn broken_data_is_reported_with_every_problem() {
        let mut library = Library::parse(SCENARIOS_JSON).unwrap();
        let scenario = &mut library.categories[0].scenarios[0];
        scenario.ticket_type = "Complaint".into();
        scenario.priority = [3, 5];
        scenario.subjects.push("About {ordr}".into());
        scenario.resolutions = vec![vec!["Fixed it.".into()]];
        let problems = library.problems();
        assert_eq!(problems.len(), 4, "{problems:#?}");
    }

    #[test]
    fn malformed_json_is_a_parse_error_not_a_panic() {
        assert!(matches!(Library::parse("{"), Err(LibraryError::Parse(_))));
    }

    #[test]
    fn tags_must_be_short_lowercase_slugs() {
        assert!(is_valid_tag("password-reset"));
        assert!(!is_valid_tag("Billing"));
        assert!(!is_valid_tag("a,b"));
        assert!(!is_valid_tag(""));
        assert!(!is_valid_tag(&"x".repeat(33)));
    }
}
