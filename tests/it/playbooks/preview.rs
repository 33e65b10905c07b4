//! `preview` (the planner with made-up people) and `seed-contacts`, and the
//! configuration errors of the content variables, through the real binary.

use std::collections::BTreeSet;
use std::sync::Arc;

use ticketsim::app::{PreviewLifecycle, PreviewOptions, preview};
use ticketsim::clock::SystemClock;
use ticketsim::content::{Library, html_to_text};
use ticketsim::dispatcher::Content;
use ticketsim::domain::{Stage, StageOffsets};

use super::{daemon_with, run_to_end, slots};
use crate::harness::{API_KEY, T0, emulator_config, spawn_app, spawn_emulator};

use crate::process::ticketsim;

fn content(playbooks: &str) -> Content {
    let library = Library::embedded();
    Content {
        playbooks: library.select_playbooks(playbooks).unwrap(),
        library,
        offsets: StageOffsets::DEFAULT,
        tag: "ticketsim".into(),
    }
}

fn previewed(seed: u64, count: usize) -> Vec<PreviewLifecycle> {
    let opts = PreviewOptions {
        count,
        seed,
        contacts: 50,
        agents: 5,
    };
    preview(&content("all"), &opts).unwrap()
}

#[tokio::test]
async fn two_runs_with_a_fixed_seed_and_configuration_produce_identical_lifecycles() {
    assert_eq!(previewed(9, 50), previewed(9, 50));
    let mut runs = vec![];
    for _ in 0..2 {
        let app = spawn_app().await;
        let d = daemon_with(&app, "all").await;
        let mut ids = vec![];
        for at in slots(T0, 4) {
            ids.push(d.triggers.start_slot(at, T0).await.unwrap().unwrap());
        }
        run_to_end(&app, &d).await;
        let mut run = vec![];
        for id in ids {
            let l = d.store.lifecycle(id).await.unwrap();
            let rec = d.store.export_record(&l).await.unwrap();
            let steps = d.store.steps(id).await.unwrap();
            let kinds: Vec<(Stage, String)> = steps
                .iter()
                .map(|s| (s.stage, s.params.summary()))
                .collect();
            run.push((
                format!("{:?}", l.plan),
                serde_json::to_string(&rec.messages).unwrap(),
                kinds,
            ));
        }
        runs.push(run);
    }
    assert_eq!(runs[0], runs[1], "same plans, steps and messages");
}

#[tokio::test]
async fn the_preview_command_prints_the_same_json_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = vec![];
    for _ in 0..2 {
        let out = ticketsim(dir.path(), &[])
            .args([
                "preview",
                "-n",
                "5",
                "--seed",
                "9",
                "--json",
                "--playbooks",
                "all",
            ])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        outs.push(out.stdout);
    }
    assert_eq!(outs[0], outs[1]);
    let json: serde_json::Value = serde_json::from_slice(&outs[0]).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 5);
    for item in items {
        for key in [
            "scenario",
            "category",
            "playbook",
            "subject",
            "description",
            "type",
            "priority",
            "tags",
            "steps",
        ] {
            assert!(item.get(key).is_some(), "{key} missing in {item}");
        }
        for step in item["steps"].as_array().unwrap() {
            for key in ["offset", "kind", "author", "body"] {
                assert!(step.get(key).is_some(), "{key} missing in {step}");
            }
        }
    }
    assert!(
        !dir.path().join("ticketsim.db").exists(),
        "no database is touched"
    );
}

