//! Checks of `[…|…]` wording choices (see `template.rs`): balanced, no fact
//! inside, and no article before a choice that misfits one of its wordings.

use super::load::{At, Problems};
use super::template::{
    PERSON_VARIABLES, THREAD_VARIABLES, choices, placeholders, starts_with_vowel_sound,
};

/// "a [apple|pear]": an article before a choice that does not fit one of its
/// wordings (the article fixing of `Vars::fill` only sees filled-in values).
fn article_misfit(template: &str) -> Option<String> {
    let mut rest = template;
    while let Some(open) = rest.find('[') {
        let before = rest[..open].trim_end();
        let article = before.rsplit([' ', '(']).next().unwrap_or_default();
        let close = rest[open..].find(']').map_or(rest.len(), |c| open + c);
        let vowel = match article.to_lowercase().as_str() {
            "a" => Some(false),
            "an" => Some(true),
            _ => None,
        };
        let options = rest[open + 1..close].split('|');
        let misfit = |o: &str| vowel.is_some_and(|v| starts_with_vowel_sound(o.trim_start()) != v);
        if rest[..open].ends_with(' ') && options.clone().any(misfit) {
            return Some(format!("{article} [{}]", &rest[open + 1..close]));
        }
        rest = &rest[(close + 1).min(rest.len())..];
    }
    None
}

/// Balanced `[…|…]` choices, with no fact (pool variable) inside: what a
/// message states must not depend on its wording.
pub(super) fn check_choices(template: &str, anchor: &str, needle: &str, out: &mut Problems) {
    let options = match choices(template) {
        Ok(options) => options,
        Err(problem) => return out.push(problem, At::new(anchor, &[needle])),
    };
    if let Some(article) = article_misfit(template) {
        out.push(
            format!("\"{article}\" before a [..|..] choice does not fit every wording: put the article inside"),
            At::new(anchor, &[needle]),
        );
    }
    let wording_only = |n: &&str| PERSON_VARIABLES.contains(n) || THREAD_VARIABLES.contains(n);
    let facts = options
        .iter()
        .flatten()
        .flat_map(|o| placeholders(o).unwrap_or_default())
        .filter(|n| !wording_only(n));
    for name in facts {
        let placeholder = format!("{{{name}}}");
        out.push(
            format!("{placeholder} inside a [..|..] choice: state facts outside the choices"),
            At::new(anchor, &[&placeholder, needle]),
        );
    }
}
