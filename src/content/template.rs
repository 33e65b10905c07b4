//! `{name}` placeholders and the per-thread values that fill them.
//!
//! Every value is drawn once per thread, before any text is written, so an order number,
//! product or error code reads the same in all four messages.
//!
//! A template may also offer wordings: `[Thanks|Many thanks] for [the details|your
//! reply]` writes one option of each `[…|…]` (an option may be empty). Choices hold
//! no facts (pool variables), so what a message states never depends on them.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::dice::Dice;

/// Placeholders filled from the people rather than from a pool in the data file.
/// `agent_*` always name the agent writing the message.
pub(super) const PERSON_VARIABLES: [&str; 3] = ["customer_first", "agent_name", "agent_first"];

/// Placeholders only the generic phrases may use: the agent who had the ticket
/// before an escalation, the group it went to ("the Escalations team"), the
/// scenario's topic, and how long the ticket waits for its next step.
pub(super) const THREAD_VARIABLES: [&str; 4] = ["previous_agent_first", "group", "topic", "wait"];

/// Stands in for a random decimal digit in a pool pattern such as `ORD-#####`.
const DIGIT: char = '#';

/// Used when a person's display name is blank, so greetings and signatures never dangle.
const CUSTOMER_FALLBACK: &str = "Customer";
const AGENT_FALLBACK: &str = "Support Team";

/// The values of one thread, keyed by placeholder name, and the dice that pick
/// among a template's wordings.
#[derive(Debug, Clone, Default)]
pub(super) struct Vars {
    values: BTreeMap<String, String>,
    wording: RefCell<Dice>,
}

impl Vars {
    /// Draws one value from every pool. A `BTreeMap` keeps the draw order, and therefore
    /// the output for a given seed, independent of hashing.
    pub fn draw(rng: &mut Dice, pools: &BTreeMap<String, Vec<String>>) -> Self {
        let values = pools
            .iter()
            .map(|(name, patterns)| {
                let pattern = rng.pick(patterns).map(String::as_str).unwrap_or("");
                (name.clone(), expand_digits(rng, pattern))
            })
            .collect();
        Self {
            values,
            wording: RefCell::new(Dice::new(rng.draw())),
        }
    }

    /// Adds the names of the customer and the agent.
    pub fn with_people(mut self, customer: &str, agent: &str) -> Self {
        let customer_first = first_name(customer).unwrap_or(CUSTOMER_FALLBACK);
        self.insert("customer_first", customer_first);
        self.with_agent(agent)
    }

