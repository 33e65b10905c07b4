//! The library as loaded: the built-in data's coverage, a user's directory, and
//! how problems in either are reported.

use std::sync::Arc;

use super::checks;
use super::library::{Library, SCENARIOS_JSON};
use crate::content::{Cast, Selection, compose};
use crate::domain::StageOffsets;
use rand::SeedableRng;

/// A user scenario in the built-in format; `extra` is spliced into it.
fn user_scenario(name: &str, extra: &str) -> String {
    format!(
        r#"{{
  "name": "{name}",
  "ticket_type": "Question",
  "priority": [1, 2],
  "tags": ["warranty"],
  "key": "order",
  "topics": ["the warranty claim for order {{order}}"],
  "subjects": ["Warranty claim for {{gadget}}, order {{order}}"],
  "descriptions": [["My {{gadget}} from order {{order}} stopped working.{extra}"]],
  "exchanges": [{{"agent": ["Sorry about order {{order}}. When did it stop?"], "customer": [["On {{date}}."]]}}],
  "resolutions": [["I've approved the warranty claim for order {{order}}."]]
}}"#
    )
}

fn user_dir(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn file_with(categories: &str) -> String {
    format!(
        "{{\n\"variables\": {{\"gadget\": [\"smart kettle\"], \"product\": [\"Acme Kettle App\"]}},\n\"categories\": [{categories}]\n}}\n"
    )
}

#[test]
fn the_built_in_library_loads_and_passes_every_check() {
    if let Err(e) = Library::load(None) {
        panic!("{e}");
    }
}

#[test]
fn the_built_in_library_covers_sixteen_categories_with_sixty_scenarios() {
    let lib = Library::load(None).unwrap();
    for wanted in [
        "billing",
        "refund",
        "account-access",
        "shipping",
        "bug-report",
        "outage",
        "feature-request",
        "how-to",
        "security",
        "privacy",
        "subscription",
        "integrations",
        "compliance",
        "hardware",
        "onboarding",
        "account-deletion",
    ] {
        let category = lib.categories.iter().find(|c| c.name == wanted);
        assert!(
            category.is_some_and(|c| !c.scenarios.is_empty()),
            "{wanted}"
        );
    }
    assert!(lib.scenario_names().len() >= 60);
    let playbooks = lib.playbook_names();
    let want = [
        "classic",
        "pending",
        "escalation",
        "time-logged",
        "reopen",
        "no-answer",
        "trainee",
    ];
    assert_eq!(playbooks, want);
}

#[test]
fn every_scenario_uses_the_slot_variables_somewhere() {
    let text = SCENARIOS_JSON;
    for var in [
        "product", "plan", "order", "error", "device", "date", "amount",
    ] {
        let uses = text.matches(&format!("{{{var}}}")).count();
        assert!(uses >= 3, "{{{var}}} is used {uses} times");
    }
}

#[test]
fn a_user_file_adds_scenarios_and_pool_values() {
    let scenario = user_scenario("kettle-warranty", "");
    let other = user_scenario("kettle-warranty-2", "");
    let dir = user_dir(&[
        (
            "a.json",
            file_with(&format!(
                "{{\"name\": \"warranty\", \"scenarios\": [{scenario}]}}"
            )),
        ),
        (
            "b.json",
            file_with(&format!(
                "{{\"name\": \"billing\", \"scenarios\": [{other}]}}"
            )),
        ),
        ("notes.txt", "not a scenario".to_string()),
    ]);
    let lib = Library::load(Some(dir.path())).unwrap();
    let names = lib.scenario_names();
    assert!(names.contains(&("warranty".into(), "kettle-warranty".into())));
    assert!(names.contains(&("billing".into(), "kettle-warranty-2".into())));
    assert!(lib.variables["product"].contains(&"Acme Kettle App".to_string()));
    assert!(lib.variables["product"].len() > 1, "built-in values kept");
    let cast = Cast {
        customer: "Nadia Fenwick",
        customer_key: 1,
        agent: "Omar Haddad",
        agent_key: 11,
        escalation_agent: "Priya Raman",
        escalation_agent_key: 12,
        escalation_group: "Tier 2",
    };
    let found = (0..400).any(|seed| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let s = compose(
            &mut rng,
            &lib,
            &Selection::default(),
            &StageOffsets::DEFAULT,
            &cast,
        );
        s.scenario == "kettle-warranty" && s.subject.contains("smart kettle")
    });
    assert!(found, "the user's scenario is generated");
}

#[test]
fn a_malformed_user_file_is_reported_with_its_path_line_and_column() {
    let dir = user_dir(&[(
        "bad.json",
        "{\n  \"categories\": [\n    {\"name\": \"x\",,}\n  ]\n}".into(),
    )]);
    let e = Library::load(Some(dir.path())).unwrap_err().to_string();
    let path = dir.path().join("bad.json").display().to_string();
    assert!(e.starts_with(&format!("{path}:3:18: ")), "{e}");
    assert!(!e.contains('\n'));
}

