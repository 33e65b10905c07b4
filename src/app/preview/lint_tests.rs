use super::lint::*;
use super::*;
use crate::content::starts_with_vowel_sound;
use crate::domain::{Stage, StepParams};

#[test]
fn a_doubled_word_is_found_but_not_across_punctuation() {
    assert_eq!(
        doubled_words("from the Specialist Team team."),
        ["Team team"]
    );
    assert!(doubled_words("Yes. Yes, that works, that is all.").is_empty());
}

#[test]
fn an_article_must_fit_the_sound_of_the_next_word() {
    assert_eq!(
        wrong_articles("I bought a Acme Site Builder plan"),
        ["a Acme"]
    );
    assert_eq!(
        wrong_articles("It is an monitor and a HD webcam"),
        ["an monitor", "a HD"]
    );
    assert!(wrong_articles("an hour, a user, an HD webcam, a USB hub, an \"Error\"").is_empty());
}

#[test]
fn a_category_bound_phrase_is_only_allowed_in_its_categories() {
    let note = "Looked into it: reproduced it on a test account.";
    assert_eq!(foreign_phrase(note, "shipping"), Some("reproduc"));
    assert_eq!(foreign_phrase(note, "bug-report"), None);
}

#[test]
fn a_time_phrase_needs_a_gap_at_least_as_long_as_it_promises() {
    let line = "I'll keep the ticket open for a few more days.";
    assert_eq!(too_long_phrase(line, 15 * 60_000), Some("few more days"));
    assert_eq!(too_long_phrase(line, 3 * 24 * 3_600_000), None);
}

#[test]
fn vowel_sounds_follow_the_usual_exceptions() {
    for w in ["Acme", "hour", "HD", "order", "SMS"] {
        assert!(starts_with_vowel_sound(w), "{w}");
    }
    for w in ["user", "USB", "USB-C", "monitor", "European", "one-time"] {
        assert!(!starts_with_vowel_sound(w), "{w}");
    }
}

fn person(id: i64, name: &str) -> PreviewPerson {
    PreviewPerson {
        id,
        name: name.into(),
        email: None,
    }
}

fn step(offset_ms: i64, kind: Stage, author: &str, name: &str) -> PreviewStep {
    PreviewStep {
        offset: String::new(),
        offset_ms,
        kind,
        author: (!author.is_empty()).then(|| author.to_string()),
        author_id: None,
        author_name: (!name.is_empty()).then(|| name.to_string()),
        body: None,
        text: None,
        private: false,
        params: StepParams::default(),
    }
}

/// A classic lifecycle of 20 minutes between `customer` and `agent`.
fn lifecycle(customer: &str, agent: &str) -> PreviewLifecycle {
    PreviewLifecycle {
        lifecycle: 1,
        seed: 0,
        scenario: "late-delivery".into(),
        category: "shipping".into(),
        playbook: "classic".into(),
        tone: "polite".into(),
        outcome: "granted".into(),
        facts: Default::default(),
        customer: person(1, customer),
        agent: person(2, agent),
        subject: String::new(),
        key: String::new(),
        description: String::new(),
        ticket_type: "Question".into(),
        priority: 1,
        tags: vec![],
        steps: vec![
            step(0, Stage::Create, "customer", customer),
            step(300_000, Stage::AgentReply, "agent", agent),
            step(1_200_000, Stage::Close, "", ""),
        ],
    }
}

fn rules(l: &PreviewLifecycle) -> Vec<Rule> {
    lint(std::slice::from_ref(l))
        .iter()
        .map(|v| v.rule)
        .collect()
}

#[test]
fn a_customer_and_an_agent_with_the_same_first_name_are_flagged() {
    assert_eq!(
        rules(&lifecycle("Mei Tanaka", "Mei Okafor")),
        [Rule::SameFirstName]
    );
    assert!(rules(&lifecycle("Mei Tanaka", "Omar Haddad")).is_empty());
}

#[test]
fn a_time_entry_longer_than_the_lifecycle_is_flagged() {
    let mut l = lifecycle("Nadia Fenwick", "Omar Haddad");
    let mut entry = step(900_000, Stage::TimeEntry, "agent", "Omar Haddad");
    entry.params.minutes = Some(75);
    l.steps.insert(2, entry);
    assert_eq!(rules(&l), [Rule::TimeEntry]);
    l.steps[2].params.minutes = Some(15);
    assert!(rules(&l).is_empty());
}

#[test]
fn lint_reports_the_step_and_words_of_a_message_at_fault() {
    let mut l = lifecycle("Nadia Fenwick", "Omar Haddad");
    l.steps[1].body = Some("<p>Hi Nadia,</p><p>The Specialist Team team has it.</p>".into());
    let v = lint(std::slice::from_ref(&l));
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].step, v[0].excerpt.as_str()), (Some(1), "Team team"));
}

#[test]
fn three_hundred_previewed_lifecycles_break_no_mechanical_lint_rule() {
    let library = crate::content::Library::embedded();
    let content = crate::dispatcher::Content {
        playbooks: library.select_playbooks("all").unwrap(),
        library,
        ..Default::default()
    };
    let opts = PreviewOptions {
        count: 300,
        seed: 5,
        contacts: 50,
        agents: 5,
    };
    let fact_rules = [Rule::StatedFactAsked, Rule::NoFactCited];
    let violations: Vec<Violation> = lint(&preview(&content, &opts).unwrap())
        .into_iter()
        .filter(|v| !fact_rules.contains(&v.rule))
        .collect();
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn a_question_for_a_stated_fact_and_a_resolution_citing_none_are_flagged() {
    let mut l = lifecycle("Nadia Fenwick", "Omar Haddad");
    l.steps
        .insert(2, step(900_000, Stage::Resolve, "agent", "Omar Haddad"));
    l.facts.stated = ["last4".to_string(), "order".to_string()].into();
    l.facts.asked = ["last4".to_string()].into();
    let v = lint(std::slice::from_ref(&l));
    let found: Vec<(Rule, Option<usize>, &str)> = v
        .iter()
        .map(|v| (v.rule, v.step, v.excerpt.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (Rule::StatedFactAsked, Some(1), "last4"),
            (Rule::NoFactCited, Some(2), "customer gave last4, order")
        ]
    );
    l.facts.asked = ["when".to_string()].into();
    l.facts.cited = ["last4".to_string()].into();
    assert!(lint(std::slice::from_ref(&l)).is_empty());
}
