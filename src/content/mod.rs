//! Seeded conversation text for a ticket's lifecycle.
//!
//! [`compose`] writes a whole lifecycle at once: the scenario, the playbook, the
//! ticket's fields and every message, in posting order. Writing it up front lets
//! the dispatcher store the exact text before each step (so a retry can look for
//! it) and keeps every variable (product, order number, error code, …) the same in
//! all messages.
//!
//! The module is pure: no I/O except reading the user's scenario directory once
//! ([`Library::load`]), no clock; all randomness comes from [`Dice`], a PRNG
//! specified in this crate, so one seed reproduces the lifecycle exactly (for a
//! given library) on every build and `rand` version.
//!
//! Data (schemas: the structs in `library.rs`, `persona.rs`, `playbook.rs`):
//! - `data/scenarios.json`: value pools, the agents' phrases, and categories of
//!   scenarios. A scenario has subject, description, topic and resolution
//!   variants, and *exchanges* pairing an agent question with the customer answers
//!   that fit it. Messages are lists of plain-text paragraphs; `\n` inside one
//!   becomes `<br>`, and everything is HTML-escaped when rendered, so the data
//!   never contains markup. Placeholders are `{name}`, filled from the pools
//!   (where `#` is a random digit) or from the people (`{customer_first}`,
//!   `{agent_name}`, `{agent_first}`, and in generic phrases `{previous_agent_first}`,
//!   `{group}`, `{topic}`, `{wait}`). Every agent message names the scenario's
//!   `key` variable, which keeps replies about the actual problem. Optional
//!   `outcomes` add endings other than `granted` (`outcome.rs`); an exchange's
//!   optional `asks` names the facts its question asks for (`facts.rs`). Any text
//!   may offer wordings, `[Thanks|Many thanks]`, one drawn per use (`template.rs`;
//!   no fact inside a choice). `phrases.citations` open a resolution that would
//!   otherwise cite nothing the customer gave; a category's `details` are
//!   paragraphs customers add to its descriptions.
//! - `data/personas.json`: names, reserved email domains and the customers'
//!   tones (how they open, phrase, pad and sign their messages).
//! - `data/playbooks.json`: the sequences of steps a lifecycle can follow.
//!
//! Everything is checked as a whole when loaded (see `checks.rs`), so a typo stops
//! the program at start-up with `file:line:column`, not in a ticket.

mod agent;
mod checks;
mod choice_checks;
mod compose;
mod dice;
mod facts;
mod html;
mod library;
mod load;
mod outcome;
mod persona;
mod playbook;
mod playbook_checks;
mod scenario_checks;
mod template;
mod training;
mod variants;

#[cfg(test)]
mod coherence_tests;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod library_tests;
#[cfg(test)]
mod tests;

use rand::RngCore;
use serde::Serialize;

use crate::domain::{Stage, StageOffsets, StepParams};

pub use dice::Dice;
pub use facts::Facts;
pub use html::html_to_text;
pub use library::Library;
pub use load::LoadError;
pub use persona::{MadeUpPerson, is_reserved_domain};
pub use playbook::{CLASSIC, Selection};
pub use template::starts_with_vowel_sound;
pub use training::{Sheet, SheetFact, SheetWrongFix, TRAINEE};

use html::paragraphs;

/// Plain-text lines as HTML paragraphs (escaped), e.g. for a private note.
pub fn plain_paragraphs(lines: &[String]) -> String {
    paragraphs(lines)
}

/// The people of one lifecycle, by display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cast<'a> {
    /// The customer, e.g. "Nadia Fenwick"; greetings use the first word.
    pub customer: &'a str,
    /// Fixes the customer's tone (the contact's id): one customer, one tone.
    pub customer_key: u64,
    /// The agent the ticket is assigned to.
    pub agent: &'a str,
    /// Fixes the agent's writing style (the agent's id): one agent, one style.
    pub agent_key: u64,
    /// Who an escalation goes to (the same agent when there is nobody else).
    pub escalation_agent: &'a str,
    /// The escalation agent's id, for their style.
    pub escalation_agent_key: u64,
    /// The group an escalation goes to, as named in the texts.
    pub escalation_group: &'a str,
}

/// Who a step is done as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Customer,
    /// The agent the ticket was first assigned to.
    Agent,
    /// The agent an escalation reassigned the ticket to.
    EscalationAgent,
}

impl Author {
    /// `customer` or `agent`, as stored and exported.
    pub fn kind(self) -> &'static str {
        match self {
            Author::Customer => "customer",
            Author::Agent | Author::EscalationAgent => "agent",
        }
    }
}

