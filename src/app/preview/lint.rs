//! `preview --lint`: rule violations in previewed lifecycles, each with the
//! lifecycle, the step and the words at fault: the fact rules (from the facts
//! the content records) and the mechanical ones (from the text).

use std::fmt;

use serde::Serialize;

use super::PreviewLifecycle;
use super::corpus::{body_lines, raw_words};
use crate::content::starts_with_vowel_sound;
use crate::domain::Stage;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    StatedFactAsked,
    NoFactCited,
    DoubledWord,
    Article,
    SameFirstName,
    CrossCategory,
    TimePhrase,
    TimeEntry,
}

impl Rule {
    pub const ALL: [Rule; 8] = [
        Rule::StatedFactAsked,
        Rule::NoFactCited,
        Rule::DoubledWord,
        Rule::Article,
        Rule::SameFirstName,
        Rule::CrossCategory,
        Rule::TimePhrase,
        Rule::TimeEntry,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            Rule::StatedFactAsked => "question for a fact already stated",
            Rule::NoFactCited => "resolution cites no fact the customer gave",
            Rule::DoubledWord => "doubled word",
            Rule::Article => "a/an before the wrong sound",
            Rule::SameFirstName => "customer and agent share a first name",
            Rule::CrossCategory => "phrase from another category",
            Rule::TimePhrase => "time phrase longer than the real gap",
            Rule::TimeEntry => "time entry longer than the lifecycle",
        }
    }
}

/// One violation: where (lifecycle, 1-based; step index, `None` for the
/// lifecycle as a whole) and the words at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub lifecycle: usize,
    pub step: Option<usize>,
    pub rule: Rule,
    pub excerpt: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.rule.describe(), self.excerpt)
    }
}

/// Phrases that belong to some categories only: (lowercase phrase, where it fits).
const CATEGORY_PHRASES: [(&str, &[&str]); 6] = [
    ("reproduc", &["bug-report", "outage", "integrations"]),
    ("test account", &["bug-report", "outage", "integrations"]),
    ("dark mode", &["feature-request"]),
    (
        "is happening again",
        &["bug-report", "outage", "account-access", "billing"],
    ),
    (
        "came as a surprise",
        &[
            "billing",
            "refund",
            "shipping",
            "outage",
            "bug-report",
            "account-access",
        ],
    ),
    (
        "using acme",
        &[
            "billing",
            "refund",
            "account-access",
            "bug-report",
            "outage",
            "how-to",
            "feature-request",
        ],
    ),
];

/// Phrases that promise a wait: (lowercase phrase, the least gap in ms to the
/// next step that makes them true).
/// Only promises about the ticket count: "the parcel leaves tomorrow" does not.
const TIME_PHRASES: [(&str, i64); 8] = [
    ("few more days", 2 * DAY),
    ("next few days", 2 * DAY),
    ("in a few days", 2 * DAY),
    ("next week", 3 * DAY),
    ("back to you tomorrow", 12 * HOUR),
    ("update you tomorrow", 12 * HOUR),
    ("back to you later today", 2 * HOUR),
    ("back to you this afternoon", HOUR),
];
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Every violation in `lifecycles`, in order.
pub fn lint(lifecycles: &[PreviewLifecycle]) -> Vec<Violation> {
    lifecycles.iter().flat_map(lint_one).collect()
}

/// (step, rule, excerpt) of one lifecycle's violations.
type Found = Vec<(Option<usize>, Rule, String)>;

fn lint_one(l: &PreviewLifecycle) -> Vec<Violation> {
    let mut found: Found = Vec::new();
    if let Some(name) = same_first_name(l) {
        found.push((None, Rule::SameFirstName, name));
    }
    fact_violations(l, &mut found);
    for i in 0..l.steps.len() {
        step_violations(l, i, &mut found);
    }
    let violation = |(step, rule, excerpt)| Violation {
        lifecycle: l.lifecycle,
        step,
        rule,
        excerpt,
    };
    found.into_iter().map(violation).collect()
}

