//! Properties of generated lifecycles, checked over many seeds.

use std::collections::BTreeSet;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::checks::is_valid_tag;
use super::library::{SUBJECT_MAX_CHARS, TICKET_TYPES};
use super::*;

use super::TEST_CAST as CAST;
const SAMPLE: u64 = 400;

fn all() -> Selection {
    let lib = Library::embedded();
    lib.select_playbooks("all").unwrap()
}

fn script_with(seed: u64, selection: &Selection, cast: &Cast) -> Script {
    let lib = Library::embedded();
    let mut rng = StdRng::seed_from_u64(seed);
    compose(&mut rng, &lib, selection, &StageOffsets::DEFAULT, cast)
}

/// A different customer per seed, so every tone shows up.
fn sample(selection: &Selection) -> Vec<Script> {
    (0..SAMPLE)
        .map(|seed| {
            let cast = Cast {
                customer_key: seed,
                ..CAST
            };
            script_with(seed, selection, &cast)
        })
        .collect()
}

fn texts(s: &Script) -> Vec<String> {
    let bodies = s.steps.iter().filter_map(|st| st.body.clone());
    let notes = s.steps.iter().filter_map(|st| st.params.note.clone());
    std::iter::once(s.subject.clone())
        .chain(bodies)
        .chain(notes)
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_lifecycle() {
    assert_eq!(
        script_with(42, &all(), &CAST),
        script_with(42, &all(), &CAST)
    );
}

#[test]
fn different_seeds_give_different_lifecycles() {
    let scripts: Vec<Script> = (0..50).map(|s| script_with(s, &all(), &CAST)).collect();
    for (i, a) in scripts.iter().enumerate() {
        for b in &scripts[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn by_default_every_lifecycle_is_classic_with_four_steps_at_the_offsets() {
    for s in sample(&Selection::default()).iter().take(100) {
        assert_eq!(s.playbook, "classic");
        let kinds: Vec<Stage> = s.steps.iter().map(|st| st.kind).collect();
        assert_eq!(
            kinds,
            [
                Stage::Create,
                Stage::AgentReply,
                Stage::CustomerReply,
                Stage::Resolve,
                Stage::Close
            ]
        );
        let offsets: Vec<i64> = s.steps.iter().map(|st| st.offset_ms).collect();
        assert_eq!(offsets, [0, 300_000, 600_000, 900_000, 1_200_000]);
        assert!(s.steps.iter().all(|st| st.params.is_empty() && !st.private));
    }
}

#[test]
fn no_placeholder_is_left_unfilled_in_any_text() {
    for s in sample(&all()) {
        for text in texts(&s) {
            let plain = html_to_text(&text);
            assert!(!plain.contains(['{', '}', '#']), "unfilled in {plain}");
            assert!(!plain.contains(['[', ']', '|']), "choice left in {plain}");
        }
    }
}

#[test]
fn every_resolution_cites_a_fact_the_customer_gave() {
    for s in sample(&all()) {
        let resolved = s.steps.iter().any(|st| st.kind == Stage::Resolve);
        let known = s.facts.known();
        assert!(
            !resolved || !s.facts.cited.is_empty(),
            "{}: {:?}",
            s.scenario,
            s.facts
        );
        assert!(s.facts.cited.is_subset(&known), "{:?}", s.facts);
    }
}

#[test]
fn every_resolution_mentions_the_key_variable() {
    for s in sample(&all()) {
        assert!(!s.key.is_empty(), "{}", s.scenario);
        let resolving = s.steps.iter().filter(|st| {
            st.kind == Stage::Resolve || (st.body.is_some() && st.params.status == Some(5))
        });
        let mut n = 0;
        for st in resolving {
            n += 1;
            let text = html_to_text(st.body.as_deref().unwrap_or_default());
            assert!(
                text.contains(&s.key),
                "{} missing in {}: {text}",
                s.key,
                s.playbook
            );
        }
        assert!(n >= 1, "{} has no resolving message", s.playbook);
    }
}

#[test]
fn every_agent_question_mentions_the_key_and_asks_something() {
    for s in sample(&all()) {
        let first = &s.steps[1];
        assert_eq!(
            (first.kind, first.author),
            (Stage::AgentReply, Some(Author::Agent))
        );
        let text = html_to_text(first.body.as_deref().unwrap_or_default());
        assert!(text.contains(&s.key) && text.contains('?'), "{text}");
    }
}

#[test]
fn every_category_scenario_playbook_and_tone_appears() {
    let lib = Library::embedded();
    let scripts = sample(&all());
    let seen: BTreeSet<(String, String)> = scripts
        .iter()
        .map(|s| (s.category.clone(), s.scenario.clone()))
        .collect();
    for pair in lib.scenario_names() {
        assert!(seen.contains(&pair), "{pair:?}");
    }
    let playbooks: BTreeSet<&str> = scripts.iter().map(|s| s.playbook.as_str()).collect();
    // `all` is every scripted playbook: all but `trainee`
    assert_eq!(
        playbooks.len(),
        lib.playbook_names().len() - 1,
        "{playbooks:?}"
    );
    let tones: BTreeSet<&str> = scripts.iter().map(|s| s.tone.as_str()).collect();
    assert_eq!(tones.len(), 5, "{tones:?}");
}

#[test]
fn subjects_types_priorities_and_tags_are_valid_for_freshdesk() {
    for s in sample(&all()) {
        assert!(!s.subject.trim().is_empty());
        assert!(
            s.subject.chars().count() <= SUBJECT_MAX_CHARS,
            "{}",
            s.subject
        );
        assert!(!s.subject.contains(['<', '>', '\n']), "{}", s.subject);
        assert!(TICKET_TYPES.contains(&s.ticket_type.as_str()));
        assert!((1..=4).contains(&s.priority));
        assert_eq!(s.tags.first(), Some(&s.category));
        assert!(s.tags.iter().all(|tag| is_valid_tag(tag)), "{:?}", s.tags);
        for st in &s.steps {
            let tags = st.params.tags.iter().flatten();
            assert!(tags.clone().all(|t| is_valid_tag(t)));
            assert!(st.params.priority.is_none_or(|p| (1..=4).contains(&p)));
        }
    }
}

#[test]
fn messages_are_paragraphs_greeted_and_signed_by_the_right_people() {
    for s in sample(&all()).into_iter().take(150) {
        let mut agent_now = "Omar Haddad";
        for st in &s.steps {
            if st.kind == Stage::Reassign {
                agent_now = "Priya Raman";
            }
            let Some(body) = &st.body else { continue };
            assert!(body.starts_with("<p>") && body.ends_with("</p>"), "{body}");
            let text = html_to_text(body);
            match (st.author, st.private) {
                (Some(Author::Customer), _) => {
                    assert!(text.ends_with("Nadia"), "unsigned: {text}")
                }
                (Some(_), false) => {
                    assert!(text.contains("Nadia,"), "not greeted: {text}");
                    assert!(
                        text.ends_with(agent_now) || text.ends_with("Customer Support"),
                        "{text}"
                    );
                    assert!(
                        text.contains(agent_now),
                        "signed by the wrong agent: {text}"
                    );
                }
                (Some(_), true) => assert!(!text.contains("Nadia,"), "a note greets: {text}"),
                (None, _) => panic!("a message without an author"),
            }
        }
    }
}

#[test]
fn an_escalated_ticket_is_resolved_by_the_new_agent_who_introduces_themselves() {
    let escalated: Vec<Script> = sample(&all())
        .into_iter()
        .filter(|s| s.playbook == "escalation")
        .collect();
    assert!(!escalated.is_empty());
    for s in escalated {
        let note = s
            .steps
            .iter()
            .find(|st| st.kind == Stage::PrivateNote)
            .unwrap();
        assert!(note.private && note.author == Some(Author::Agent));
        assert!(html_to_text(note.body.as_deref().unwrap()).contains("Tier 2 Support"));
        let raise = s
            .steps
            .iter()
            .find(|st| st.kind == Stage::Priority)
            .unwrap();
        assert_eq!(raise.params.priority, Some((s.priority + 1).min(4)));
        let resolve = s.steps.iter().find(|st| st.kind == Stage::Resolve).unwrap();
        assert_eq!(resolve.author, Some(Author::EscalationAgent));
        let text = html_to_text(resolve.body.as_deref().unwrap());
        assert!(
            text.contains("Omar") && text.contains("Priya Raman"),
            "{text}"
        );
        let tags = s
            .steps
            .iter()
            .find_map(|st| st.params.tags.clone())
            .unwrap();
        assert!(tags.starts_with(&s.tags) && tags.contains(&"escalated".to_string()));
    }
}

#[test]
fn a_quarter_or_more_of_resolutions_are_not_granted_and_a_reopened_ticket_is() {
    let scripts = sample(&all());
    let resolved: Vec<&Script> = scripts
        .iter()
        .filter(|s| s.outcome != "unresolved")
        .collect();
    let other = resolved
        .iter()
        .filter(|s| s.outcome != outcome::GRANTED)
        .count();
    assert!(other * 4 >= resolved.len(), "{other} of {}", resolved.len());
    for s in &scripts {
        match s.playbook.as_str() {
            "reopen" => assert_eq!(s.outcome, outcome::GRANTED),
            "no-answer" => assert_eq!(s.outcome, "unresolved"),
            _ => assert!(
                s.outcome == outcome::GRANTED || library::OUTCOMES.contains(&s.outcome.as_str())
            ),
        }
    }
}

#[test]
fn an_agent_greets_and_signs_the_same_way_on_every_ticket() {
    let mut greetings = BTreeSet::new();
    let mut signoffs = BTreeSet::new();
    for s in sample(&all()) {
        let own = s
            .steps
            .iter()
            .filter(|st| st.author == Some(Author::Agent) && !st.private);
        for body in own.filter_map(|st| st.body.as_deref()) {
            let paragraphs: Vec<&str> = body.split("</p>").filter(|p| !p.is_empty()).collect();
            greetings.insert(paragraphs[0].split_whitespace().next().unwrap().to_string());
            signoffs.insert(paragraphs[paragraphs.len() - 1].to_string());
        }
    }
    assert_eq!(greetings.len(), 1, "{greetings:?}");
    assert_eq!(signoffs.len(), 1, "{signoffs:?}");
}

#[test]
fn no_time_phrase_promises_more_than_the_wait_before_the_next_step() {
    assert_eq!(outcome::wait_phrase(Some(15 * 60_000)), "a little longer");
    assert_eq!(
        outcome::wait_phrase(Some(5 * 86_400_000)),
        "for a few more days"
    );
    for s in sample(&all())
        .into_iter()
        .filter(|s| s.playbook == "no-answer")
    {
        let texts = texts(&s).join(" ");
        assert!(!texts.contains("few more days"), "{texts}");
    }
}

#[test]
fn logged_time_is_within_the_playbook_range_and_the_lifecycle_with_a_note() {
    for s in sample(&all())
        .into_iter()
        .filter(|s| s.playbook == "time-logged")
    {
        let entry = s
            .steps
            .iter()
            .find(|st| st.kind == Stage::TimeEntry)
            .unwrap();
        let minutes = entry.params.minutes.unwrap();
        assert!(
            (10..=90).contains(&minutes) && minutes % 5 == 0,
            "{minutes}"
        );
        let span = s.steps.iter().map(|st| st.offset_ms).max().unwrap();
        assert!(minutes * 60_000 <= span, "{minutes} min in {span} ms");
        assert_eq!(entry.params.billable, Some(true));
        assert!(
            entry
                .params
                .note
                .as_ref()
                .is_some_and(|n| n.contains(&s.key))
        );
        assert_eq!(entry.author, Some(Author::Agent));
    }
}

#[test]
fn tones_shape_length_and_phrasing() {
    let scripts = sample(&all());
    let words = |tone: &str| {
        let of_tone: Vec<&Script> = scripts.iter().filter(|s| s.tone == tone).collect();
        let total: usize = of_tone
            .iter()
            .map(|s| html_to_text(s.description()).split_whitespace().count())
            .sum();
        total / of_tone.len().max(1)
    };
    assert!(
        words("terse") * 2 < words("verbose"),
        "{} vs {}",
        words("terse"),
        words("verbose")
    );
    for s in scripts.iter().filter(|s| s.tone == "non-native") {
        let customer = s
            .steps
            .iter()
            .filter(|st| st.author == Some(Author::Customer));
        for st in customer {
            let text = html_to_text(st.body.as_deref().unwrap());
            assert!(!text.contains("I'm ") && !text.contains("don't"), "{text}");
        }
    }
}

#[test]
fn one_customer_keeps_one_tone() {
    let tones: BTreeSet<String> = (0..30)
        .map(|seed| script_with(seed, &all(), &CAST).tone)
        .collect();
    assert_eq!(tones.len(), 1);
}

#[test]
fn names_with_markup_characters_are_escaped_in_html() {
    let cast = Cast {
        customer: "<Zoë> & Co",
        agent: "O'Brien & <b>Sons</b>",
        ..CAST
    };
    for seed in 0..50 {
        let s = script_with(seed, &Selection::default(), &cast);
        for st in &s.steps {
            let Some(body) = &st.body else { continue };
            assert!(
                !body.contains("<Zoë>") && !body.contains("<b>Sons"),
                "{body}"
            );
            assert!(!body.contains("& "), "raw ampersand in {body}");
        }
        assert!(s.description().contains("&lt;Zoë&gt;"));
        let reply = s.steps[1].body.as_deref().unwrap();
        assert!(reply.contains("O&#39;Brien &amp; &lt;b&gt;Sons&lt;/b&gt;"));
    }
}

#[test]
fn blank_names_still_give_a_complete_lifecycle() {
    let blank = Cast {
        customer: "  ",
        agent: "",
        escalation_agent: " ",
        ..CAST
    };
    let s = script_with(3, &all(), &blank);
    for st in s.steps.iter().filter(|st| st.body.is_some()) {
        assert!(!html_to_text(st.body.as_deref().unwrap()).is_empty());
    }
}

#[test]
fn the_fallback_lifecycle_satisfies_the_same_rules() {
    let s = fallback(&CAST, &StageOffsets::DEFAULT);
    assert!(TICKET_TYPES.contains(&s.ticket_type.as_str()));
    assert!(s.tags.iter().all(|tag| is_valid_tag(tag)));
    assert_eq!(s.steps.len(), 5);
    assert!(html_to_text(s.steps[1].body.as_deref().unwrap()).starts_with("Hi Nadia,"));
    assert!(!texts(&s).iter().any(|b| b.contains(['{', '}'])));
}
