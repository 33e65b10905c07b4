//! Agents' voices: each agent writes in one fixed style, derived from who they
//! are, so the same agent greets and signs the same way on every ticket and two
//! agents read differently. The planner passes agents by display name, so the
//! style is derived from the name (tidied, case-folded).

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
    /// The style of the agent called `name`.
    pub fn of(name: &str, phrases: &Phrases) -> AgentStyle {
        let mut dice = Dice::new(key(name));
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

/// FNV-1a over the tidied, lowercase name: stable on every build (std's
/// hashers are not).
fn key(name: &str) -> u64 {
    let tidy = name.split_whitespace().collect::<Vec<_>>().join(" ");
    tidy.to_lowercase()
        .bytes()
        .fold(0xCBF2_9CE4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Library;

    #[test]
    fn the_same_agent_always_gets_the_same_style_and_different_agents_differ() {
        let lib = Library::embedded();
        let p = &lib.phrases;
        assert_eq!(
            AgentStyle::of("Omar Haddad", p),
            AgentStyle::of(" omar  HADDAD", p)
        );
        let names = [
            "Omar Haddad",
            "Priya Raman",
            "Lukas Berg",
            "Mei Okafor",
            "Hugo Lind",
            "Rosa Diaz",
        ];
        let styles: Vec<AgentStyle> = names.iter().map(|n| AgentStyle::of(n, p)).collect();
        let signoffs: std::collections::BTreeSet<usize> =
            styles.iter().map(|s| s.signoff).collect();
        assert!(signoffs.len() >= 3, "{styles:?}");
        assert!(styles.iter().any(|s| s.bullets) && styles.iter().any(|s| !s.bullets));
        let verbosities: std::collections::BTreeSet<String> = styles
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
