//! Checks of the data as a whole, so that a typo fails at start-up (or in the
//! tests, for the built-in data) rather than in a ticket. Each problem says where
//! it is (see `load::Problems`).

use std::collections::BTreeSet;

use super::choice_checks::check_choices;
use super::library::{Category, Library, Phrases, TAG_MAX_CHARS};
use super::load::{At, Problems, json_text, quoted};
use super::persona::{Personas, Tone, is_reserved_domain};
use super::scenario_checks::check_scenario;
use super::template::{PERSON_VARIABLES, THREAD_VARIABLES, placeholders};

/// The built-in scenario file: pools, phrases and scenarios.
pub(super) fn check_embedded(library: &Library) -> Problems {
    let mut out = Problems::default();
    check_pools(library, &mut out);
    check_phrases(library, &mut out);
    out.require(
        !library.categories.is_empty(),
        || "no categories".into(),
        At::new("\"categories\"", &[]),
    );
    check_categories(library, &library.categories, &mut BTreeSet::new(), &mut out);
    super::facts::check_citable(library, &mut out);
    out
}

/// A user's file, against the library it is added to.
pub(super) fn check_user_file(library: &Library, categories: &[Category]) -> Problems {
    let mut out = Problems::default();
    check_pools(library, &mut out);
    let mut names: BTreeSet<&str> = library
        .categories
        .iter()
        .flat_map(|c| c.scenarios.iter().map(|s| s.name.as_str()))
        .collect();
    check_categories(library, categories, &mut names, &mut out);
    out
}

fn check_categories<'a>(
    library: &Library,
    categories: &'a [Category],
    names: &mut BTreeSet<&'a str>,
    out: &mut Problems,
) {
    let mut seen = BTreeSet::new();
    for category in categories {
        let anchor = quoted(&category.name);
        let at = At::new(&anchor, &[]);
        check_tag("category", &category.name, at, out);
        out.require(
            seen.insert(&category.name),
            || {
                format!(
                    "category \"{}\" is listed twice in this file",
                    category.name
                )
            },
            at,
        );
        out.require(
            !category.scenarios.is_empty(),
            || format!("category \"{}\" has no scenarios", category.name),
            at,
        );
        let known = scenario_known(library);
        for detail in &category.details {
            check_template(&known, detail, &anchor, out);
        }
        for fact in &category.citable {
            let needle = quoted(fact);
            out.require(
                library.variables.contains_key(fact),
                || {
                    format!(
                        "category \"{}\": citable \"{fact}\" is not a pool",
                        category.name
                    )
                },
                At::new(&anchor, &[&needle]),
            );
        }
        for scenario in &category.scenarios {
            let anchor = quoted(&scenario.name);
            out.require(
                names.insert(&scenario.name),
                || format!("scenario \"{}\" is defined twice", scenario.name),
                At::new(&anchor, &[]),
            );
            check_scenario(library, scenario, out);
        }
    }
}

fn check_pools(library: &Library, out: &mut Problems) {
    for (name, values) in &library.variables {
        let anchor = quoted(name);
        let at = At::new(&anchor, &[]);
        out.require(!values.is_empty(), || format!("pool {name} is empty"), at);
        let reserved =
            PERSON_VARIABLES.contains(&name.as_str()) || THREAD_VARIABLES.contains(&name.as_str());
        out.require(
            !reserved,
            || format!("pool {name} shadows a built-in placeholder"),
            at,
        );
        for value in values {
            let clean = !value.trim().is_empty() && !value.contains(['{', '}', '\n']);
            let needle = quoted(value);
            out.require(
                clean,
                || format!("pool {name} has a bad value {value:?}"),
                At::new(&anchor, &[&needle]),
            );
        }
    }
}

/// Placeholders a scenario's own text may use.
pub(super) fn scenario_known(library: &Library) -> BTreeSet<&str> {
    let pools = library.variables.keys().map(String::as_str);
    pools.chain(PERSON_VARIABLES).collect()
}

fn check_phrases(library: &Library, out: &mut Problems) {
    let mut known = scenario_known(library);
    known.extend(THREAD_VARIABLES);
    let p: &Phrases = &library.phrases;
    let lines = [
        ("agent_greetings", &p.agent_greetings),
        ("agent_reply_closers", &p.agent_reply_closers),
        ("resolution_greetings", &p.resolution_greetings),
        ("resolution_closers", &p.resolution_closers),
        ("agent_signoffs", &p.agent_signoffs),
        ("handover_lines", &p.handover_lines),
        ("time_notes", &p.time_notes),
    ];
    let citations = p.citations.values().flatten();
    citations.for_each(|t| check_template(&known, t, "\"citations\"", out));
    for (list, phrases) in lines {
        let anchor = quoted(list);
        let at = At::new(&anchor, &[]);
        out.require(
            !phrases.is_empty(),
            || format!("phrases.{list} is empty"),
            at,
        );
        phrases
            .iter()
            .for_each(|t| check_template(&known, t, &anchor, out));
    }
    for line in &p.handover_lines {
        let needle = json_text(line);
        out.require(
            line.contains("{previous_agent_first}"),
            || "a handover line does not name {previous_agent_first}".into(),
            At::new("\"handover_lines\"", &[&needle]),
        );
    }
    check_phrase_bodies(&known, p, out);
}

