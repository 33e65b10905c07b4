//! Seeded conversation text for a ticket's lifecycle.
//!
//! [`generate`] writes the whole thread at once: the customer's first message, the agent's
//! first reply, the customer's answer and the agent's resolution. Writing it up front lets
//! the dispatcher store the exact text before each step (so a retry can look for it) and
//! keeps every variable (product, order number, error code, …) the same in all messages.
//!
//! The module is pure: no I/O, no clock; all randomness comes from the caller's RNG, so one
//! seed reproduces the thread exactly (for a given `data/scenarios.json`).
//!
//! Text lives in `data/scenarios.json` (schema: the structs in `library.rs`): categories
//! hold scenarios; a scenario has subject, description and resolution variants, and
//! *exchanges* pairing an agent question with the customer answers that fit it. Messages
//! are lists of plain-text paragraphs; `\n` inside one becomes `<br>`, and everything is
//! HTML-escaped when rendered, so the data never contains markup. Placeholders are `{name}`,
//! filled from the `variables` pools (where `#` is a random digit) or from the people
//! (`{customer_first}`, `{agent_name}`, `{agent_first}`). `{when}` values are adverbials
//! ("yesterday", "on Monday"): use them where "yesterday" would fit. Every agent message
//! must mention the scenario's `key` variable, which keeps replies about the actual problem.
//! The library is checked as a whole by a test, so a typo fails the build's tests rather
//! than a ticket.

mod html;
mod library;
mod template;

#[cfg(test)]
mod tests;

use rand::Rng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

pub use html::html_to_text;

use html::paragraphs;
use library::{Category, Phrases, SUBJECT_MAX_CHARS, Scenario};
use template::Vars;

/// Someone taking part in the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person<'a> {
    /// Display name, e.g. "Nadia Fenwick"; greetings use the first word.
    pub name: &'a str,
}

/// One ticket's conversation, ready to post. HTML fields are built from escaped text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// e.g. "billing"; also the first tag.
    pub category: String,
    /// e.g. "double-charge".
    pub scenario: String,
    /// Plain text, at most 120 characters.
    pub subject: String,
    /// The customer's first message, HTML, signed with the customer's first name.
    pub description: String,
    /// HTML; greets the customer, names the problem, asks a question; signed by the agent.
    pub agent_reply: String,
    /// HTML; the customer's answer to that question; signed.
    pub customer_reply: String,
    /// HTML; what was done about this problem, naming its key variable; signed by the agent.
    pub resolution: String,
    /// One of Freshdesk's default ticket types.
    pub ticket_type: String,
    /// 1 (low) ..= 4 (urgent).
    pub priority: i64,
    /// Lowercase, at most 32 characters, no commas; the category comes first.
    pub tags: Vec<String>,
}

/// Writes a coherent thread between `customer` and `agent`, using only `rng`.
pub fn generate(rng: &mut impl Rng, customer: &Person, agent: &Person) -> Thread {
    compose(rng, customer, agent).0
}

/// The thread, plus the value of its key variable (tests check the agent's messages name it).
/// The draw order below is part of the output for a seed: keep it stable.
fn compose<R: Rng + ?Sized>(rng: &mut R, customer: &Person, agent: &Person) -> (Thread, String) {
    let Some(library) = library::get() else {
        return fallback(customer, agent);
    };
    let Some((category, scenario)) = library.pick_scenario(rng) else {
        return fallback(customer, agent);
    };
    let vars = Vars::draw(rng, &library.variables).with_people(customer.name, agent.name);
    let subject = vars.fill(pick(rng, &scenario.subjects));
    let [description, agent_reply, customer_reply, resolution] =
        messages(rng, &vars, &library.phrases, scenario);
    let thread = Thread {
        category: category.name.clone(),
        scenario: scenario.name.clone(),
        subject: clip(&subject, SUBJECT_MAX_CHARS),
        description,
        agent_reply,
        customer_reply,
        resolution,
        ticket_type: scenario.ticket_type.clone(),
        priority: priority(rng, scenario),
        tags: tags(category, scenario),
    };
    let key_value = vars.get(&scenario.key).unwrap_or_default().to_owned();
    (thread, key_value)
}

