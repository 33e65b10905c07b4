//! The exact text of a few seeds, pinned. A failure means every seeded
//! conversation changed: intended after a content or `dice.rs` change (then
//! regenerate with `TICKETSIM_UPDATE_GOLDEN=1 cargo test --lib golden` and
//! review the diff), a bug otherwise.

use std::path::PathBuf;

use super::html::html_to_text;
use super::*;

use super::TEST_CAST as CAST;

/// Seeds whose playbooks, among all, cover a reopen, an escalation and a time entry.
const SEEDS: [u64; 4] = [1, 2, 3, 4];

/// A script as plain text: the picks and fields, then each step and its lines.
fn render(s: &Script) -> String {
    let mut t = format!(
        "{} / {} / {} / tone {} / outcome {}\nsubject: {}\ntype {}, priority {}, tags {}, key {}\n",
        s.category,
        s.scenario,
        s.playbook,
        s.tone,
        s.outcome,
        s.subject,
        s.ticket_type,
        s.priority,
        s.tags.join(","),
        s.key
    );
    for step in &s.steps {
        let who = step.author.map_or("-", Author::kind);
        let params = step.params.summary();
        t.push_str(&format!(
            "+{}ms {} {who} {params}\n",
            step.offset_ms,
            step.kind.as_str()
        ));
        let body = step.body.as_deref().unwrap_or_default();
        for line in body
            .split("</p>")
            .flat_map(|p| p.split("<br>"))
            .map(html_to_text)
        {
            if !line.is_empty() {
                t.push_str(&format!("    {line}\n"));
            }
        }
    }
    t
}

fn golden(seed: u64) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("src/content/golden/seed-{seed}.txt"))
}

#[test]
fn the_text_of_a_few_seeds_is_pinned_exactly() {
    let lib = Library::embedded();
    let all = lib.select_playbooks("all").unwrap();
    let update = std::env::var_os("TICKETSIM_UPDATE_GOLDEN").is_some();
    for seed in SEEDS {
        let text = render(&compose_seeded(
            seed,
            &lib,
            &all,
            &StageOffsets::DEFAULT,
            &CAST,
        ));
        let path = golden(seed);
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            text == expected,
            "seed {seed} differs from {}:\n{text}",
            path.display()
        );
    }
}
