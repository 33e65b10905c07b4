//! One story per ticket: the subject fits its description, a second fix
//! follows on from the first, and a citation line is about a fact that
//! matters to the category. Checked on the variants each lifecycle was
//! written from (`compose::Trace`), over every built-in scenario.

use std::collections::{BTreeMap, BTreeSet};

use super::compose::{Trace, compose_traced};
use super::dice::Dice;
use super::facts::stated;
use super::library::{Body, Category, Library, Scenario};
use super::template::placeholders;
use super::{Cast, Script, Selection};
use crate::domain::StageOffsets;

use super::TEST_CAST as CAST;

/// Lifecycles with `selection` until every scenario has been written
/// `each` times, with the variants used, the category and the scenario.
fn lifecycles<'a>(
    lib: &'a Library,
    selection: &str,
    each: usize,
) -> Vec<(Script, Trace<'a>, &'a Category, &'a Scenario)> {
    let selection = Selection::parse(selection, &lib.playbook_names()).unwrap();
    let by_name: BTreeMap<&str, (&Category, &Scenario)> = lib
        .categories
        .iter()
        .flat_map(|c| c.scenarios.iter().map(move |s| (s.name.as_str(), (c, s))))
        .collect();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = vec![];
    for seed in 0..50_000u64 {
        if seen.len() == by_name.len() && seen.values().all(|n| *n >= each) {
            return out;
        }
        let cast = Cast {
            customer_key: seed,
            ..CAST
        };
        let mut rng = Dice::new(seed);
        let offsets = StageOffsets::DEFAULT;
        let (script, trace) = compose_traced(&mut rng, lib, &selection, &offsets, &cast).unwrap();
        let (name, (category, scenario)) = by_name.get_key_value(script.scenario.as_str()).unwrap();
        *seen.entry(name).or_default() += 1;
        out.push((script, trace, *category, *scenario));
    }
    panic!("some scenarios were never written: {seen:?}");
}

/// Whether `text` is `template` filled in: any value for a placeholder, one
/// option for each choice, "a" or "an" to fit the value.
fn fills(template: &str, text: &str) -> bool {
    let a = |t: &str| {
        format!(" {t}")
            .replace(" an ", " a ")
            .replace(" An ", " A ")
    };
    fn matches(t: &str, s: &str) -> bool {
        if let Some(rest) = t.strip_prefix('{') {
            let (_, after) = rest.split_once('}').unwrap();
            return (1..=s.len())
                .filter(|i| s.is_char_boundary(*i))
                .any(|i| matches(after, &s[i..]));
        }
        if let Some(rest) = t.strip_prefix('[') {
            let (options, after) = rest.split_once(']').unwrap();
            return options
                .split('|')
                .any(|o| s.strip_prefix(o).is_some_and(|s| matches(after, s)));
        }
        match t.chars().next() {
            None => s.is_empty(),
            Some(c) => s
                .strip_prefix(c)
                .is_some_and(|s| matches(&t[c.len_utf8()..], s)),
        }
    }
    matches(&a(template), &a(text))
}

#[test]
fn every_subject_comes_from_those_allowed_for_its_description() {
    let lib = Library::embedded();
    for (script, trace, _, scenario) in lifecycles(&lib, "all", 20) {
        let description = trace.description.expect("a description");
        let allowed = match description.subjects.is_empty() {
            true => &scenario.subjects,
            false => &description.subjects,
        };
        assert!(
            allowed.iter().any(|t| fills(t, &script.subject)),
            "{}: subject {:?} is not one of {allowed:?}",
            script.scenario,
            script.subject
        );
    }
}

#[test]
fn a_built_in_subject_states_only_facts_its_description_states() {
    let lib = Library::embedded();
    for s in lib.categories.iter().flat_map(|c| &c.scenarios) {
        for d in &s.descriptions {
            let described = stated(&d.text);
            assert!(
                !d.subjects.is_empty(),
                "{}: a description without subjects",
                s.name
            );
            for subject in &d.subjects {
                let names = placeholders(subject).unwrap();
                let extra: Vec<_> = names.iter().filter(|n| !described.contains(**n)).collect();
                assert!(extra.is_empty(), "{}: {subject:?} states {extra:?}", s.name);
            }
        }
    }
}

/// The second fixes that may follow `first`: its own, else the scenario's,
/// else the generic ones.
fn allowed_followups<'a>(lib: &'a Library, s: &'a Scenario, trace: &Trace<'a>) -> &'a [Body] {
    let own = trace
        .first_fix
        .map(|r| r.followups.as_slice())
        .unwrap_or_default();
    [own, &s.followups, &lib.phrases.followups]
        .into_iter()
        .find(|l| !l.is_empty())
        .unwrap_or_default()
}

#[test]
fn a_second_fix_follows_on_from_the_first() {
    let lib = Library::embedded();
    let mut paired = 0;
    for (script, trace, _, scenario) in lifecycles(&lib, "reopen", 5) {
        if script.playbook != "reopen" {
            continue; // a scenario that is never reopened falls back to classic
        }
        let first = trace.first_fix.expect("a first fix");
        let followup = trace.followup.expect("a second fix");
        let allowed = allowed_followups(&lib, scenario, &trace);
        assert!(
            allowed.iter().any(|b| std::ptr::eq(b, followup)),
            "{}: second fix {followup:?} does not follow {:?}",
            script.scenario,
            first.text
        );
        paired += usize::from(!first.followups.is_empty());
    }
    assert!(
        paired > 0,
        "no resolution with its own second fixes was used"
    );
}

#[test]
fn a_citation_line_is_about_a_fact_that_matters_to_the_category() {
    let lib = Library::embedded();
    let mut checked = 0;
    for (script, trace, category, _) in lifecycles(&lib, "all", 20) {
        let Some(first) = trace.first_fix else {
            continue;
        };
        // Facts the resolution's own text names are the scenario's; the rest
        // come from a citation line.
        let own: BTreeSet<String> = stated(&first.text);
        for fact in script.facts.cited.iter().filter(|f| !own.contains(*f)) {
            checked += 1;
            assert!(
                category.citable.contains(fact),
                "{} ({}): a citation line cites {{{fact}}}, not among {:?}",
                script.scenario,
                category.name,
                category.citable
            );
        }
    }
    assert!(checked > 0, "no citation line was written");
}

#[test]
fn every_built_in_category_lists_the_facts_it_may_cite() {
    let lib = Library::embedded();
    for c in &lib.categories {
        assert!(
            !c.citable.is_empty(),
            "category {} has no citable facts",
            c.name
        );
    }
}

#[test]
fn filling_matches_placeholders_and_choices() {
    assert!(fills("Order {order} [late|lost]", "Order ORD-1 lost"));
    assert!(!fills("Order {order} [late|lost]", "Order ORD-1 gone"));
    assert!(fills("Changed to a {phone}", "Changed to an iPhone SE"));
}