#[test]
fn an_unknown_field_is_reported_where_it_is() {
    let dir = user_dir(&[("bad.json", "{\n  \"categorys\": []\n}".into())]);
    let e = Library::load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("bad.json:2:") && e.contains("categorys"), "{e}");
}

#[test]
fn an_unknown_placeholder_in_a_user_scenario_is_reported_at_its_line() {
    let scenario = user_scenario("kettle-warranty", " See {ordr}.");
    let text = file_with(&format!(
        "{{\"name\": \"warranty\", \"scenarios\": [{scenario}]}}"
    ));
    let line = text.lines().position(|l| l.contains("{ordr}")).unwrap() + 1;
    let dir = user_dir(&[("w.json", text)]);
    let e = Library::load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains(&format!("w.json:{line}:")), "{e}");
    assert!(e.contains("unknown placeholder {ordr}"), "{e}");
}

#[test]
fn an_unknown_outcome_or_one_without_the_key_is_refused() {
    let load = |outcome: &str| {
        let scenario = user_scenario("kettle-warranty", "")
            .replace("\n}", &format!(",\n  \"outcomes\": [{outcome}]\n}}"));
        let text = file_with(&format!(
            "{{\"name\": \"warranty\", \"scenarios\": [{scenario}]}}"
        ));
        let dir = user_dir(&[("w.json", text)]);
        Library::load(Some(dir.path()))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let e = load(r#"{"name": "maybe", "resolutions": [["No claim for {order}."]]}"#).unwrap_err();
    assert!(
        e.contains("outcome \"maybe\" must be one of refused, partial"),
        "{e}"
    );
    let e = load(r#"{"name": "refused", "resolutions": [["No claim."]]}"#).unwrap_err();
    assert!(e.contains("does not mention the key {order}"), "{e}");
    load(r#"{"name": "refused", "resolutions": [["No claim for {order}."]]}"#).unwrap();
}

#[test]
fn a_user_scenario_may_not_reuse_a_built_in_name() {
    let scenario = user_scenario("double-charge", "");
    let dir = user_dir(&[(
        "w.json",
        file_with(&format!(
            "{{\"name\": \"billing\", \"scenarios\": [{scenario}]}}"
        )),
    )]);
    let e = Library::load(Some(dir.path())).unwrap_err().to_string();
    assert!(
        e.contains("scenario \"double-charge\" is defined twice"),
        "{e}"
    );
}

#[test]
fn broken_built_in_data_is_reported_with_every_problem() {
    let lib = Library::load(None).unwrap();
    let mut lib = Arc::try_unwrap(lib).unwrap();
    let scenario = &mut lib.categories[0].scenarios[0];
    scenario.ticket_type = "Complaint".into();
    scenario.priority = [3, 5];
    scenario.subjects.push("About {ordr}".into());
    scenario.resolutions = vec![vec!["Fixed it.".into()].into()];
    scenario.playbooks.insert("escalate".into(), 1);
    let problems = checks::check_embedded(&lib).messages();
    assert_eq!(problems.len(), 5, "{problems:#?}");
}

#[test]
fn a_playbook_out_of_order_or_not_closing_is_refused() {
    let json = r#"{"playbooks": [
        {"name": "classic", "summary": "s", "weight": 1, "steps": [
            {"at": 2, "kind": "customer_reply", "text": "answer"},
            {"at": 1, "kind": "agent_reply", "text": "question"}]}]}"#;
    let file: super::playbook::PlaybookFile = serde_json::from_str(json).unwrap();
    let problems = super::playbook_checks::check_playbooks(&file.playbooks).messages();
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].contains("an answer needs an earlier question"));
    assert!(problems[1].contains("\"at\""));
    assert!(problems[2].contains("close"));
}

