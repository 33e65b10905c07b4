//! The tone markers `--stats` counts in customer messages. They are word lists,
//! not language understanding: a message "carries a frustration marker" when it
//! contains one of [`FRUSTRATION`], an exclamation mark or a shouted word, and so
//! on. The lists are here so a figure can be checked by hand.

/// Words and phrases that show frustration (lowercase, matched anywhere).
pub const FRUSTRATION: [&str; 28] = [
    "furious",
    "useless",
    "shouldn't have to",
    "tired of",
    "out of patience",
    "had enough",
    "frustrat",
    "unacceptable",
    "ridiculous",
    "annoy",
    "disappoint",
    "fed up",
    "not happy",
    "upset",
    "losing patience",
    "wasted",
    "waste of",
    "second time",
    "third time",
    "still waiting",
    "not good enough",
    "seriously",
    "asap",
    "how long",
    "sort this out",
    "fixed now",
    "fixed today",
    "again?",
];

/// Errors typical of learners of English (lowercase, matched anywhere).
pub const LEARNER_ERRORS: [&str; 25] = [
    "since two days",
    "since three days",
    "since one week",
    "since yesterday i",
    "informations",
    "advices",
    "softwares",
    "equipments",
    "i am having problem",
    "please to ",
    "can you to ",
    "didn't received",
    "did not received",
    "i have send",
    "explain me",
    "depend of",
    "discuss about",
    "waiting your",
    "answer me",
    "i write again",
    "your helps",
    "what i am doing",
    "in this moment",
    "how i can",
    "is not working since",
];

/// Misspellings and chat spellings (whole lowercase words).
pub const TYPOS: [&str; 22] = [
    "teh",
    "recieve",
    "recieved",
    "becuase",
    "dont",
    "cant",
    "wont",
    "doesnt",
    "isnt",
    "im",
    "ive",
    "pls",
    "plz",
    "thx",
    "u",
    "ur",
    "definately",
    "seperate",
    "wierd",
    "alot",
    "untill",
    "adress",
];

/// How a message may start and still count as greeting someone.
const GREETINGS: [&str; 9] = [
    "hi",
    "hello",
    "hey",
    "dear",
    "good morning",
    "good afternoon",
    "good day",
    "to whom",
    "greetings",
];

/// Tones written informally, where typos and missing greetings belong.
pub fn is_informal(tone: &str) -> bool {
    matches!(tone, "terse" | "casual")
}

/// A frustration word, an exclamation mark, or a shouted word (4+ capitals).
pub fn has_frustration(lines: &[String]) -> bool {
    lines.iter().any(|line| {
        let lower = line.to_lowercase();
        line.contains('!')
            || FRUSTRATION.iter().any(|m| lower.contains(m))
            || super::corpus::raw_words(line)
                .iter()
                .any(|(_, w)| is_shouted(w))
    })
}

/// All capitals and long enough not to be an acronym such as "USB" or "EU".
fn is_shouted(word: &str) -> bool {
    const ACRONYMS: [&str; 6] = ["USPS", "GDPR", "HTML", "JSON", "SAML", "HTTP"];
    word.chars().count() >= 4 && word.chars().all(|c| c.is_uppercase()) && !ACRONYMS.contains(&word)
}

/// One of [`LEARNER_ERRORS`].
pub fn has_learner_error(lines: &[String]) -> bool {
    lines.iter().any(|line| {
        let lower = line.to_lowercase();
        LEARNER_ERRORS.iter().any(|m| lower.contains(m))
    })
}

/// One of [`TYPOS`], or a first line that greets nobody. `lines` are masked,
/// so a first line such as "<name> -" counts as a greeting.
pub fn has_typo_or_no_greeting(lines: &[String]) -> bool {
    let typo = lines.iter().any(|line| {
        super::corpus::raw_words(line)
            .iter()
            .any(|(_, w)| TYPOS.contains(&w.to_lowercase().as_str()))
    });
    let first = lines.first().map(|l| l.to_lowercase()).unwrap_or_default();
    let greets =
        first.starts_with(super::corpus::NAME) || GREETINGS.iter().any(|g| first.starts_with(g));
    typo || !greets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn frustration_shows_as_a_word_an_exclamation_or_shouting() {
        assert!(has_frustration(&lines("Hi,\nThis is ridiculous.")));
        assert!(has_frustration(&lines("It broke again!")));
        assert!(has_frustration(&lines("It is STILL broken.")));
        assert!(!has_frustration(&lines(
            "Hi,\nMy USB dock is broken.\nThanks"
        )));
    }

    #[test]
    fn learner_errors_are_found_and_fluent_text_passes() {
        assert!(has_learner_error(&lines(
            "It is not working since two days."
        )));
        assert!(!has_learner_error(&lines(
            "It has not worked for two days."
        )));
    }

    #[test]
    fn a_typo_or_a_missing_greeting_marks_an_informal_message() {
        assert!(has_typo_or_no_greeting(&lines("Hi,\ncant log in")));
        assert!(has_typo_or_no_greeting(&lines("Order never came.")));
        assert!(!has_typo_or_no_greeting(&lines(
            "<name> -\nOrder never came."
        )));
        assert!(!has_typo_or_no_greeting(&lines(
            "Hello,\nOrder never came."
        )));
    }
}