/// The generic bodies; those that end or chase a conversation must name its
/// `{topic}` (and so its key variable).
fn check_phrase_bodies(known: &BTreeSet<&str>, p: &Phrases, out: &mut Problems) {
    let bodies = [
        ("reopens", &p.reopens, false),
        ("followups", &p.followups, true),
        ("reminders", &p.reminders, true),
        ("no_reply_closings", &p.no_reply_closings, true),
        ("escalation_notes", &p.escalation_notes, false),
        ("work_notes", &p.work_notes, false),
    ];
    for (list, list_bodies, names_topic) in bodies {
        let anchor = quoted(list);
        let at = At::new(&anchor, &[]);
        out.require(
            !list_bodies.is_empty(),
            || format!("phrases.{list} is empty"),
            at,
        );
        for body in list_bodies {
            check_body(known, body, &anchor, out);
            out.require(
                !names_topic || body.iter().any(|t| t.contains("{topic}")),
                || format!("a body of phrases.{list} does not mention {{topic}}"),
                at,
            );
        }
    }
}

pub(super) fn check_body(
    known: &BTreeSet<&str>,
    body: &[String],
    anchor: &str,
    out: &mut Problems,
) {
    out.require(
        !body.is_empty(),
        || "a message body is empty".into(),
        At::new(anchor, &["[]"]),
    );
    body.iter()
        .for_each(|t| check_template(known, t, anchor, out));
}

pub(super) fn check_template(
    known: &BTreeSet<&str>,
    template: &str,
    anchor: &str,
    out: &mut Problems,
) {
    let needle = json_text(template);
    match placeholders(template) {
        Ok(names) => {
            for name in names.into_iter().filter(|n| !known.contains(n)) {
                let placeholder = format!("{{{name}}}");
                out.push(
                    format!("unknown placeholder {placeholder}"),
                    At::new(anchor, &[&placeholder, &needle]),
                );
            }
        }
        Err(problem) => out.push(problem, At::new(anchor, &[&needle])),
    }
    check_choices(template, anchor, &needle, out);
}

/// The most characters `template` can fill to, taking the longest value of each
/// pool (a `#` is one character, like the digit that replaces it).
pub(super) fn longest_fill(library: &Library, template: &str) -> usize {
    let Ok(names) = placeholders(template) else {
        return usize::MAX;
    };
    let longest = |name: &str| {
        let values = library
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

/// Freshdesk caps tags at 32 characters and forbids commas; we also keep them
/// lowercase slugs so they are easy to search for (`tag:'billing'`).
pub(super) fn is_valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.chars().count() <= TAG_MAX_CHARS
        && tag
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(super) fn check_tag(what: &str, tag: &str, at: At, out: &mut Problems) {
    out.require(
        is_valid_tag(tag),
        || format!("bad {what} \"{tag}\": use 1-{TAG_MAX_CHARS} of a-z, 0-9 and -"),
        at,
    );
}

/// Personas; their texts may use the library's pools, like the scenarios.
pub(super) fn check_personas(library: &Library) -> Problems {
    let p: &Personas = &library.personas;
    let mut out = Problems::default();
    let lists = [
        ("first_names", p.first_names.len()),
        ("last_names", p.last_names.len()),
        ("email_domains", p.email_domains.len()),
        ("group_names", p.group_names.len()),
        ("tones", p.tones.len()),
    ];
    for (list, n) in lists {
        let anchor = quoted(list);
        out.require(n > 0, || format!("{list} is empty"), At::new(&anchor, &[]));
    }
    for domain in &p.email_domains {
        let anchor = quoted(domain);
        out.require(
            is_reserved_domain(domain),
            || {
                format!(
                    "email domain \"{domain}\" is not reserved (use example.com or a .test domain)"
                )
            },
            At::new(&anchor, &[]),
        );
    }
    let mut known = scenario_known(library);
    known.insert("topic");
    p.tones
        .iter()
        .for_each(|tone| check_tone(&known, tone, &mut out));
    out
}

/// A tone's lists, texts and rewrites.
fn check_tone(known: &BTreeSet<&str>, tone: &Tone, out: &mut Problems) {
    let anchor = quoted(&tone.name);
    let at = At::new(&anchor, &[]);
    let name = &tone.name;
    out.require(tone.weight > 0, || format!("tone {name} has weight 0"), at);
    let lists = [
        &tone.openers,
        &tone.closings,
        &tone.reply_openers,
        &tone.reopen_openers,
        &tone.reply_closings,
    ];
    out.require(
        lists.iter().all(|l| !l.is_empty()),
        || format!("tone {name} lacks openers or closings"),
        at,
    );
    let extras = &tone.extras;
    let texts = lists.into_iter().flatten().chain(&tone.acknowledgements);
    let texts = texts
        .chain(&extras.description)
        .chain(&extras.answer)
        .chain(&extras.reopen);
    texts.for_each(|t| check_template(known, t, &anchor, out));
    for [from, to] in &tone.rewrites {
        out.require(
            !from.is_empty() && !format!("{from}{to}").contains(['{', '}']),
            || format!("tone {name}: a rewrite is empty or has braces"),
            at,
        );
    }
}