/// The four HTML bodies in posting order. The agent signs both messages the same way, and
/// the customer's answer comes from the same exchange as the agent's question.
fn messages<R: Rng + ?Sized>(rng: &mut R, vars: &Vars, p: &Phrases, s: &Scenario) -> [String; 4] {
    let description = message(
        vars,
        pick(rng, &p.customer_openers),
        pick_body(rng, &s.descriptions),
        &[pick(rng, &p.customer_closings)],
    );
    let exchange = s.exchanges.choose(rng);
    let question = exchange.map(|e| e.agent.as_slice()).unwrap_or_default();
    let answers = exchange.map(|e| e.customer.as_slice()).unwrap_or_default();
    let signoff = pick(rng, &p.agent_signoffs);
    let agent_reply = message(
        vars,
        pick(rng, &p.agent_greetings),
        question,
        &[pick(rng, &p.agent_reply_closers), signoff],
    );
    let customer_reply = message(
        vars,
        pick(rng, &p.customer_reply_openers),
        pick_body(rng, answers),
        &[pick(rng, &p.customer_reply_closings)],
    );
    let resolution = message(
        vars,
        pick(rng, &p.resolution_greetings),
        pick_body(rng, &s.resolutions),
        &[pick(rng, &p.resolution_closers), signoff],
    );
    [description, agent_reply, customer_reply, resolution]
}

/// One phrase, or "" when the list is empty (the data checks rule that out).
fn pick<'a, R: Rng + ?Sized>(rng: &mut R, phrases: &'a [String]) -> &'a str {
    phrases.choose(rng).map(String::as_str).unwrap_or_default()
}

/// One body, or no paragraphs when the list is empty (the data checks rule that out).
fn pick_body<'a, R: Rng + ?Sized>(rng: &mut R, bodies: &'a [Vec<String>]) -> &'a [String] {
    bodies.choose(rng).map(Vec::as_slice).unwrap_or_default()
}

/// Opening line, body paragraphs, then closing lines, filled and rendered as HTML.
fn message(vars: &Vars, opening: &str, body: &[String], closing: &[&str]) -> String {
    let body = body.iter().map(String::as_str);
    let parts = std::iter::once(opening)
        .chain(body)
        .chain(closing.iter().copied());
    paragraphs(parts.map(|part| vars.fill(part)))
}

fn priority<R: Rng + ?Sized>(rng: &mut R, scenario: &Scenario) -> i64 {
    let [low, high] = scenario.priority.map(|p| p.clamp(1, 4));
    if low < high {
        rng.random_range(low..=high)
    } else {
        low
    }
}

fn tags(category: &Category, scenario: &Scenario) -> Vec<String> {
    let mut tags = vec![category.name.clone()];
    for tag in &scenario.tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    tags
}

/// At most `max` characters, cut on a character boundary.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A plain but valid thread, used only if the embedded data were broken (tests forbid it).
fn fallback(customer: &Person, agent: &Person) -> (Thread, String) {
    let vars = Vars::default().with_people(customer.name, agent.name);
    let body = |lines: &[&str]| paragraphs(lines.iter().map(|line| vars.fill(line)));
    let thread = Thread {
        category: "general".into(),
        scenario: "general-question".into(),
        subject: "Question about my account".into(),
        description: body(&[
            "Hi,",
            "I have a question about my account. Could someone get in touch with me?",
            "Thanks,\n{customer_first}",
        ]),
        agent_reply: body(&[
            "Hi {customer_first},",
            "Thanks for reaching out. What would you like to know about your account?",
            "Best regards,\n{agent_name}",
        ]),
        customer_reply: body(&[
            "Hi {agent_first},",
            "I wanted to check that my account details are up to date.",
            "Thanks,\n{customer_first}",
        ]),
        resolution: body(&[
            "Hi {customer_first},",
            "I've checked your account, and all your details are up to date.",
            "Best regards,\n{agent_name}",
        ]),
        ticket_type: "Question".into(),
        priority: 1,
        tags: vec!["general".into()],
    };
    (thread, String::new())
}
