//! What the simulated customer does with an agent's reply: pure, no I/O, no
//! clock. A right fix wins over a wrong one, a wrong fix over questions, and a
//! reply that asks about nothing in the clue map gets the vague answer.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::content::Sheet;
use crate::domain::UnixMs;

/// How the customer answers one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction {
    /// The reply asked about these facts (names); the lines reveal them.
    Answer {
        facts: Vec<String>,
        lines: Vec<String>,
    },
    /// Nothing the customer can answer precisely.
    Vague { lines: Vec<String> },
    /// A common wrong fix: "still broken", with one new detail.
    StillBroken { fix: String, lines: Vec<String> },
    /// The right fix: the customer confirms; the ticket is then closed.
    Confirmed { lines: Vec<String> },
}

impl Reaction {
    /// Stored with the reply it answers, and shown in logs.
    pub fn name(&self) -> &'static str {
        match self {
            Reaction::Answer { .. } => "answer",
            Reaction::Vague { .. } => "vague",
            Reaction::StillBroken { .. } => "still_broken",
            Reaction::Confirmed { .. } => "confirmed",
        }
    }

    pub fn lines(&self) -> &[String] {
        match self {
            Reaction::Answer { lines, .. }
            | Reaction::Vague { lines }
            | Reaction::StillBroken { lines, .. }
            | Reaction::Confirmed { lines } => lines,
        }
    }
}

/// The customer's reaction to a reply whose plain text is `text`.
pub fn react(sheet: &Sheet, text: &str) -> Reaction {
    let text = text.to_lowercase();
    if sheet
        .fixes
        .iter()
        .any(|words| words.iter().all(|w| mentions(&text, w)))
    {
        return Reaction::Confirmed {
            lines: sheet.confirmation.clone(),
        };
    }
    if let Some(wrong) =
        (sheet.wrong_fixes.iter()).find(|w| w.asks.iter().any(|a| mentions(&text, a)))
    {
        return Reaction::StillBroken {
            fix: wrong.name.clone(),
            lines: wrong.still_broken.clone(),
        };
    }
    let asked: Vec<_> = (sheet.facts.iter())
        .filter(|f| f.asks.iter().any(|a| mentions(&text, a)))
        .collect();
    if asked.is_empty() {
        return Reaction::Vague {
            lines: sheet.vague.clone(),
        };
    }
    Reaction::Answer {
        facts: asked.iter().map(|f| f.name.clone()).collect(),
        lines: asked
            .iter()
            .flat_map(|f| f.answer.iter().cloned())
            .collect(),
    }
}

/// True when `phrase` (lowercase) starts a word of `text` (lowercase): "refund"
/// matches "refunded", "os" does not match "close".
pub fn mentions(text: &str, phrase: &str) -> bool {
    if phrase.is_empty() {
        return false;
    }
    text.match_indices(phrase).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// Where a trainee ticket stands; stored as JSON with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub ticket_created_at: UnixMs,
    /// Rises by one with every chase.
    pub frustration: u32,
    /// The facts the trainees asked about.
    pub asked: BTreeSet<String>,
    /// Wrong fixes proposed, in order.
    pub wrong_fixes: Vec<String>,
    /// Agent replies the customer reacted to.
    pub exchanges: u32,
    pub first_response_at: Option<UnixMs>,
    /// When the right fix was proposed.
    pub fixed_at: Option<UnixMs>,
    pub reopens: u32,
    /// Times the customer waited longer than the SLA (each one chased).
    pub sla_misses: u32,
    /// The last agent who replied: the trainee graded.
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    /// `exchanges` when the customer last reopened a resolved ticket, so one
    /// resolution is reopened once.
    pub reopened_at_exchange: Option<u32>,
}