#[tokio::test]
async fn preview_stats_and_lint_print_the_figures_and_a_count_per_rule() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "preview",
        "--stats",
        "--lint",
        "-n",
        "200",
        "--seed",
        "3",
        "--playbooks",
        "all",
    ];
    let out = ticketsim(dir.path(), &[])
        .args(args)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for figure in [
        "corpus of 200 lifecycles",
        "distinct-sentence ratio",
        "distinct words",
        "customer message words p90",
        "resolved lifecycles not \"granted\"",
        "frustrated messages with a frustration marker",
        "lint: ",
        "question for a fact already stated",
        "resolution cites no fact the customer gave",
    ] {
        assert!(stdout.contains(figure), "{figure} missing in:\n{stdout}");
    }
    for rule in [
        "doubled word",
        "a/an before the wrong sound",
        "customer and agent share a first name",
        "phrase from another category",
        "time phrase longer than the real gap",
        "time entry longer than the lifecycle",
    ] {
        let line = stdout.lines().find(|l| l.trim_start().starts_with(rule));
        let count = line.and_then(|l| l.split_whitespace().last());
        assert_eq!(count, Some("0"), "{rule} in:\n{stdout}");
    }
    let both = ["preview", "--stats", "--json"];
    let out = ticketsim(dir.path(), &[])
        .args(both)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--stats and --json conflict");
}

#[tokio::test]
async fn preview_follows_the_stage_offsets_and_playbooks_variables() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::write(scenarios.join("warranty.json"), WARRANTY).unwrap();
    let scenarios = scenarios.display().to_string();
    let env = [
        ("TICKETSIM_STAGE_OFFSETS", "1s,2s,3s,4s"),
        ("TICKETSIM_PLAYBOOKS", "no-answer"),
        ("TICKETSIM_SCENARIOS_DIR", scenarios.as_str()),
    ];
    let out = ticketsim(dir.path(), &env)
        // 17 categories with the user's: enough lifecycles that the seed draws it.
        .args(["preview", "-n", "200", "--json"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for item in json.as_array().unwrap() {
        assert_eq!(item["playbook"], "no-answer");
        let offsets: Vec<&str> = item["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["offset"].as_str().unwrap())
            .collect();
        assert_eq!(offsets, ["0s", "1s", "3s", "6s"]);
    }
    let warranty = json
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["category"] == "warranty");
    let warranty = warranty.expect("the directory's scenario is generated");
    assert!(
        warranty["subject"]
            .as_str()
            .unwrap()
            .contains("smart kettle")
    );
}

/// A user's scenario file, as in the README.
const WARRANTY: &str = r#"{
  "variables": {"gadget": ["smart kettle"]},
  "categories": [{
    "name": "warranty",
    "scenarios": [{
      "name": "warranty-claim", "ticket_type": "Question", "priority": [1, 2],
      "tags": ["warranty"], "key": "order",
      "topics": ["the warranty claim for order {order}"],
      "subjects": ["Warranty claim for my {gadget} ({order})"],
      "descriptions": [["My {gadget} from order {order} stopped working on {date}."]],
      "exchanges": [{"agent": ["Sorry about order {order}. Does it power on at all?"],
                     "customer": [["No, nothing happens."]]}],
      "resolutions": [["I've approved the warranty claim for order {order}."]]
    }]
  }]
}"#;

/// 1,000 lifecycles from one seed, all playbooks on.
#[test]
fn over_a_thousand_previewed_lifecycles_are_varied_and_cover_everything() {
    let lifecycles = previewed(1, 1_000);
    let pairs: BTreeSet<(&str, &str)> = lifecycles
        .iter()
        .map(|l| (l.subject.as_str(), l.description.as_str()))
        .collect();
    assert!(
        pairs.len() * 100 >= 95 * lifecycles.len(),
        "only {} distinct",
        pairs.len()
    );
    let library = Library::embedded();
    let scenarios: BTreeSet<(String, String)> = lifecycles
        .iter()
        .map(|l| (l.category.clone(), l.scenario.clone()))
        .collect();
    for pair in library.scenario_names() {
        assert!(scenarios.contains(&pair), "{pair:?} never appeared");
    }
    let playbooks: BTreeSet<String> = lifecycles.iter().map(|l| l.playbook.clone()).collect();
    // `all` is every scripted playbook (the trainee one is never picked by it)
    let all: BTreeSet<String> = (library.playbook_names().into_iter())
        .filter(|p| p != "trainee")
        .collect();
    assert_eq!(playbooks, all);
    let categories: BTreeSet<&str> = lifecycles.iter().map(|l| l.category.as_str()).collect();
    assert!(categories.len() >= 8);
}

