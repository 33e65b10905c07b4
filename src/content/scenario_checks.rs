//! Checks of one scenario: its fields, its texts, and what goes with each
//! description (subjects) and resolution (second fixes).

use std::collections::BTreeSet;

use super::checks::{check_body, check_tag, check_template, longest_fill, scenario_known};
use super::library::{Library, OUTCOMES, SUBJECT_MAX_CHARS, Scenario, TICKET_TYPES};
use super::load::{At, Problems, json_text, quoted};

pub(super) fn check_scenario(library: &Library, s: &Scenario, out: &mut Problems) {
    let anchor = quoted(&s.name);
    check_scenario_fields(library, s, &anchor, out);
    check_scenario_text(library, s, &anchor, out);
}

/// Name, type, priority, tags, key, playbook weights and non-empty variant lists.
fn check_scenario_fields(library: &Library, s: &Scenario, anchor: &str, out: &mut Problems) {
    let at = At::new(anchor, &[]);
    let msg = |what: &str| format!("scenario \"{}\": {what}", s.name);
    check_tag("scenario name", &s.name, at, out);
    let ticket_type = quoted(&s.ticket_type);
    out.require(
        TICKET_TYPES.contains(&s.ticket_type.as_str()),
        || {
            msg(&format!(
                "ticket_type must be one of {}",
                TICKET_TYPES.join(", ")
            ))
        },
        At::new(anchor, &[&ticket_type]),
    );
    let [low, high] = s.priority;
    out.require(
        (1..=high).contains(&low) && high <= 4,
        || msg("priority must be [low, high] within 1..=4"),
        At::new(anchor, &["\"priority\""]),
    );
    check_scenario_refs(library, s, anchor, out);
    let lists = [
        ("topics", s.topics.len()),
        ("descriptions", s.descriptions.len()),
        ("exchanges", s.exchanges.len()),
        ("resolutions", s.resolutions.len()),
    ];
    for (list, n) in lists {
        let needle = quoted(list);
        let msg = format!("scenario \"{}\": {list} is empty", s.name);
        out.require(n > 0, || msg, At::new(anchor, &[&needle]));
    }
}

/// Tags, and the names a scenario refers to: its key pool and playbooks.
fn check_scenario_refs(library: &Library, s: &Scenario, anchor: &str, out: &mut Problems) {
    let msg = |what: &str| format!("scenario \"{}\": {what}", s.name);
    for tag in &s.tags {
        let needle = quoted(tag);
        check_tag("tag", tag, At::new(anchor, &[&needle]), out);
    }
    let key = quoted(&s.key);
    out.require(
        library.variables.contains_key(&s.key),
        || msg(&format!("key \"{}\" is not a variable pool", s.key)),
        At::new(anchor, &[&key]),
    );
    for name in s.playbooks.keys() {
        let needle = quoted(name);
        out.require(
            library.playbooks.iter().any(|p| &p.name == name),
            || msg(&format!("unknown playbook \"{name}\" in playbooks")),
            At::new(anchor, &[&needle]),
        );
    }
}

/// Every outcome has a known name and resolutions (their text is checked
/// with the other agent messages).
fn check_outcomes(s: &Scenario, anchor: &str, out: &mut Problems) {
    let msg = |what: &str| format!("scenario \"{}\": {what}", s.name);
    for outcome in &s.outcomes {
        out.require(
            outcome.resolutions.iter().all(|r| r.followups.is_empty()),
            || msg("only a granted resolution has followups (a reopened ticket is granted)"),
            At::new(anchor, &[&format!("\"{}\"", outcome.name), "\"followups\""]),
        );
        out.require(
            OUTCOMES.contains(&outcome.name.as_str()) && !outcome.resolutions.is_empty(),
            || {
                msg(&format!(
                    "outcome \"{}\" must be one of {} and have resolutions",
                    outcome.name,
                    OUTCOMES.join(", ")
                ))
            },
            At::new(anchor, &[&format!("\"{}\"", outcome.name)]),
        );
    }
}

/// Placeholders, subject length, and the key variable in every agent message.
fn check_scenario_text(library: &Library, s: &Scenario, anchor: &str, out: &mut Problems) {
    let known = scenario_known(library);
    let msg = |what: &str| format!("scenario \"{}\": {what}", s.name);
    check_subjects(library, &known, s, anchor, out);
    let key = format!("{{{}}}", s.key);
    let outcome_fixes = s.outcomes.iter().flat_map(|o| &o.resolutions);
    let fixes = s.resolutions.iter().chain(outcome_fixes);
    let paired = s.resolutions.iter().flat_map(|r| &r.followups);
    let agent_bodies = fixes
        .map(|r| &r.text)
        .chain(paired)
        .chain(&s.followups)
        .chain(s.exchanges.iter().map(|e| &e.agent));
    for body in agent_bodies {
        let needle = body.first().map(|t| json_text(t)).unwrap_or_default();
        out.require(
            body.iter().any(|p| p.contains(&key)),
            || msg(&format!("an agent message does not mention the key {key}")),
            At::new(anchor, &[&needle]),
        );
        check_body(&known, body, anchor, out);
    }
    for topic in &s.topics {
        let needle = json_text(topic);
        out.require(
            topic.contains(&key),
            || msg(&format!("a topic does not mention the key {key}")),
            At::new(anchor, &[&needle]),
        );
        check_template(&known, topic, anchor, out);
    }
    let answers = s.exchanges.iter().flat_map(|e| &e.customer);
    let descriptions = s.descriptions.iter().map(|d| &d.text);
    for body in descriptions.chain(&s.reopens).chain(answers) {
        check_body(&known, body, anchor, out);
    }
    check_outcomes(s, anchor, out);
    for exchange in &s.exchanges {
        out.require(
            !exchange.customer.is_empty(),
            || msg("a question has no answers"),
            At::new(anchor, &["\"customer\""]),
        );
    }
}

/// Every description has subjects, its own or the scenario's; each has known
/// placeholders and a length Freshdesk accepts with the longest values.
fn check_subjects(
    library: &Library,
    known: &BTreeSet<&str>,
    s: &Scenario,
    anchor: &str,
    out: &mut Problems,
) {
    for d in &s.descriptions {
        let needle = d.text.first().map(|t| json_text(t)).unwrap_or_default();
        out.require(
            !d.subjects.is_empty() || !s.subjects.is_empty(),
            || {
                format!(
                    "scenario \"{}\": a description has no subjects of its own and the scenario none",
                    s.name
                )
            },
            At::new(anchor, &[&needle]),
        );
    }
    let own = s.descriptions.iter().flat_map(|d| &d.subjects);
    for subject in s.subjects.iter().chain(own) {
        check_template(known, subject, anchor, out);
        let longest = longest_fill(library, subject);
        let needle = json_text(subject);
        let msg = format!(
            "scenario \"{}\": a subject can reach {longest} characters (at most {SUBJECT_MAX_CHARS})",
            s.name
        );
        out.require(
            longest <= SUBJECT_MAX_CHARS,
            || msg,
            At::new(anchor, &[&needle]),
        );
    }
}
