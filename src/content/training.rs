//! Training data: what a trainee must find out and do for a scenario. The
//! hidden root cause, the *clue map* (facts the customer reveals only when
//! asked, each with the words that ask for it), a vague answer for anything
//! else, the words a right fix contains and common wrong fixes with the
//! "still broken" answer that adds one new detail.
//!
//! Built-in scenarios get theirs from `data/training/<scenario>.json`; a
//! scenario of `TICKETSIM_SCENARIOS_DIR` may carry a `training` object. At
//! planning time the texts are filled with the thread's values and shaped by
//! the customer's tone into a [`Sheet`], stored with the lifecycle, so every
//! later answer uses the same order number, product and voice.

use serde::{Deserialize, Serialize};

use super::dice::Dice;
use super::html::paragraphs;
use super::library::Body;
use super::load::{At, Problems};
use super::persona::Tone;
use super::template::Vars;

/// The playbook of training mode: the ticket is created and nothing else is
/// scripted; the customer reacts to the real agents' replies.
pub const TRAINEE: &str = "trainee";

/// Embeds each named file of `data/training/` as `(name, text)`.
macro_rules! training_files {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("data/training/", $name)))),*]
    };
}

/// The built-in training files, by scenario.
pub(super) const FILES: [(&str, &str); 60] = training_files![
    "double-charge.json",
    "payment-failed.json",
    "plan-downgrade-charge.json",
    "unwanted-renewal.json",
    "return-refund-missing.json",
    "cancelled-order-refund.json",
    "password-reset-missing.json",
    "lost-two-factor.json",
    "account-locked.json",
    "late-delivery.json",
    "damaged-item.json",
    "change-address.json",
    "app-crash.json",
    "export-fails.json",
    "service-down.json",
    "slow-performance.json",
    "export-data.json",
    "add-users.json",
    "connect-integration.json",
    "dark-mode.json",
    "bulk-edit.json",
    "phishing-report.json",
    "data-access-request.json",
    "plan-change.json",
    "api-rate-limit.json",
    // The newer scenarios, second half (privacy to account-deletion).
    "data-correction.json",
    "pause-subscription.json",
    "remove-seats.json",
    "webhook-failures.json",
    "calendar-sync.json",
    "single-sign-on.json",
    "invoice-company-details.json",
    "security-questionnaire.json",
    "tax-exemption.json",
    "dead-on-arrival.json",
    "battery-swelling.json",
    "missing-parts.json",
    "data-import.json",
    "training-session.json",
    "workspace-domain.json",
    "delete-account.json",
    "merge-accounts.json",
    // Issue 13, first half (trainingdata1): newer scenarios.
    "currency-change.json",
    "price-drop-refund.json",
    "email-change-verification.json",
    "customs-charge.json",
    "wrong-item.json",
    "notifications-missing.json",
    "wrong-totals.json",
    "email-delivery-delay.json",
    "mobile-app-outage.json",
    "custom-fields.json",
    "recurring-invoices.json",
    "user-permissions.json",
    "two-way-export.json",
    "offline-mode.json",
    "suspicious-login.json",
    "leaked-api-key.json",
    "erasure-request.json",
    "marketing-opt-out.json",
];

/// The customer's chases, one body per level of frustration (the last repeats).
pub(super) const COMMON_JSON: &str = include_str!("data/training/common.json");

/// One built-in training file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TrainingFile {
    pub scenario: String,
    pub training: Training,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CommonFile {
    pub chases: Vec<Body>,
}