#[test]
fn every_resolution_in_a_thousand_lifecycles_names_the_key_variable() {
    for l in previewed(2, 1_000) {
        let resolutions: Vec<&str> = l
            .steps
            .iter()
            .filter(|s| {
                s.kind == Stage::Resolve || (s.body.is_some() && s.params.status == Some(5))
            })
            .filter_map(|s| s.text.as_deref())
            .collect();
        assert!(!resolutions.is_empty(), "{} has no resolution", l.playbook);
        for text in resolutions {
            assert!(
                text.contains(&l.key),
                "{} not in {} resolution: {text}",
                l.key,
                l.scenario
            );
        }
    }
}

/// Ten seeds, a hundred lifecycles each: every text is filled in.
#[test]
fn no_placeholder_is_left_unfilled_over_many_seeds() {
    for seed in 0..10 {
        for l in previewed(seed, 100) {
            let bodies = l
                .steps
                .iter()
                .filter_map(|s| s.body.as_deref())
                .map(html_to_text);
            let notes = l.steps.iter().filter_map(|s| s.params.note.clone());
            let texts: Vec<String> = [l.subject.clone(), l.key.clone()]
                .into_iter()
                .chain(bodies)
                .chain(notes)
                .collect();
            for t in texts {
                assert!(
                    !t.contains(['{', '}', '#']) && !t.trim().is_empty(),
                    "seed {seed}: {t:?}"
                );
            }
            let emails = l.customer.email.clone().unwrap();
            assert!(
                emails.ends_with("example.com")
                    || emails.ends_with("example.org")
                    || emails.ends_with(".test")
            );
        }
    }
}

#[tokio::test]
async fn a_malformed_scenario_file_stops_run_and_preview_with_exit_2_naming_file_and_line() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::write(
        scenarios.join("mine.json"),
        "{\n  \"categories\": [\n    {\"name\": \"warranty\" \"scenarios\": []}\n  ]\n}\n",
    )
    .unwrap();
    let dir_text = scenarios.display().to_string();
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_SCENARIOS_DIR", dir_text.as_str()),
    ];
    for args in [vec!["--db", "t.db", "run"], vec!["preview"]] {
        let out = ticketsim(dir.path(), &env)
            .args(&args)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(lines[0].contains("TICKETSIM_SCENARIOS_DIR"), "{stderr}");
        assert!(lines[0].contains("mine.json:3:"), "file and line: {stderr}");
    }
    assert!(emulator.requests().is_empty(), "nothing was sent");
    assert!(!dir.path().join("t.db").exists(), "no database was created");
}

#[tokio::test]
async fn an_unknown_playbook_stops_run_with_exit_2_listing_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FRESHDESK_URL", "http://127.0.0.1:9"),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_PLAYBOOKS", "classic,escalate"),
    ];
    let out = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("TICKETSIM_PLAYBOOKS") && stderr.contains("escalation"),
        "{stderr}"
    );
}

#[tokio::test]
async fn seed_contacts_creates_reserved_domain_contacts_and_reuses_them_the_second_time() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let before = emulator.contacts().len();
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
    ];
    let mut summaries = vec![];
    for _ in 0..2 {
        let out = ticketsim(dir.path(), &env)
            .args(["seed-contacts", "-n", "6"])
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        summaries.push(stdout.lines().last().unwrap().to_string());
    }
    assert!(
        summaries[0].contains("6 created, 0 already there"),
        "{summaries:?}"
    );
    assert!(
        summaries[1].contains("0 created, 6 already there"),
        "{summaries:?}"
    );
    let contacts = emulator.contacts();
    assert_eq!(contacts.len(), before + 6);
    for c in &contacts[before..] {
        let email = c.email.clone().unwrap();
        let domain = email.split('@').nth(1).unwrap();
        assert!(
            domain.ends_with(".test") || domain.starts_with("example."),
            "{email}"
        );
        assert!(
            c.tags
                .clone()
                .unwrap_or_default()
                .contains(&"ticketsim".to_string())
        );
    }
    let posts = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(
        posts, 12,
        "every create went out, the second six answered 409"
    );
}