/// Loads a user file whose scenario's description is `description`.
fn load_description(description: &str) -> Result<(), String> {
    let scenario = user_scenario("kettle-warranty", "").replace(
        "My {gadget} from order {order} stopped working.",
        description,
    );
    let text = file_with(&format!(
        "{{\"name\": \"warranty\", \"scenarios\": [{scenario}]}}"
    ));
    let dir = user_dir(&[("w.json", text)]);
    Library::load(Some(dir.path()))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn a_fact_inside_a_wording_choice_is_refused_where_it_is() {
    let e = load_description("My {gadget} [broke on {date}|stopped working] (order {order}).")
        .unwrap_err();
    assert!(e.contains("w.json:"), "{e}");
    assert!(e.contains("{date} inside a [..|..] choice"), "{e}");
    load_description("My {gadget} [broke|stopped working] on {date} (order {order}).").unwrap();
}

#[test]
fn an_unbalanced_choice_or_an_article_that_misfits_a_wording_is_refused() {
    let e = load_description("My {gadget} [broke (order {order}).").unwrap_err();
    assert!(e.contains("unbalanced [ ]"), "{e}");
    let e = load_description("My {gadget} is a [old|new] one (order {order}).").unwrap_err();
    assert!(e.contains("\"a [old|new]\" before a [..|..] choice"), "{e}");
    load_description("My {gadget} is [an old|a new] one (order {order}).").unwrap();
}

#[test]
fn built_in_training_data_loads_and_the_loader_says_which_scenarios_lack_it() {
    let lib = Library::load(None).unwrap();
    let missing = lib.scenarios_without_training();
    let total = lib.scenario_names().len();
    assert!(missing.len() < total, "some scenarios have training data");
    assert!(missing.iter().all(|m| m.contains('/')), "{missing:?}");
    assert!(!missing.contains(&"billing/double-charge".to_string()));
}

#[test]
fn training_mode_only_writes_trainee_threads_for_scenarios_with_training_data() {
    use crate::content::compose_seeded;
    let lib = Library::load(None).unwrap();
    let missing = lib.scenarios_without_training();
    let cast = Cast {
        customer: "Nadia Fenwick",
        customer_key: 3,
        agent: "Robin Ashford",
        agent_key: 7,
        escalation_agent: "Robin Ashford",
        escalation_agent_key: 7,
        escalation_group: "Tier 2",
    };
    for seed in 0..200 {
        let s = compose_seeded(
            seed,
            &lib,
            &Selection::training(),
            &StageOffsets::DEFAULT,
            &cast,
        );
        assert_eq!(s.playbook, "trainee");
        assert_eq!(s.steps.len(), 1, "only the creation is scripted");
        let sheet = s.training.expect("a training sheet");
        assert!(!missing.contains(&format!("{}/{}", s.category, s.scenario)));
        assert!(!sheet.facts.is_empty() && !sheet.fixes.is_empty());
        let all = serde_json::to_string(&sheet).unwrap();
        assert!(
            !all.contains("{order}") && !all.contains("{error}"),
            "placeholders are filled: {all}"
        );
        for w in &sheet.wrong_fixes {
            assert!(
                w.still_broken
                    .join(" ")
                    .to_lowercase()
                    .contains("still broken"),
                "{w:?}"
            );
        }
    }
}

#[test]
fn a_user_scenario_with_broken_training_data_is_refused_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.json");
    {
        let scenario = r#"{"categories":[{"name":"billing","scenarios":[{"name":"my-training-case","ticket_type":"Question","priority":[1,2],"tags":[],"key":"order","topics":["order {order}"],"subjects":["About {order}"],"descriptions":[["Where is order {order}?"]],"exchanges":[{"agent":["Which order, {customer_first}? I see {order}."],"customer":[["It is {order}."]]}],"resolutions":[["Order {order} is on its way."]],
"training":{"root_cause":"","facts":[],"vague":[["Not sure."]],"fix":["ship"],"confirmation":[["Thanks."]]}}]}]}"#;
        std::fs::write(&file, scenario).unwrap();
    }
    let e = Library::load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("mine.json:") && e.contains("training"), "{e}");
}

#[test]
fn descriptions_with_own_subjects_and_resolutions_with_own_followups_load() {
    let load = |from: &str, to: &str| {
        let scenario = user_scenario("kettle-warranty", "").replace(from, to);
        let text = file_with(&format!(
            "{{\"name\": \"warranty\", \"citable\": [\"gadget\"], \"scenarios\": [{scenario}]}}"
        ));
        let dir = user_dir(&[("w.json", text)]);
        Library::load(Some(dir.path()))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let own = r#""descriptions": [{"text": ["My {gadget} from order {order} broke."], "subjects": ["Broken {gadget}"]}]"#;
    let plain = r#""descriptions": [["My {gadget} from order {order} stopped working."]]"#;
    load(plain, own).unwrap();
    let paired = r#""resolutions": [{"text": ["Approved for order {order}."], "followups": [["Sent a second one for {order}."]]}]"#;
    let resolutions = r#""resolutions": [["I've approved the warranty claim for order {order}."]]"#;
    load(resolutions, paired).unwrap();
    let e = load(
        resolutions,
        &paired.replace("second one for {order}", "second one"),
    )
    .unwrap_err();
    assert!(e.contains("does not mention the key {order}"), "{e}");
    let no_subjects = load(
        r#""subjects": ["Warranty claim for {gadget}, order {order}"],"#,
        "",
    );
    assert!(no_subjects.unwrap_err().contains("no subjects of its own"));
}

#[test]
fn an_outcome_with_followups_or_an_unknown_citable_fact_is_refused() {
    let scenario = user_scenario("kettle-warranty", "").replace(
        "\n}",
        ",\n  \"outcomes\": [{\"name\": \"refused\", \"resolutions\": [{\"text\": [\"No claim for {order}.\"], \"followups\": [[\"Still no for {order}.\"]]}]}]\n}",
    );
    let text = file_with(&format!(
        "{{\"name\": \"warranty\", \"scenarios\": [{scenario}]}}"
    ));
    let dir = user_dir(&[("w.json", text)]);
    let e = Library::load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("only a granted resolution has followups"), "{e}");
    let scenario = user_scenario("kettle-warranty", "");
    let text = file_with(&format!(
        "{{\"name\": \"warranty\", \"citable\": [\"gizmo\"], \"scenarios\": [{scenario}]}}"
    ));
    let dir = user_dir(&[("w.json", text)]);
    let e = Library::load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("citable \"gizmo\" is not a pool"), "{e}");
}