impl Progress {
    /// Counts an agent reply and what the customer made of it.
    pub fn record(&mut self, reaction: &Reaction, at: UnixMs) {
        self.exchanges += 1;
        self.first_response_at.get_or_insert(at);
        match reaction {
            Reaction::Answer { facts, .. } => self.asked.extend(facts.iter().cloned()),
            Reaction::StillBroken { fix, .. } => self.wrong_fixes.push(fix.clone()),
            Reaction::Confirmed { .. } => self.fixed_at = Some(at),
            Reaction::Vague { .. } => {}
        }
    }
}

/// A random delay in `[low, high]` ms from a draw `u`.
pub fn delay_in(range: (i64, i64), draw: u64) -> i64 {
    let (low, high) = range;
    if high <= low {
        return low.max(0);
    }
    low + (draw % ((high - low) as u64 + 1)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{SheetFact, SheetWrongFix};

    fn sheet() -> Sheet {
        Sheet {
            root_cause: "checkout timed out".into(),
            facts: vec![
                SheetFact {
                    name: "card".into(),
                    asks: vec!["card".into(), "last four".into()],
                    answer: vec!["Card ending 1234.".into()],
                },
                SheetFact {
                    name: "statement".into(),
                    asks: vec!["statement".into()],
                    answer: vec!["Both settled.".into()],
                },
            ],
            vague: vec!["Not sure.".into()],
            fixes: vec![vec!["refund".into(), "duplicate".into()]],
            wrong_fixes: vec![SheetWrongFix {
                name: "wait".into(),
                asks: vec!["wait".into()],
                still_broken: vec!["Still broken: both settled.".into()],
            }],
            confirmation: vec!["Thanks!".into()],
            chases: vec![vec!["Hello?".into()], vec!["Hello!!".into()]],
            opener: "Hi {agent_first},".into(),
            closing: "Nadia".into(),
        }
    }

    #[test]
    fn a_question_about_two_facts_gets_both_answers() {
        let r = react(
            &sheet(),
            "Which CARD did you use? Can you check your statement?",
        );
        assert_eq!(
            r,
            Reaction::Answer {
                facts: vec!["card".into(), "statement".into()],
                lines: vec!["Card ending 1234.".into(), "Both settled.".into()]
            }
        );
    }

    #[test]
    fn the_right_fix_wins_over_a_wrong_one_and_words_may_be_inflected() {
        let r = react(
            &sheet(),
            "No need to wait: I refunded the duplicate payment.",
        );
        assert_eq!(r.name(), "confirmed");
        let r = react(&sheet(), "Please wait a few days, it will drop off.");
        assert_eq!(r.name(), "still_broken");
        assert_eq!(r.lines(), ["Still broken: both settled."]);
    }

    #[test]
    fn a_reply_about_nothing_known_gets_the_vague_answer() {
        assert_eq!(react(&sheet(), "Thanks for writing in.").name(), "vague");
        // "card" must start a word: "discard" asks nothing
        assert_eq!(react(&sheet(), "Please discard that.").name(), "vague");
    }

    #[test]
    fn progress_counts_exchanges_facts_and_wrong_fixes() {
        let s = sheet();
        let mut p = Progress::default();
        p.record(&react(&s, "which card?"), 10);
        p.record(&react(&s, "just wait"), 20);
        p.record(&react(&s, "refund of the duplicate done"), 30);
        assert_eq!(p.exchanges, 3);
        assert_eq!(p.first_response_at, Some(10));
        assert_eq!(p.fixed_at, Some(30));
        assert_eq!(p.wrong_fixes, ["wait"]);
        assert!(p.asked.contains("card"));
    }

    #[test]
    fn the_customer_delay_parses_ranges_and_draws_within_them() {
        use crate::domain::parse_duration_range as parse;
        assert_eq!(parse("2m..10m"), Ok((120_000, 600_000)));
        assert_eq!(parse("5s"), Ok((5_000, 5_000)));
        assert!(parse("10m..2m").is_err());
        assert!(parse("soon").is_err());
        for draw in [0, 1, 99, u64::MAX] {
            let d = delay_in((1_000, 2_000), draw);
            assert!((1_000..=2_000).contains(&d), "{d}");
        }
    }
}
