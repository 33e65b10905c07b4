//! Reading previewed lifecycles as a corpus: a body's lines, and lines with the
//! names, numbers and ids masked, cut into sentences and words. `--stats` and
//! `--lint` both read the text this way.

use crate::content::html_to_text;

use super::PreviewLifecycle;

/// Stands for a person's name in masked text.
pub const NAME: &str = "<name>";
/// Stands for anything with a digit (order numbers, amounts, ids, dates).
pub const NUMBER: &str = "<n>";

/// A body's paragraphs and line breaks as plain-text lines, empty ones dropped.
pub fn body_lines(html: &str) -> Vec<String> {
    html.split("</p>")
        .flat_map(|p| p.split("<br>"))
        .map(html_to_text)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The words of every name in the lifecycle (customer, agent, every author).
pub fn names(l: &PreviewLifecycle) -> Vec<String> {
    let authors = l.steps.iter().filter_map(|s| s.author_name.as_deref());
    let all = [l.customer.name.as_str(), l.agent.name.as_str()]
        .into_iter()
        .chain(authors);
    let mut words: Vec<String> = all
        .flat_map(str::split_whitespace)
        .map(str::to_lowercase)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// `line` with each token holding a digit replaced by [`NUMBER`] and each word
/// of `names` (lowercase) by [`NAME`]; punctuation around a token is kept.
pub fn mask(line: &str, names: &[String]) -> String {
    let masked: Vec<String> = line
        .split_whitespace()
        .map(|token| {
            let core = token.trim_matches(|c: char| !c.is_alphanumeric());
            if core.is_empty() {
                token.to_string()
            } else if core.chars().any(|c| c.is_ascii_digit()) {
                let inner = token.trim_matches(|c: char| "()\"'.,;:!?".contains(c));
                replace_core(token, inner, NUMBER)
            } else if names
                .iter()
                .any(|n| n.trim_matches(',') == core.to_lowercase())
            {
                replace_core(token, core, NAME)
            } else {
                token.to_string()
            }
        })
        .collect();
    masked.join(" ")
}

fn replace_core(token: &str, core: &str, with: &str) -> String {
    token.replacen(core, with, 1)
}

/// The sentences of a line: cut after `.`, `!` or `?` followed by a space.
pub fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let end = matches!(b, b'.' | b'!' | b'?') && bytes.get(i + 1) == Some(&b' ');
        if end {
            out.push(line[start..=i].trim());
            start = i + 1;
        }
    }
    out.push(line[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// A sentence ends with `.`, `!` or `?`, or has 4 words or more and no
/// trailing comma: greeting, sign-off and signature lines ("Hi <name>,",
/// "Kind regards,", "<name> <name>") are the frame of a message, not sentences.
pub fn is_sentence(fragment: &str) -> bool {
    fragment.ends_with(['.', '!', '?'])
        || (!fragment.ends_with(',') && fragment.split_whitespace().count() >= 4)
}

/// The lowercase words of a masked text: letters and inner apostrophes; masks
/// and numbers are not words.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '<' || c == '>'))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty() && !w.contains(['<', '>']))
        .map(str::to_lowercase)
}

/// The words of a text as written (for lint rules): alphabetic runs with their
/// byte offsets.
pub fn raw_words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let inside = c.is_alphabetic() || (c == '\'' && start.is_some());
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// The nearest-rank percentile `p` (0..=100) of sorted values; 0 when empty.
pub fn percentile(sorted: &[usize], p: usize) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_ids_and_names_are_masked_and_punctuation_kept() {
        let names = vec!["nadia".to_string(), "fenwick".to_string()];
        assert_eq!(
            mask("Hi Nadia, order ORD-12345 cost $9.00.", &names),
            "Hi <name>, order <n> cost <n>."
        );
    }

    #[test]
    fn lines_split_into_sentences_after_end_marks() {
        assert_eq!(
            sentences("It broke. Why? Fix it! e.g.done"),
            ["It broke.", "Why?", "Fix it!", "e.g.done"]
        );
    }

    #[test]
    fn greetings_and_signatures_are_not_sentences() {
        for frame in [
            "Hi <name>,",
            "Kind regards,",
            "<name> <name>",
            "Customer Support",
        ] {
            assert!(!is_sentence(frame), "{frame}");
        }
        for sentence in ["Thanks.", "It broke!", "still cant log in to it"] {
            assert!(is_sentence(sentence), "{sentence}");
        }
    }

    #[test]
    fn words_skip_masks_and_keep_inner_apostrophes() {
        let w: Vec<String> = words("I don't see <n> for <name>, 'quoted'.").collect();
        assert_eq!(w, ["i", "don't", "see", "for", "quoted"]);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<usize> = (1..=10).collect();
        assert_eq!((percentile(&v, 10), percentile(&v, 90)), (1, 9));
        assert_eq!(percentile(&[], 50), 0);
    }
}
