//! Agents' voices: each agent writes in one fixed style, derived from their id
//! (the helpdesk's agent id), so the same agent greets and signs the same way on
//! every ticket, even after a rename, and two agents read differently.

use super::dice::Dice;
use super::library::Phrases;

/// How much an agent writes around the substance of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verbosity {
    /// No acknowledgement line, no closing line.
    Brief,
    /// A closing line.
    Standard,
    /// An acknowledgement when the customer is upset, and a closing line.
    Warm,
}

/// One agent's habits, as indexes into the phrase pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct AgentStyle {
    pub greeting: usize,
    pub signoff: usize,
    pub verbosity: Verbosity,
    /// Writes the second and later paragraphs of a body as "• " items.
    pub bullets: bool,
}

impl AgentStyle {
    /// The style of the agent whose id is `id`.
    pub fn of(id: u64, phrases: &Phrases) -> AgentStyle {
        let mut dice = Dice::new(spread(id));
        let greeting = dice.below(phrases.agent_greetings.len() as u64) as usize;
        let signoff = dice.below(phrases.agent_signoffs.len() as u64) as usize;
        let verbosity = match dice.below(3) {
            0 => Verbosity::Brief,
            1 => Verbosity::Standard,
            _ => Verbosity::Warm,
        };
        AgentStyle {
            greeting,
            signoff,
            verbosity,
            bullets: dice.chance(35),
        }
    }

    /// The body's paragraphs in this agent's layout.
    pub fn lay_out(&self, body: &[String]) -> Vec<String> {
        body.iter()
            .enumerate()
            .map(|(i, p)| match (self.bullets && body.len() > 1, i) {
                (true, 1..) => format!("• {p}"),
                _ => p.clone(),
            })
            .collect()
    }
}

/// The id spread over 64 bits (SplitMix64's finalizer), so neighbouring ids
/// (1, 2, 3, …) start the dice far apart; stable on every build.
fn spread(id: u64) -> u64 {
    Dice::new(id ^ 0x5A17_C0DE_A6E7_5EED).draw()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Library;
    use std::collections::BTreeSet;

    #[test]
    fn the_same_agent_id_always_gets_the_same_style_and_different_ids_differ() {
        let lib = Library::embedded();
        let p = &lib.phrases;
        for id in [1, 7, 1_000_042, u64::MAX] {
            assert_eq!(AgentStyle::of(id, p), AgentStyle::of(id, p));
        }
        let styles: Vec<AgentStyle> = (1..=12).map(|id| AgentStyle::of(id, p)).collect();
        let distinct: BTreeSet<String> = styles.iter().map(|s| format!("{s:?}")).collect();
        assert!(distinct.len() >= 8, "{styles:?}");
        let signoffs: BTreeSet<usize> = styles.iter().map(|s| s.signoff).collect();
        let greetings: BTreeSet<usize> = styles.iter().map(|s| s.greeting).collect();
        assert!(signoffs.len() >= 3 && greetings.len() >= 2, "{styles:?}");
        assert!(styles.iter().any(|s| s.bullets) && styles.iter().any(|s| !s.bullets));
        let verbosities: BTreeSet<String> = styles
            .iter()
            .map(|s| format!("{:?}", s.verbosity))
            .collect();
        assert!(verbosities.len() >= 2, "{styles:?}");
    }

    #[test]
    fn bullets_lay_out_every_paragraph_after_the_first() {
        let body = vec![
            "I fixed it.".to_string(),
            "I also refunded you.".to_string(),
        ];
        let style = AgentStyle {
            greeting: 0,
            signoff: 0,
            verbosity: Verbosity::Brief,
            bullets: true,
        };
        assert_eq!(
            style.lay_out(&body),
            ["I fixed it.", "• I also refunded you."]
        );
        assert_eq!(style.lay_out(&body[..1]), ["I fixed it."]);
    }
}
