//! Properties of generated threads, checked over many seeds.

use std::collections::BTreeSet;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::library::{self, SUBJECT_MAX_CHARS, TICKET_TYPES, is_valid_tag};
use super::*;

const CUSTOMER: Person<'static> = Person {
    name: "Nadia Fenwick",
};
const AGENT: Person<'static> = Person {
    name: "Omar Haddad",
};
const SAMPLE: u64 = 500;

fn thread(seed: u64) -> Thread {
    generate(&mut StdRng::seed_from_u64(seed), &CUSTOMER, &AGENT)
}

fn sample() -> Vec<(Thread, String)> {
    (0..SAMPLE)
        .map(|seed| compose(&mut StdRng::seed_from_u64(seed), &CUSTOMER, &AGENT))
        .collect()
}

fn bodies(thread: &Thread) -> [&str; 4] {
    [
        &thread.description,
        &thread.agent_reply,
        &thread.customer_reply,
        &thread.resolution,
    ]
}

#[test]
fn the_same_seed_gives_the_same_thread() {
    assert_eq!(thread(42), thread(42));
}

#[test]
fn different_seeds_give_different_threads() {
    let threads: Vec<Thread> = (0..50).map(thread).collect();
    for (i, a) in threads.iter().enumerate() {
        for b in &threads[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn no_placeholder_is_left_unfilled() {
    for (t, _) in sample() {
        for text in bodies(&t).into_iter().chain([t.subject.as_str()]) {
            let plain = html_to_text(text);
            assert!(!plain.contains(['{', '}', '#']), "unfilled in {plain}");
        }
    }
}

#[test]
fn every_agent_message_mentions_the_key_variable() {
    for (t, key) in sample() {
        assert!(!key.is_empty(), "{}", t.scenario);
        assert!(
            html_to_text(&t.resolution).contains(key.as_str()),
            "{key} missing: {}",
            t.resolution
        );
        assert!(
            html_to_text(&t.agent_reply).contains(key.as_str()),
            "{key} missing: {}",
            t.agent_reply
        );
    }
}

#[test]
fn every_category_and_scenario_appears() {
    let Some(lib) = library::get() else {
        panic!("library failed to load")
    };
    let threads = sample();
    let seen: BTreeSet<(&str, &str)> = threads
        .iter()
        .map(|(t, _)| (t.category.as_str(), t.scenario.as_str()))
        .collect();
    for category in &lib.categories {
        for scenario in &category.scenarios {
            assert!(
                seen.contains(&(category.name.as_str(), scenario.name.as_str())),
                "{}",
                scenario.name
            );
        }
    }
    let categories: BTreeSet<&str> = seen.iter().map(|(c, _)| *c).collect();
    assert!(categories.len() >= 6);
}

#[test]
fn at_least_ninety_percent_of_subject_and_description_pairs_are_distinct() {
    let threads = sample();
    let distinct: BTreeSet<(&str, &str)> = threads
        .iter()
        .map(|(t, _)| (t.subject.as_str(), t.description.as_str()))
        .collect();
    assert!(
        distinct.len() * 10 >= threads.len() * 9,
        "{} distinct",
        distinct.len()
    );
}

#[test]
fn subjects_types_priorities_and_tags_are_valid_for_freshdesk() {
    for (t, _) in sample() {
        assert!(!t.subject.trim().is_empty());
        assert!(
            t.subject.chars().count() <= SUBJECT_MAX_CHARS,
            "{}",
            t.subject
        );
        assert!(!t.subject.contains(['<', '>', '\n']), "{}", t.subject);
        assert!(TICKET_TYPES.contains(&t.ticket_type.as_str()));
        assert!((1..=4).contains(&t.priority));
        assert_eq!(t.tags.first(), Some(&t.category));
        assert!(t.tags.iter().all(|tag| is_valid_tag(tag)), "{:?}", t.tags);
    }
}

#[test]
fn messages_are_paragraphs_greeted_and_signed_by_the_right_people() {
    for (t, _) in sample().into_iter().take(100) {
        for body in bodies(&t) {
            assert!(body.starts_with("<p>") && body.ends_with("</p>"), "{body}");
        }
        let description = html_to_text(&t.description);
        assert!(description.ends_with("Nadia"), "{description}");
        let reply = html_to_text(&t.agent_reply);
        assert!(
            reply.contains("Nadia,") && reply.contains("Omar Haddad"),
            "{reply}"
        );
        assert!(reply.contains('?'), "the first reply asks nothing: {reply}");
        let answer = html_to_text(&t.customer_reply);
        assert!(
            answer.contains("Omar") && answer.ends_with("Nadia"),
            "{answer}"
        );
        let resolution = html_to_text(&t.resolution);
        assert!(
            resolution.contains("Nadia") && resolution.contains("Omar Haddad"),
            "{resolution}"
        );
    }
}

#[test]
fn names_with_markup_characters_are_escaped_in_html() {
    let customer = Person {
        name: "<Zoë> & Co"
    };
    let agent = Person {
        name: "O'Brien & <b>Sons</b>",
    };
    for seed in 0..50 {
        let t = generate(&mut StdRng::seed_from_u64(seed), &customer, &agent);
        for body in bodies(&t) {
            assert!(
                !body.contains("<Zoë>") && !body.contains("<b>Sons"),
                "{body}"
            );
            assert!(!body.contains("& "), "raw ampersand in {body}");
        }
        assert!(t.description.contains("&lt;Zoë&gt;"));
        assert!(
            t.agent_reply
                .contains("O&#39;Brien &amp; &lt;b&gt;Sons&lt;/b&gt;")
        );
        assert!(html_to_text(&t.resolution).contains("O'Brien & <b>Sons</b>"));
    }
}

#[test]
fn blank_names_still_give_a_complete_thread() {
    let blank = Person { name: "  " };
    let t = generate(&mut StdRng::seed_from_u64(3), &blank, &blank);
    for body in bodies(&t) {
        assert!(!html_to_text(body).is_empty());
    }
}

#[test]
fn the_fallback_thread_satisfies_the_same_rules() {
    let (t, _) = fallback(&CUSTOMER, &AGENT);
    assert!(TICKET_TYPES.contains(&t.ticket_type.as_str()));
    assert!(t.tags.iter().all(|tag| is_valid_tag(tag)));
    assert!(html_to_text(&t.agent_reply).starts_with("Hi Nadia,"));
    assert!(!bodies(&t).iter().any(|b| b.contains(['{', '}'])));
}

#[test]
fn threads_round_trip_through_json() {
    let t = thread(9);
    let json = serde_json::to_string(&t).unwrap();
    assert_eq!(serde_json::from_str::<Thread>(&json).unwrap(), t);
}
