//! What the customer has said, as facts: the variables (`{last4}`, `{when}`,
//! `{amount}`, …) their messages state. The agent asks only for facts not
//! stated yet, and the resolution cites one the customer gave.
//!
//! An exchange asks for its `asks` list, or, when it has none, for the facts
//! every one of its answers states (the answers show what was asked).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::dice::Dice;
use super::library::{Exchange, Library};
use super::load::{At, Problems, json_text, quoted};
use super::persona::shortest;
use super::template::{PERSON_VARIABLES, THREAD_VARIABLES, placeholders};
use super::variants::Resolution;

/// The facts of one lifecycle, by variable name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// Stated in the description, before the agent asks anything.
    pub stated: BTreeSet<String>,
    /// What the agent's question asks for.
    pub asked: BTreeSet<String>,
    /// Stated in the customer's answer.
    pub answered: BTreeSet<String>,
    /// Facts the customer gave (other than the key) that the resolution cites.
    pub cited: BTreeSet<String>,
}

impl Facts {
    /// Everything the customer has said so far.
    pub fn known(&self) -> BTreeSet<String> {
        self.stated.union(&self.answered).cloned().collect()
    }
}

/// The facts a text states: its placeholders, people and thread words aside.
pub(super) fn stated(parts: &[String]) -> BTreeSet<String> {
    parts
        .iter()
        .flat_map(|p| placeholders(p).unwrap_or_default())
        .filter(|n| !PERSON_VARIABLES.contains(n) && !THREAD_VARIABLES.contains(n))
        .map(str::to_string)
        .collect()
}

/// What an exchange asks for.
pub(super) fn asks(e: &Exchange) -> BTreeSet<String> {
    if !e.asks.is_empty() {
        return e.asks.iter().cloned().collect();
    }
    let mut answers = e.customer.iter().map(|a| stated(a));
    let first = answers.next().unwrap_or_default();
    answers.fold(first, |all, a| all.intersection(&a).cloned().collect())
}

/// An exchange that asks for nothing in `known`, uniformly; when every one
/// does, the one asking for the fewest known facts.
pub(super) fn choose_exchange<'a>(
    rng: &mut Dice,
    exchanges: &'a [Exchange],
    known: &BTreeSet<String>,
) -> Option<&'a Exchange> {
    let repeats = |e: &Exchange| asks(e).intersection(known).count();
    let fresh: Vec<&Exchange> = exchanges.iter().filter(|e| repeats(e) == 0).collect();
    match rng.pick(&fresh) {
        Some(e) => Some(e),
        None => exchanges.iter().min_by_key(|e| repeats(e)),
    }
}

/// A resolution citing a fact in `known` other than `key`, uniformly, with the
/// facts it cites; any resolution when none does.
pub(super) fn choose_resolution<'a>(
    rng: &mut Dice,
    resolutions: &'a [Resolution],
    known: &BTreeSet<String>,
    key: &str,
) -> Option<(&'a Resolution, BTreeSet<String>)> {
    let cites = |r: &Resolution| -> BTreeSet<String> {
        let facts = stated(&r.text);
        facts
            .intersection(known)
            .filter(|f| *f != key)
            .cloned()
            .collect()
    };
    let citing: Vec<&Resolution> = resolutions
        .iter()
        .filter(|r| !cites(r).is_empty())
        .collect();
    let pool: Vec<&Resolution> = match citing.is_empty() {
        true => resolutions.iter().collect(),
        false => citing,
    };
    rng.pick(&pool).map(|r| (*r, cites(r)))
}

/// When no resolution of the outcome cites what the customer gave: a line
/// citing one of their facts (not the key) that matters to the category (in
/// `citable`, any when empty), from `citations`, with the fact.
pub(super) fn citation(
    rng: &mut Dice,
    citations: &BTreeMap<String, Vec<String>>,
    known: &BTreeSet<String>,
    (key, citable): (&str, &[String]),
) -> Option<(String, String)> {
    let matters = |f: &String| citable.is_empty() || citable.contains(f);
    let citable: Vec<&String> = known
        .iter()
        .filter(|f| *f != key && matters(f))
        .filter(|f| citations.get(*f).is_some_and(|c| !c.is_empty()))
        .collect();
    let fact = *rng.pick(&citable)?;
    let line = rng.pick(&citations[fact.as_str()])?;
    Some((line.clone(), fact.clone()))
}

/// The built-in data give every resolution a fact to cite: each pool has
/// citation lines naming it, and every description states a fact other than
/// the key in its first sentences (all a terse customer keeps).
pub(super) fn check_citable(library: &Library, out: &mut Problems) {
    let citations = &library.phrases.citations;
    for pool in library.variables.keys() {
        let lines = citations.get(pool).map(Vec::as_slice).unwrap_or_default();
        let placeholder = format!("{{{pool}}}");
        out.require(
            !lines.is_empty() && lines.iter().all(|l| l.contains(&placeholder)),
            || format!("phrases.citations.{pool}: needs lines, each naming {placeholder}"),
            At::new("\"citations\"", &[&quoted(pool)]),
        );
    }
    for c in &library.categories {
        let matters = |f: &String| c.citable.is_empty() || c.citable.contains(f);
        for s in &c.scenarios {
            for d in &s.descriptions {
                let first = d.text.first().map(|p| shortest(p).to_string());
                let mut facts = stated(&first.into_iter().collect::<Vec<_>>());
                facts.retain(|f| *f != s.key && matters(f));
                let needle = d.text.first().map(|p| json_text(p)).unwrap_or_default();
                out.require(
                    !facts.is_empty(),
                    || format!("scenario \"{}\": a description's first sentences state no citable fact besides {{{}}}", s.name, s.key),
                    At::new(&quoted(&s.name), &[&needle]),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn exchange(agent: &str, answers: &[&str]) -> Exchange {
        Exchange {
            agent: vec![agent.into()],
            customer: answers.iter().map(|a| vec![a.to_string()]).collect(),
            asks: vec![],
        }
    }

    #[test]
    fn an_exchange_asks_for_what_every_answer_states() {
        let e = exchange(
            "Which card?",
            &[
                "Card {last4}, {when}.",
                "It ends in {last4}, {customer_first}.",
            ],
        );
        assert_eq!(asks(&e), set(&["last4"]));
    }

    #[test]
    fn the_agent_does_not_ask_for_a_fact_the_customer_stated() {
        let card = exchange("Which card?", &["Card {last4}."]);
        let day = exchange("Which day?", &["On {when}."]);
        let both = [card, day];
        for seed in 0..20 {
            let e = choose_exchange(&mut Dice::new(seed), &both, &set(&["last4"])).unwrap();
            assert_eq!(e.agent, ["Which day?"]);
        }
    }

    #[test]
    fn the_resolution_cites_a_fact_the_customer_gave() {
        let plain = vec!["Refunded order {order}.".to_string()];
        let citing = vec!["Refunded {amount} on order {order}.".to_string()];
        let pool = [plain, citing].map(Resolution::from);
        for seed in 0..20 {
            let (r, cited) = choose_resolution(
                &mut Dice::new(seed),
                &pool,
                &set(&["amount", "order"]),
                "order",
            )
            .unwrap();
            assert_eq!(
                (r.text[0].as_str(), cited),
                ("Refunded {amount} on order {order}.", set(&["amount"]))
            );
        }
    }
}