    /// Makes `agent` the one writing (`{agent_name}`, `{agent_first}`); the agent
    /// who wrote before becomes `{previous_agent_first}`.
    pub fn with_agent(mut self, agent: &str) -> Self {
        let agent_name = tidy_name(agent).unwrap_or_else(|| AGENT_FALLBACK.to_owned());
        let agent_first = first_name(agent).unwrap_or(AGENT_FALLBACK).to_owned();
        if let Some(previous) = self.get("agent_first").map(str::to_owned) {
            self.insert("previous_agent_first", &previous);
        }
        self.insert("agent_first", &agent_first);
        self.insert("agent_name", &agent_name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn insert(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_owned(), value.to_owned());
    }

    /// Writes one wording of each `[…|…]` choice, then replaces every known `{name}`.
    /// Unknown placeholders are left as they are; the data tests make sure the shipped
    /// templates have none.
    pub fn fill(&self, template: &str) -> String {
        let worded = choose_wordings(&mut self.wording.borrow_mut(), template);
        let mut out = String::with_capacity(worded.len() + 32);
        let mut rest = worded.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after
                .find('}')
                .and_then(|close| Some((self.get(&after[..close])?, close)));
            match value {
                Some((value, close)) => {
                    fix_article(&mut out, value);
                    out.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// By spelling, with the usual exceptions: "an hour", "a user", "an HD webcam",
/// "a USB hub". Acronyms (all capitals) are read letter by letter.
pub fn starts_with_vowel_sound(word: &str) -> bool {
    let lead: String = word.chars().take_while(|c| c.is_alphabetic()).collect();
    if lead.chars().count() >= 2 && lead.chars().all(|c| c.is_ascii_uppercase()) {
        return lead.starts_with(['A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X']);
    }
    let w = word.to_lowercase();
    const SILENT_H: [&str; 4] = ["hour", "honest", "honour", "heir"];
    const SOUNDED_Y: [&str; 8] = ["uni", "use", "usu", "uti", "ure", "eu", "one", "once"];
    if SILENT_H.iter().any(|p| w.starts_with(p)) {
        return true;
    }
    if SOUNDED_Y.iter().any(|p| w.starts_with(p)) {
        return false;
    }
    w.starts_with(['a', 'e', 'i', 'o', 'u'])
}

/// Makes an "a" or "an" just before a filled-in value fit it: "a {product}"
/// reads "an Acme Invoicing", "a {item}" "an HD webcam".
fn fix_article(out: &mut String, value: &str) {
    let Some(first) = value.split_whitespace().next() else {
        return;
    };
    if !first.starts_with(char::is_alphabetic) {
        return;
    }
    let vowel = starts_with_vowel_sound(first);
    for (wrong, right) in [("a ", "an "), ("A ", "An "), ("an ", "a "), ("An ", "A ")] {
        let is_article = out.ends_with(wrong)
            && out[..out.len() - wrong.len()]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
        let fits = (wrong.len() == 2) != vowel;
        if is_article && !fits {
            out.truncate(out.len() - wrong.len());
            out.push_str(right);
            return;
        }
    }
}

/// `template` with each `[a|b|…]` replaced by one of its options, uniformly. A `[`
/// without its `]` is kept as written (the data checks rule it out).
fn choose_wordings(rng: &mut Dice, template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            out.push('[');
            rest = after;
            continue;
        };
        let options: Vec<&str> = after[..close].split('|').collect();
        out.push_str(rng.pick(&options).copied().unwrap_or_default());
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The options of every `[…|…]` choice in `template`; an error names the first
/// unbalanced or nested bracket, or a choice with a single option.
pub(super) fn choices(template: &str) -> Result<Vec<Vec<&str>>, String> {
    let mut found = Vec::new();
    let mut rest = template;
    loop {
        let (open, close) = (rest.find('['), rest.find(']'));
        match (open, close) {
            (None, None) => return Ok(found),
            (Some(open), Some(close)) if open < close => {
                let inner = &rest[open + 1..close];
                if inner.contains('[') {
                    return Err(format!("nested [ in {template:?}"));
                }
                let options: Vec<&str> = inner.split('|').collect();
                if options.len() < 2 {
                    return Err(format!(
                        "a choice [{inner}] needs | between two wordings in {template:?}"
                    ));
                }
                found.push(options);
                rest = &rest[close + 1..];
            }
            _ => return Err(format!("unbalanced [ ] in {template:?}")),
        }
    }
}

/// Replaces each `#` in a pool pattern with a random digit.
fn expand_digits(rng: &mut Dice, pattern: &str) -> String {
    pattern
        .chars()
        .map(|c| {
            if c == DIGIT {
                char::from(b'0' + rng.below(10) as u8)
            } else {
                c
            }
        })
        .collect()
}

/// The first word of a display name: "Nadia Fenwick" greets as "Nadia".
fn first_name(name: &str) -> Option<&str> {
    name.split_whitespace().next()
}

/// A display name with runs of whitespace reduced to one space, or `None` if blank.
fn tidy_name(name: &str) -> Option<String> {
    let tidy = name.split_whitespace().collect::<Vec<_>>().join(" ");
    (!tidy.is_empty()).then_some(tidy)
}

/// The placeholder names in `template`, in order; an error names the first stray brace.
/// Used by the data checks, so that a typo such as `{order` fails a test, not a ticket.
pub(super) fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    loop {
        let open = rest.find('{');
        let close = rest.find('}');
        match (open, close) {
            (None, None) => return Ok(names),
            (Some(open), Some(close)) if open < close => {
                let name = &rest[open + 1..close];
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
                {
                    return Err(format!("bad placeholder {{{name}}} in {template:?}"));
                }
                names.push(name);
                rest = &rest[close + 1..];
            }
            _ => return Err(format!("unbalanced brace in {template:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        let mut v = Vars::default();
        pairs.iter().for_each(|(k, val)| v.insert(k, val));
        v
    }

    #[test]
    fn a_choice_writes_one_of_its_wordings_and_every_wording_comes_up() {
        let v = vars(&[("agent_first", "Omar")]);
        let seen: std::collections::BTreeSet<String> = (0..200)
            .map(|_| v.fill("[Thanks|Many thanks], {agent_first}[!|.|]"))
            .collect();
        let expected = ["Thanks, Omar!", "Thanks, Omar.", "Thanks, Omar"];
        let expected = expected.iter().chain(&[
            "Many thanks, Omar!",
            "Many thanks, Omar.",
            "Many thanks, Omar",
        ]);
        assert_eq!(seen, expected.map(|e| e.to_string()).collect());
    }

    #[test]
    fn choices_are_listed_and_bad_brackets_are_rejected() {
        assert_eq!(
            choices("a [x|y] b [|z]"),
            Ok(vec![vec!["x", "y"], vec!["", "z"]])
        );
        assert!(choices("a [x|y b").is_err());
        assert!(choices("a ] b").is_err());
        assert!(choices("a [x] b").is_err());
        assert!(choices("a [x|[y|z]] b").is_err());
    }

    #[test]
    fn fill_replaces_known_placeholders_and_keeps_unknown_ones() {
        let v = vars(&[("order", "ORD-12345")]);
        assert_eq!(
            v.fill("Order {order} and {nope} {"),
            "Order ORD-12345 and {nope} {"
        );
    }

    #[test]
    fn digit_patterns_expand_to_digits_only_where_marked() {
        let mut rng = Dice::new(7);
        let value = expand_digits(&mut rng, "ORD-#####");
        assert!(value.starts_with("ORD-"));
        assert_eq!(value.len(), 9);
        assert!(value[4..].chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn people_are_greeted_by_first_name_and_blank_names_get_a_fallback() {
        let v = Vars::default().with_people("  Nadia   Fenwick ", "Omar  Haddad");
        assert_eq!(v.get("customer_first"), Some("Nadia"));
        assert_eq!(v.get("agent_name"), Some("Omar Haddad"));
        assert_eq!(v.get("agent_first"), Some("Omar"));
        let blank = Vars::default().with_people(" ", "");
        assert_eq!(blank.get("customer_first"), Some(CUSTOMER_FALLBACK));
        assert_eq!(blank.get("agent_name"), Some(AGENT_FALLBACK));
    }

    #[test]
    fn an_article_before_a_value_is_made_to_fit_it() {
        let v = vars(&[
            ("product", "Acme Invoicing"),
            ("item", "desk lamp"),
            ("hd", "HD webcam"),
        ]);
        assert_eq!(
            v.fill("a {product}, A {item}, an {item}, a {hd}"),
            "an Acme Invoicing, A desk lamp, a desk lamp, an HD webcam"
        );
        assert_eq!(v.fill("Papa {product}"), "Papa Acme Invoicing");
    }

    #[test]
    fn placeholders_are_listed_and_stray_braces_are_rejected() {
        assert_eq!(placeholders("a {x} b {y_2}"), Ok(vec!["x", "y_2"]));
        assert!(placeholders("a {x b").is_err());
        assert!(placeholders("a } b").is_err());
        assert!(placeholders("a {} b").is_err());
        assert!(placeholders("a {Order} b").is_err());
    }
}
