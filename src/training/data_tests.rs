//! The built-in training data, checked through the customer's own logic: for
//! every scenario, asking about each fact's first words reveals every fact, the
//! first wrong fix gets "still broken" and the first fix pattern is confirmed.
//! (The integration tests' scripted trainees write exactly these replies.)
//! A second test tries every ask alone: each reaches its own fact or wrong
//! fix, not a fix pattern or an earlier wrong fix of the same scenario.

use crate::content::{Cast, Library, Selection, Sheet, compose_seeded};
use crate::domain::StageOffsets;

use super::{Reaction, react};

fn sheets() -> Vec<(String, Sheet)> {
    let lib = Library::load(None).unwrap();
    let cast = Cast {
        customer: "Nadia Fenwick",
        customer_key: 4,
        agent: "Robin Ashford",
        agent_key: 7,
        escalation_agent: "Robin Ashford",
        escalation_agent_key: 7,
        escalation_group: "Tier 2",
    };
    let mut out: Vec<(String, Sheet)> = Vec::new();
    for seed in 0..400 {
        let s = compose_seeded(
            seed,
            &lib,
            &Selection::training(),
            &StageOffsets::DEFAULT,
            &cast,
        );
        if !out.iter().any(|(name, _)| *name == s.scenario) {
            out.push((s.scenario.clone(), s.training.unwrap()));
        }
    }
    out
}

#[test]
fn every_built_in_scenario_has_training_data() {
    let lib = Library::load(None).unwrap();
    assert_eq!(lib.scenarios_without_training(), Vec::<String>::new());
}

#[test]
fn each_scenarios_clue_map_fix_and_wrong_fixes_are_told_apart() {
    let sheets = sheets();
    assert!(sheets.len() >= 20, "{}", sheets.len());
    for (name, sheet) in sheets {
        let asks: Vec<&str> = sheet.facts.iter().map(|f| f.asks[0].as_str()).collect();
        let question = format!("Could you tell me more: {}?", asks.join("? "));
        match react(&sheet, &question) {
            Reaction::Answer { facts, .. } => {
                assert_eq!(facts.len(), sheet.facts.len(), "{name}: {question}")
            }
            other => panic!("{name}: {question} → {other:?}"),
        }
        let wrong = format!("Could you try this: {}?", sheet.wrong_fixes[0].asks[0]);
        assert_eq!(
            react(&sheet, &wrong).name(),
            "still_broken",
            "{name}: {wrong}"
        );
        let fix = format!("I sorted it out: {}.", sheet.fixes[0].join(" "));
        assert_eq!(react(&sheet, &fix).name(), "confirmed", "{name}: {fix}");
        assert_eq!(
            react(&sheet, "Thanks for your patience.").name(),
            "vague",
            "{name}"
        );
    }
}

#[test]
fn every_ask_of_every_fact_and_wrong_fix_reaches_its_own_entry() {
    for (name, sheet) in sheets() {
        for fact in &sheet.facts {
            for ask in &fact.asks {
                let question = format!("Could you tell me more: {ask}?");
                match react(&sheet, &question) {
                    Reaction::Answer { facts, .. } => {
                        assert!(facts.contains(&fact.name), "{name}: {question} → {facts:?}")
                    }
                    other => panic!("{name}: {question} → {}", other.name()),
                }
            }
        }
        for wrong in &sheet.wrong_fixes {
            for ask in &wrong.asks {
                let reply = format!("Could you try this: {ask}?");
                match react(&sheet, &reply) {
                    Reaction::StillBroken { fix, .. } => {
                        assert_eq!(fix, wrong.name, "{name}: {reply}")
                    }
                    other => panic!("{name}: {reply} → {}", other.name()),
                }
            }
        }
        for words in &sheet.fixes {
            let fix = format!("I sorted it out: {}.", words.join(" "));
            assert_eq!(react(&sheet, &fix).name(), "confirmed", "{name}: {fix}");
        }
    }
}
