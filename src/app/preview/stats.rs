//! `preview --stats`: figures about the text of N lifecycles, with names,
//! numbers and ids masked (see `corpus.rs`), so that two tickets that differ only
//! in an order number count as the same text.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;

use super::PreviewLifecycle;
use super::corpus::{body_lines, is_sentence, mask, names, percentile, sentences, words};
use super::markers::{has_frustration, has_learner_error, has_typo_or_no_greeting, is_informal};
use crate::domain::Stage;

/// What "granted" means in [`CorpusStats::not_granted`]: the customer got what
/// they asked for.
pub const GRANTED: &str = "granted";

/// How many of the most common sentences `top_share` adds up.
const TOP: usize = 20;

/// The corpus figures of issue 12's "Must show", over one preview.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CorpusStats {
    pub lifecycles: usize,
    pub sentences: usize,
    pub distinct_sentences: usize,
    /// Occurrences of the 20 most common sentences.
    pub top_sentences: usize,
    pub distinct_words: usize,
    /// Pairs of tickets of one scenario, and how many share an agent question
    /// sentence / a resolution sentence found in no other scenario.
    pub scenario_pairs: usize,
    pub pairs_sharing_question: usize,
    pub pairs_sharing_resolution: usize,
    pub customer_messages: usize,
    pub customer_words_p10: usize,
    pub customer_words_p90: usize,
    /// Lifecycles with a resolution, and how many end other than "granted".
    pub resolved: usize,
    pub not_granted: usize,
    /// (messages, messages with the marker) per tone family.
    pub frustrated: (usize, usize),
    pub non_native: (usize, usize),
    pub informal: (usize, usize),
    /// The most common sentences, masked, with their counts.
    pub most_common: Vec<(String, usize)>,
}

/// The masked sentences of one lifecycle's messages (bodies and time-entry
/// notes), by step index; the frame of each message is left out.
struct Read {
    scenario: String,
    steps: Vec<Vec<String>>,
}