/// A scenario's training data, as written in the files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Training {
    /// What is really wrong; shown in the grade, never to the trainee.
    pub root_cause: String,
    pub facts: Vec<FactSpec>,
    /// Answers to a reply that asks about nothing in the clue map.
    pub vague: Vec<Body>,
    /// A right fix contains every word of one entry (`word+word`).
    pub fix: Vec<String>,
    #[serde(default)]
    pub wrong_fixes: Vec<WrongFixSpec>,
    /// The customer's thanks once the right fix works.
    pub confirmation: Vec<Body>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FactSpec {
    pub name: String,
    /// Words or phrases that ask for this fact (case-insensitive).
    pub asks: Vec<String>,
    pub answer: Body,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WrongFixSpec {
    pub name: String,
    /// Words or phrases that propose it (case-insensitive).
    pub asks: Vec<String>,
    /// "Still broken", with one detail the customer had not given.
    pub still_broken: Body,
}

/// One lifecycle's training data, filled in and in the customer's voice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sheet {
    pub root_cause: String,
    pub facts: Vec<SheetFact>,
    pub vague: Vec<String>,
    /// Each entry: lowercase words that must all appear.
    pub fixes: Vec<Vec<String>>,
    pub wrong_fixes: Vec<SheetWrongFix>,
    pub confirmation: Vec<String>,
    /// One body per frustration level, `{agent_first}` left for the reply.
    pub chases: Vec<Vec<String>>,
    /// First and last lines of every answer; may hold `{agent_first}`.
    pub opener: String,
    pub closing: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetFact {
    pub name: String,
    pub asks: Vec<String>,
    pub answer: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetWrongFix {
    pub name: String,
    pub asks: Vec<String>,
    pub still_broken: Vec<String>,
}

/// Placeholder of the replying agent's first name, filled when answering.
const AGENT_FIRST: &str = "{agent_first}";

/// Fills `training` for one thread: `vars` hold its values, `tone` the voice.
pub(super) fn sheet(
    rng: &mut Dice,
    training: &Training,
    chases: &[Body],
    vars: &Vars,
    tone: &Tone,
) -> Sheet {
    let vars = vars.clone().with_agent(AGENT_FIRST);
    let say =
        |body: &Body| -> Vec<String> { tone.shape(body).iter().map(|p| vars.fill(p)).collect() };
    let pick_body =
        |rng: &mut Dice, bodies: &[Body]| rng.pick(bodies).map(&say).unwrap_or_default();
    let lower = |words: &[String]| {
        words
            .iter()
            .map(|w| vars.fill(w.trim()).to_lowercase())
            .collect()
    };
    Sheet {
        root_cause: vars.fill(&training.root_cause),
        facts: (training.facts.iter())
            .map(|f| SheetFact {
                name: f.name.clone(),
                asks: lower(&f.asks),
                answer: say(&f.answer),
            })
            .collect(),
        vague: pick_body(rng, &training.vague),
        fixes: (training.fix.iter())
            .map(|f| {
                f.split('+')
                    .map(|w| vars.fill(w.trim()).to_lowercase())
                    .collect()
            })
            .collect(),
        wrong_fixes: (training.wrong_fixes.iter())
            .map(|w| SheetWrongFix {
                name: w.name.clone(),
                asks: lower(&w.asks),
                still_broken: say(&w.still_broken),
            })
            .collect(),
        confirmation: pick_body(rng, &training.confirmation),
        chases: chases.iter().map(&say).collect(),
        opener: rng
            .pick(&tone.reply_openers)
            .map(|o| vars.fill(o))
            .unwrap_or_default(),
        closing: (rng.pick(&tone.reply_closings))
            .map(|c| vars.fill(c))
            .unwrap_or_default(),
    }
}

impl Sheet {
    /// The customer's message: the opener, `lines`, the closing, as HTML, to
    /// the agent whose first name is `agent_first`.
    pub fn message(&self, lines: &[String], agent_first: &str) -> String {
        let fill = |s: &str| s.replace(AGENT_FIRST, agent_first);
        let all = std::iter::once(fill(&self.opener))
            .chain(lines.iter().map(|l| fill(l)))
            .chain(std::iter::once(fill(&self.closing)));
        paragraphs(all)
    }

    /// The chase for frustration `level` (1 = first chase).
    pub fn chase(&self, level: usize) -> Vec<String> {
        let i = level
            .saturating_sub(1)
            .min(self.chases.len().saturating_sub(1));
        self.chases.get(i).cloned().unwrap_or_default()
    }
}

/// Checks one scenario's training data; `anchor` places problems in the file.
pub(super) fn check(t: &Training, anchor: &str, out: &mut Problems) {
    check_fields(t, anchor, out);
    check_facts(t, anchor, out);
    check_wrong_fixes(t, anchor, out);
}

/// Non-empty words to match.
fn words(list: &[String]) -> bool {
    !list.is_empty() && list.iter().all(|a| !a.trim().is_empty())
}

fn check_fields(t: &Training, anchor: &str, out: &mut Problems) {
    let filled = |bodies: &[Body]| !bodies.is_empty() && bodies.iter().all(|b| !b.is_empty());
    let fix_words = |f: &String| f.split('+').all(|w| !w.trim().is_empty());
    let fixes_ok = !t.fix.is_empty() && t.fix.iter().all(fix_words);
    let rules: [(bool, &str, &str); 5] = [
        (
            !t.root_cause.trim().is_empty(),
            "root_cause is empty",
            "root_cause",
        ),
        (
            !t.facts.is_empty(),
            "facts is empty; give at least one fact the customer reveals when asked",
            "facts",
        ),
        (
            filled(&t.vague),
            "vague needs at least one non-empty answer",
            "vague",
        ),
        (
            filled(&t.confirmation),
            "confirmation needs at least one non-empty answer",
            "confirmation",
        ),
        (
            fixes_ok,
            "fix needs at least one pattern, words joined by `+` (e.g. \"refund+duplicate\"), none empty",
            "\"fix\"",
        ),
    ];
    for (ok, problem, needle) in rules {
        out.require(
            ok,
            || format!("training: {problem}"),
            At::new(anchor, &[needle]),
        );
    }
}

fn check_facts(t: &Training, anchor: &str, out: &mut Problems) {
    let mut names = std::collections::BTreeSet::new();
    for f in &t.facts {
        let q = format!("\"{}\"", f.name);
        let needles = [q.as_str()];
        let at = At::new(anchor, &needles);
        let twice = !names.insert(f.name.as_str());
        let bad = [
            (twice, "is listed twice"),
            (!words(&f.asks), "needs non-empty `asks` words"),
            (f.answer.is_empty(), "has an empty answer"),
        ];
        for (bad, problem) in bad {
            out.require(
                !bad,
                || format!("training: fact \"{}\" {problem}", f.name),
                at,
            );
        }
    }
}

fn check_wrong_fixes(t: &Training, anchor: &str, out: &mut Problems) {
    for w in &t.wrong_fixes {
        let q = format!("\"{}\"", w.name);
        let needles = [q.as_str()];
        let at = At::new(anchor, &needles);
        let bad = [
            (!words(&w.asks), "needs non-empty `asks` words"),
            (
                w.still_broken.is_empty(),
                "has an empty still_broken answer",
            ),
        ];
        for (bad, problem) in bad {
            out.require(
                !bad,
                || format!("training: wrong fix \"{}\" {problem}", w.name),
                at,
            );
        }
    }
}