/// One lifecycle, written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Script {
    /// e.g. "billing"; also the first tag.
    pub category: String,
    /// e.g. "double-charge".
    pub scenario: String,
    /// e.g. "classic".
    pub playbook: String,
    /// The customer's tone, e.g. "polite".
    pub tone: String,
    /// How the resolution ends for the customer: `granted` (they get what they
    /// asked for), or e.g. `refused`, `partial`, `workaround`.
    pub outcome: String,
    /// Plain text, at most 120 characters.
    pub subject: String,
    /// One of Freshdesk's default ticket types.
    pub ticket_type: String,
    /// 1 (low) ..= 4 (urgent) at creation.
    pub priority: i64,
    /// Lowercase, at most 32 characters, no commas; the category comes first.
    pub tags: Vec<String>,
    /// The value of the scenario's key variable (order number, product, error code).
    pub key: String,
    /// What the customer stated, what the agent asked, what the resolution cites.
    pub facts: Facts,
    /// In order; the first is the creation, whose body is the description.
    pub steps: Vec<ScriptStep>,
    /// The `trainee` playbook's clue map and answers, filled in for this thread.
    pub training: Option<Sheet>,
}

/// One step of a lifecycle, written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptStep {
    pub kind: Stage,
    /// From the ticket's creation.
    pub offset_ms: i64,
    /// Who writes the message or logs the time.
    pub author: Option<Author>,
    /// HTML, for the kinds that send a message.
    pub body: Option<String>,
    /// A private note.
    pub private: bool,
    /// Status, priority, tags (this module's own, category first) and time; the
    /// planner adds what only it knows (ids, the configured tag).
    pub params: StepParams,
}

impl Script {
    /// The ticket's description (the creation's body).
    pub fn description(&self) -> &str {
        self.steps
            .first()
            .and_then(|s| s.body.as_deref())
            .unwrap_or_default()
    }
}

/// Writes a whole lifecycle for `cast`: a scenario and a playbook among
/// `selection`, timed by `offsets`. Takes one number from `rng` and seeds the
/// content's own [`Dice`] with it (see [`compose_seeded`]).
pub fn compose<R: RngCore + ?Sized>(
    rng: &mut R,
    library: &Library,
    selection: &Selection,
    offsets: &StageOffsets,
    cast: &Cast,
) -> Script {
    compose_seeded(rng.next_u64(), library, selection, offsets, cast)
}

/// [`compose`] from a seed: every draw comes from [`Dice`], whose algorithm is
/// fixed in this crate, so one seed gives the same text on every build.
pub fn compose_seeded(
    seed: u64,
    library: &Library,
    selection: &Selection,
    offsets: &StageOffsets,
    cast: &Cast,
) -> Script {
    let mut dice = Dice::new(seed);
    compose::compose(&mut dice, library, selection, offsets, cast)
        .unwrap_or_else(|| fallback(cast, offsets))
}

/// The classic steps of the fallback thread: kind, stage units, author, lines.
type FallbackStep = (Stage, f64, Option<Author>, &'static [&'static str]);

const FALLBACK_STEPS: [FallbackStep; 5] = [
    (
        Stage::Create,
        0.0,
        Some(Author::Customer),
        &[
            "Hi,",
            "I have a question about my account. Could someone get in touch with me?",
            "Thanks,\n{customer_first}",
        ],
    ),
    (
        Stage::AgentReply,
        1.0,
        Some(Author::Agent),
        &[
            "Hi {customer_first},",
            "Thanks for reaching out. What would you like to know about your account?",
            "Best regards,\n{agent_name}",
        ],
    ),
    (
        Stage::CustomerReply,
        2.0,
        Some(Author::Customer),
        &[
            "Hi {agent_first},",
            "I wanted to check that my account details are up to date.",
            "Thanks,\n{customer_first}",
        ],
    ),
    (
        Stage::Resolve,
        3.0,
        Some(Author::Agent),
        &[
            "Hi {customer_first},",
            "I've checked your account, and all your details are up to date.",
            "Best regards,\n{agent_name}",
        ],
    ),
    (Stage::Close, 4.0, None, &[]),
];

/// A plain but valid classic thread, used only if the built-in data were broken
/// (tests forbid it).
fn fallback(cast: &Cast, offsets: &StageOffsets) -> Script {
    let vars = template::Vars::default().with_people(cast.customer, cast.agent);
    let steps = FALLBACK_STEPS
        .iter()
        .map(|&(kind, units, author, lines)| ScriptStep {
            kind,
            offset_ms: offsets.at(units),
            author,
            body: (!lines.is_empty()).then(|| paragraphs(lines.iter().map(|l| vars.fill(l)))),
            private: false,
            params: StepParams::default(),
        })
        .collect();
    Script {
        category: "general".into(),
        scenario: "general-question".into(),
        playbook: CLASSIC.into(),
        tone: "polite".into(),
        outcome: "granted".into(),
        facts: Facts::default(),
        subject: "Question about my account".into(),
        ticket_type: "Question".into(),
        priority: 1,
        tags: vec!["general".into()],
        key: String::new(),
        steps,
        training: None,
    }
}

/// The people the content tests write for.
#[cfg(test)]
pub(crate) const TEST_CAST: Cast<'static> = Cast {
    customer: "Nadia Fenwick",
    customer_key: 7,
    agent: "Omar Haddad",
    agent_key: 11,
    escalation_agent: "Priya Raman",
    escalation_agent_key: 12,
    escalation_group: "Tier 2 Support",
};