fn read(l: &PreviewLifecycle) -> Read {
    let names = names(l);
    let steps = l
        .steps
        .iter()
        .map(|s| {
            let lines = s.body.as_deref().map(body_lines).unwrap_or_default();
            let lines = lines.into_iter().chain(s.params.note.clone());
            lines
                .flat_map(|line| {
                    let masked = mask(&line, &names);
                    let all = sentences(&masked).into_iter();
                    all.filter(|t| is_sentence(t))
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .collect();
    Read {
        scenario: l.scenario.clone(),
        steps,
    }
}

/// Every figure over `lifecycles`.
pub fn corpus_stats(lifecycles: &[PreviewLifecycle]) -> CorpusStats {
    let reads: Vec<Read> = lifecycles.iter().map(read).collect();
    let mut s = CorpusStats {
        lifecycles: lifecycles.len(),
        ..Default::default()
    };
    sentence_figures(&reads, &mut s);
    sharing_figures(lifecycles, &reads, &mut s);
    customer_figures(lifecycles, &mut s);
    s.resolved = lifecycles.iter().filter(|l| is_resolved(l)).count();
    s.not_granted = lifecycles
        .iter()
        .filter(|l| is_resolved(l) && l.outcome != GRANTED)
        .count();
    s
}

fn is_resolved(l: &PreviewLifecycle) -> bool {
    l.steps.iter().any(|s| s.kind == Stage::Resolve)
}

fn sentence_figures(reads: &[Read], s: &mut CorpusStats) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut vocabulary = BTreeSet::new();
    for sentence in reads.iter().flat_map(|r| r.steps.iter().flatten()) {
        *counts.entry(sentence).or_default() += 1;
        vocabulary.extend(words(sentence));
        s.sentences += 1;
    }
    s.distinct_sentences = counts.len();
    s.distinct_words = vocabulary.len();
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.truncate(TOP);
    s.top_sentences = ranked.iter().map(|(_, n)| n).sum();
    s.most_common = ranked
        .into_iter()
        .map(|(t, n)| (t.to_string(), n))
        .collect();
}

/// The step index of the agent's question (the first agent reply) and of the
/// first resolution.
fn question_and_resolution(l: &PreviewLifecycle) -> (Option<usize>, Option<usize>) {
    let first = |kind: Stage| l.steps.iter().position(|s| s.kind == kind);
    (first(Stage::AgentReply), first(Stage::Resolve))
}

/// A ticket's question or resolution sentences found in no other scenario.
type Own = BTreeSet<String>;

fn sharing_figures(lifecycles: &[PreviewLifecycle], reads: &[Read], s: &mut CorpusStats) {
    let mut scenarios_of: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for r in reads {
        for sentence in r.steps.iter().flatten() {
            scenarios_of
                .entry(sentence)
                .or_default()
                .insert(&r.scenario);
        }
    }
    let own = |r: &Read, step: Option<usize>| -> BTreeSet<String> {
        let sentences = step.and_then(|i| r.steps.get(i)).into_iter().flatten();
        sentences
            .filter(|t| {
                scenarios_of
                    .get(t.as_str())
                    .is_some_and(|set| set.len() == 1)
            })
            .cloned()
            .collect()
    };
    let mut by_scenario: BTreeMap<&str, Vec<(Own, Own)>> = BTreeMap::new();
    for (l, r) in lifecycles.iter().zip(reads) {
        let (q, res) = question_and_resolution(l);
        let entry = (own(r, q), own(r, res));
        by_scenario.entry(&l.scenario).or_default().push(entry);
    }
    for tickets in by_scenario.values() {
        for (i, a) in tickets.iter().enumerate() {
            for b in &tickets[i + 1..] {
                s.scenario_pairs += 1;
                s.pairs_sharing_question += usize::from(!a.0.is_disjoint(&b.0));
                s.pairs_sharing_resolution += usize::from(!a.1.is_disjoint(&b.1));
            }
        }
    }
}

fn customer_figures(lifecycles: &[PreviewLifecycle], s: &mut CorpusStats) {
    let mut lengths = Vec::new();
    for l in lifecycles {
        let names = names(l);
        let customer = l
            .steps
            .iter()
            .filter(|st| st.author.as_deref() == Some("customer"));
        for step in customer {
            let lines = step.body.as_deref().map(body_lines).unwrap_or_default();
            let masked: Vec<String> = lines.iter().map(|x| mask(x, &names)).collect();
            lengths.push(masked.iter().map(|x| words(x).count()).sum::<usize>());
            let tally = |t: &mut (usize, usize), hit: bool| {
                t.0 += 1;
                t.1 += usize::from(hit);
            };
            match l.tone.as_str() {
                "frustrated" => tally(&mut s.frustrated, has_frustration(&lines)),
                "non-native" => tally(&mut s.non_native, has_learner_error(&lines)),
                tone if is_informal(tone) => {
                    tally(&mut s.informal, has_typo_or_no_greeting(&masked))
                }
                _ => {}
            }
        }
    }
    lengths.sort_unstable();
    s.customer_messages = lengths.len();
    s.customer_words_p10 = percentile(&lengths, 10);
    s.customer_words_p90 = percentile(&lengths, 90);
}

/// `part / whole` as a ratio, 0 when `whole` is 0.
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A percentage of `part` in `whole`.
fn pct(part: usize, whole: usize) -> f64 {
    100.0 * ratio(part, whole)
}

/// "12.5% (25 of 200)".
fn share((whole, part): (usize, usize)) -> String {
    format!("{:.1}% ({part} of {whole})", pct(part, whole))
}

impl CorpusStats {
    /// Each figure: its name, its value, and issue 12's target.
    pub fn rows(&self) -> Vec<(&'static str, String, &'static str)> {
        let (sentences, distinct) = (self.sentences, self.distinct_sentences);
        let pairs = self.scenario_pairs;
        vec![
            (
                "distinct-sentence ratio",
                format!(
                    "{:.3} ({distinct} of {sentences})",
                    ratio(distinct, sentences)
                ),
                ">= 0.6",
            ),
            (
                "top-20 sentences' share",
                share((sentences, self.top_sentences)),
                "<= 10%",
            ),
            ("distinct words", self.distinct_words.to_string(), ">= 4000"),
            (
                "same-scenario pairs sharing a question",
                share((pairs, self.pairs_sharing_question)),
                "<= 15%",
            ),
            (
                "same-scenario pairs sharing a resolution",
                share((pairs, self.pairs_sharing_resolution)),
                "<= 10%",
            ),
            (
                "customer message words p10",
                format!(
                    "{} ({} messages)",
                    self.customer_words_p10, self.customer_messages
                ),
                "<= 12",
            ),
            (
                "customer message words p90",
                self.customer_words_p90.to_string(),
                ">= 120",
            ),
            (
                "resolved lifecycles not \"granted\"",
                share((self.resolved, self.not_granted)),
                ">= 25%",
            ),
            (
                "frustrated messages with a frustration marker",
                share(self.frustrated),
                ">= 95%",
            ),
            (
                "non-native messages with a learner error",
                share(self.non_native),
                ">= 50%",
            ),
            (
                "informal messages with a typo or no greeting",
                share(self.informal),
                ">= 10%",
            ),
        ]
    }
}

impl fmt::Display for CorpusStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.lifecycles;
        writeln!(
            f,
            "corpus of {n} lifecycles (names, numbers and ids masked)"
        )?;
        for (name, value, target) in self.rows() {
            writeln!(f, "  {name:<46} {value:<26} target {target}")?;
        }
        writeln!(f, "most common sentences:")?;
        for (text, n) in self.most_common.iter().take(10) {
            writeln!(f, "  {n:>6}  {text}")?;
        }
        Ok(())
    }
}