/// A question for a fact the description stated; a resolution citing none.
fn fact_violations(l: &PreviewLifecycle, found: &mut Found) {
    let step_of = |kind: Stage| l.steps.iter().position(|s| s.kind == kind);
    let facts = &l.facts;
    let repeated: Vec<&str> = facts
        .asked
        .intersection(&facts.stated)
        .map(String::as_str)
        .collect();
    if let (Some(i), false) = (step_of(Stage::AgentReply), repeated.is_empty()) {
        found.push((Some(i), Rule::StatedFactAsked, repeated.join(", ")));
    }
    if let (Some(i), true) = (step_of(Stage::Resolve), facts.cited.is_empty()) {
        let known: Vec<&str> = facts
            .stated
            .union(&facts.answered)
            .map(String::as_str)
            .collect();
        found.push((
            Some(i),
            Rule::NoFactCited,
            format!("customer gave {}", known.join(", ")),
        ));
    }
}

/// The text rules on every line of step `i`, and its time entry.
fn step_violations(l: &PreviewLifecycle, i: usize, found: &mut Found) {
    let step = &l.steps[i];
    let lines = step.body.as_deref().map(body_lines).unwrap_or_default();
    let gap = l
        .steps
        .get(i + 1)
        .map(|next| next.offset_ms - step.offset_ms);
    for line in lines.iter().chain(&step.params.note) {
        let mut add = |rule, excerpt: String| found.push((Some(i), rule, excerpt));
        doubled_words(line)
            .into_iter()
            .for_each(|e| add(Rule::DoubledWord, e));
        wrong_articles(line)
            .into_iter()
            .for_each(|e| add(Rule::Article, e));
        if let Some(p) = foreign_phrase(line, &l.category) {
            add(Rule::CrossCategory, p.to_string());
        }
        if let Some(p) = gap.and_then(|g| too_long_phrase(line, g)) {
            add(Rule::TimePhrase, p.to_string());
        }
    }
    let span = l.steps.iter().map(|s| s.offset_ms).max().unwrap_or(0);
    let minutes = (step.kind == Stage::TimeEntry)
        .then_some(step.params.minutes)
        .flatten();
    if let Some(m) = minutes.filter(|m| m * 60_000 > span) {
        let excerpt = format!("{m} minutes in a lifecycle of {} minutes", span / 60_000);
        found.push((Some(i), Rule::TimeEntry, excerpt));
    }
}

/// The shared first name when the customer and an agent who writes have one.
fn same_first_name(l: &PreviewLifecycle) -> Option<String> {
    let first = |name: &str| name.split_whitespace().next().map(str::to_lowercase);
    let customer = first(&l.customer.name)?;
    let agents = l
        .steps
        .iter()
        .filter(|s| s.author.as_deref() == Some("agent"))
        .filter_map(|s| s.author_name.as_deref())
        .chain([l.agent.name.as_str()]);
    let mut agents = agents.filter_map(first);
    agents
        .any(|a| a == customer)
        .then(|| l.customer.name.clone())
}

/// "team team": the same word twice with only a space between.
pub fn doubled_words(line: &str) -> Vec<String> {
    let words = raw_words(line);
    words
        .windows(2)
        .filter(|w| {
            let between = &line[w[0].0 + w[0].1.len()..w[1].0];
            between.chars().all(char::is_whitespace) && w[0].1.eq_ignore_ascii_case(w[1].1)
        })
        .map(|w| format!("{} {}", w[0].1, w[1].1))
        .collect()
}

/// "a Acme", "an monitor": an article that does not fit the next word's sound.
pub fn wrong_articles(line: &str) -> Vec<String> {
    let words = raw_words(line);
    words
        .windows(2)
        .filter(|w| {
            let between = &line[w[0].0 + w[0].1.len()..w[1].0];
            let article = w[0].1.to_lowercase();
            let next_is_word = between.trim_matches([' ', '"', '\'', '(']).is_empty();
            let vowel = starts_with_vowel_sound(w[1].1);
            next_is_word && ((article == "a" && vowel) || (article == "an" && !vowel))
        })
        .map(|w| format!("{} {}", w[0].1, w[1].1))
        .collect()
}

/// A phrase of [`CATEGORY_PHRASES`] used outside its categories.
pub fn foreign_phrase(line: &str, category: &str) -> Option<&'static str> {
    let lower = line.to_lowercase();
    CATEGORY_PHRASES
        .iter()
        .find(|(p, fits)| lower.contains(p) && !fits.contains(&category))
        .map(|(p, _)| *p)
}

/// A phrase of [`TIME_PHRASES`] that promises more time than `gap_ms` gives.
pub fn too_long_phrase(line: &str, gap_ms: i64) -> Option<&'static str> {
    let lower = line.to_lowercase();
    TIME_PHRASES
        .iter()
        .find(|(p, least)| lower.contains(p) && gap_ms < *least)
        .map(|(p, _)| *p)
}
