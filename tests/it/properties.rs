//! Property tests (issue 14), on stable in every `cargo test`: the
//! configuration, cron, offset and duration parsers, the scenario and
//! playbook loader, the client's response decoding and the emulator's
//! request parsing never panic on any input, and accept what they should.
//! `PROPTEST_CASES` raises the number of cases (default 64 here).

use proptest::prelude::*;

use ticketsim::domain::{StageOffsets, parse_duration};

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig::with_cases(cases)
}

/// A value and its unit as written, with its length in ms.
fn duration() -> impl Strategy<Value = (String, i64)> {
    let units = prop_oneof![
        Just(("ms", 1i64)),
        Just(("s", 1_000)),
        Just(("m", 60_000)),
        Just(("h", 3_600_000)),
        Just(("d", 86_400_000)),
    ];
    (1i64..10_000, units).prop_map(|(n, (u, ms))| (format!("{n}{u}"), n * ms))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_duration_parses_to_its_length_and_no_string_panics(
        (text, ms) in duration(),
        junk in ".{0,24}",
    ) {
        prop_assert_eq!(parse_duration(&text), Ok(ms));
        let _ = parse_duration(&junk);
    }

    #[test]
    fn four_increasing_offsets_parse_and_no_string_panics(
        mut v in proptest::collection::vec(1i64..100_000, 4),
        junk in "[0-9a-z,.\\- ]{0,32}",
    ) {
        v.sort();
        v.dedup();
        let text: Vec<String> = v.iter().map(|s| format!("{s}s")).collect();
        let parsed = StageOffsets::parse(&text.join(","));
        prop_assert_eq!(parsed.is_ok(), v.len() == 4, "{:?}", text);
        let _ = StageOffsets::parse(&junk);
    }

    #[test]
    fn no_cron_expression_panics(expr in "[0-9*/,\\-A-Za-z? ]{0,40}") {
        let _ = ticketsim::cron::parse(&expr);
        let _ = ticketsim::config::parse_cron(Some(expr));
    }

    #[test]
    fn a_bad_configuration_value_is_an_error_naming_its_variable(
        var in prop::sample::select(VARS.to_vec()),
        value in ".{0,30}",
    ) {
        let mut env: std::collections::HashMap<String, String> = [
            ("FRESHDESK_URL", "https://acme.freshdesk.com"),
            ("FRESHDESK_API_KEY", "k"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.insert(var.to_string(), value.clone());
        if let Err(e) = ticketsim::config::Config::from_env(&env, None) {
            prop_assert!(e.to_string().contains(var), "{var}={value:?}: {e}");
        }
    }

    #[test]
    fn no_playbook_list_panics(spec in "[a-z,\\- ]{0,40}") {
        let known: Vec<String> = ["classic", "pending", "escalation"].iter().map(|s| s.to_string()).collect();
        let _ = ticketsim::content::Selection::parse(&spec, &known);
    }

    #[test]
    fn no_scenario_file_panics_the_loader(text in scenario_text()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.json"), &text).unwrap();
        let _ = ticketsim::content::Library::load(Some(dir.path()));
    }

    #[test]
    fn no_response_body_panics_the_decoding(body in json_text()) {
        use ticketsim::freshdesk::types::{Agent, Contact, Conversation, Ticket, TimeEntry};
        let _ = serde_json::from_str::<Ticket>(&body);
        let _ = serde_json::from_str::<Vec<Ticket>>(&body);
        let _ = serde_json::from_str::<Conversation>(&body);
        let _ = serde_json::from_str::<Contact>(&body);
        let _ = serde_json::from_str::<Agent>(&body);
        let _ = serde_json::from_str::<TimeEntry>(&body);
    }

    #[test]
    fn the_emulator_answers_any_request_body_without_a_server_error(
        body in json_text(),
        path in prop::sample::select(PATHS.to_vec()),
    ) {
        let status = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(emulator_status(path, body));
        prop_assert!(status < 500, "{path}: {status}");
    }
}

const VARS: [&str; 12] = [
    "FRESHDESK_URL",
    "FRESHDESK_API_KEY",
    "TICKETSIM_CREATE_CRON",
    "TICKETSIM_STAGE_OFFSETS",
    "TICKETSIM_RATE_PER_MIN",
    "TICKETSIM_CONNECT_TIMEOUT",
    "TICKETSIM_REQUEST_TIMEOUT",
    "TICKETSIM_SEED",
    "TICKETSIM_PLAYBOOKS",
    "TICKETSIM_CATCHUP_WINDOW",
    "TICKETSIM_CUSTOM_FIELDS",
    "TICKETSIM_TAG",
];

const PATHS: [&str; 5] = [
    "/api/v2/tickets",
    "/api/v2/tickets/1/reply",
    "/api/v2/tickets/1/notes",
    "/api/v2/contacts",
    "/api/v2/tickets/1/time_entries",
];

/// JSON-looking text: mostly valid JSON values, some cut or mangled.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop::sample::select(KEYS.to_vec()).prop_map(String::from),
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    (value, 0usize..3, any::<usize>()).prop_map(|(v, mangle, at)| {
        let s = v.to_string();
        match mangle {
            0 if !s.is_empty() => s[..s.floor_char_boundary(at % s.len())].to_string(),
            _ => s,
        }
    })
}

const KEYS: [&str; 14] = [
    "id",
    "subject",
    "description",
    "status",
    "priority",
    "email",
    "requester_id",
    "body",
    "user_id",
    "private",
    "name",
    "contact",
    "time_spent",
    "tags",
];

fn scenario_text() -> impl Strategy<Value = String> {
    prop_oneof![json_text(), ".{0,60}"]
}

async fn emulator_status(path: &str, body: String) -> u16 {
    use tower::ServiceExt;
    let emu = ticketsim::emulator::Emulator::new(
        crate::harness::emulator_config(),
        std::sync::Arc::new(ticketsim::clock::ManualClock::new(crate::harness::T0)),
    );
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:X", crate::harness::API_KEY),
    );
    let req = axum::http::Request::post(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Basic {auth}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    emu.router().oneshot(req).await.unwrap().status().as_u16()
}
