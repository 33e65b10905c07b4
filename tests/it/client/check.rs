//! `ticketsim check` as a real process against the emulator: it succeeds on a
//! working account and leaves nothing behind, and exits 1 with the specific
//! reason for a wrong key, a wrong URL, a server that is not Freshdesk, a key
//! that may not act as the customer, and fields required for closure.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use serde_json::Value;
use ticketsim::clock::SystemClock;
use ticketsim::emulator::{CustomField, Emulator, EmulatorConfig};

use crate::harness::{API_KEY, emulator_config, spawn_emulator};

const BIN: &str = env!("CARGO_BIN_EXE_ticketsim");

/// `ticketsim check [args]` with a clean environment in `dir`.
async fn check(dir: &Path, url: &str, key: &str, extra: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = tokio::process::Command::new(BIN);
    c.env_clear()
        .current_dir(dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TICKETSIM_LOG_FORMAT", "plain")
        .env("FRESHDESK_URL", url)
        .env("FRESHDESK_API_KEY", key)
        .env("TICKETSIM_RATE_PER_MIN", "6000")
        .kill_on_drop(true)
        .arg("check")
        .args(args);
    for (k, v) in extra {
        c.env(k, v);
    }
    c.output().await.unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

async fn emulator(cfg: EmulatorConfig) -> (Emulator, String, tokio::sync::oneshot::Sender<()>) {
    spawn_emulator(cfg, Arc::new(SystemClock)).await
}

/// Nothing the probe made is left: its tickets are deleted and its contact is gone.
fn assert_probe_cleaned_up(emu: &Emulator) {
    assert!(
        emu.tickets().iter().all(|t| t.deleted == Some(true)),
        "probe ticket deleted"
    );
    let probe = "ticketsim-check-probe@example.com";
    assert!(
        emu.contacts()
            .iter()
            .all(|c| c.email.as_deref() != Some(probe)),
        "probe contact removed"
    );
}

#[tokio::test]
async fn check_against_the_emulator_succeeds_and_leaves_nothing_behind() {
    let (emu, url, _stop) = emulator(emulator_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &url, API_KEY, &[], &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "ok    URL and API key",
        "ok    rate limit",
        "ok    people",
        "ok    acting as the customer",
        "ok    schedule",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(
        text.contains("3 agents (3 active), 5 contacts, 2 groups"),
        "{text}"
    );
    assert!(text.contains("The daemon would work"), "{text}");
    assert_probe_cleaned_up(&emu);

    let out = check(dir.path(), &url, API_KEY, &[], &["--json", "--no-probe"]).await;
    assert_eq!(out.status.code(), Some(0));
    let report = json_of(&out);
    assert_eq!(report["success"], true);
    assert_eq!(report["platform"], "freshdesk");
    assert_eq!(report["domain"], url.trim_start_matches("http://"));
    assert_eq!(report["rate_limit"]["plan_per_min"], 50_000);
    assert_eq!(report["people"]["contacts"], 5);
    assert_eq!(report["schedule"]["calls_per_lifecycle"], 7);
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .starts_with("ticketsim can work with")
    );
}

#[tokio::test]
async fn a_wrong_key_exits_1_saying_authentication_failed() {
    let (_emu, url, _stop) = emulator(emulator_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &url, "not-the-key-42", &[], &["--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(report["success"], false);
    let expected =
        format!("Authentication failed: invalid API key for {url} (401 invalid_credentials)");
    assert!(
        report["message"].as_str().unwrap().starts_with(&expected),
        "{report}"
    );
    // the verdict is printed once, on stdout (issue 8)
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(&expected), "{stderr}");
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains("not-the-key-42"));
    }
}

#[tokio::test]
async fn a_wrong_url_exits_1_naming_the_refused_connection() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &url, API_KEY, &[], &["--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    let message = json_of(&out)["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with(&format!("FRESHDESK_URL {url}: Cannot connect to Freshdesk")),
        "{message}"
    );
    assert!(message.contains("Connection refused"), "{message}");
}

#[tokio::test]
async fn a_server_that_is_not_freshdesk_is_named_as_such() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let page = axum::Router::new()
        .fallback(|| async { axum::response::Html("<html>Welcome to nginx!</html>") });
    tokio::spawn(async move { axum::serve(listener, page).await });
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &url, API_KEY, &[], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "FRESHDESK_URL {url} does not look like a Freshdesk helpdesk"
        )),
        "{stdout}"
    );
}

#[tokio::test]
async fn an_account_refusing_to_act_as_the_customer_exits_1_with_the_remedy() {
    let cfg = EmulatorConfig {
        allow_assume_identity: false,
        ..emulator_config()
    };
    let (emu, url, _stop) = emulator(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let out = check(dir.path(), &url, API_KEY, &[], &["--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(report["acting_as_customer"]["allowed"], false);
    let message = report["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "refused, so the customer-reply step would fail: Forbidden (403 invalid_user)"
        ),
        "{message}"
    );
    assert!(
        message.contains("use an admin key with the 'manage users' privilege"),
        "{message}"
    );
    assert_probe_cleaned_up(&emu);
}

#[tokio::test]
async fn closure_fields_a_bad_mapping_and_an_impossible_schedule_are_each_named() {
    let mut plan: CustomField = "cf_plan:dropdown:Free|Pro".parse().unwrap();
    plan.required_for_closure = true;
    let cfg = EmulatorConfig {
        custom_fields: vec![plan],
        ..emulator_config()
    };
    let (_emu, url, _stop) = emulator(cfg).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("TICKETSIM_CUSTOM_FIELDS", "plan=cf_plan,tier=cf_tier"),
        ("TICKETSIM_CREATE_CRON", "*/2 * * * * *"),
        ("TICKETSIM_RATE_PER_MIN", "50"),
    ];
    let out = check(dir.path(), &url, API_KEY, &env, &["--json", "--no-probe"]).await;
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(report["closure_blockers"][0]["name"], "cf_plan");
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["required for closure", "custom fields", "schedule"]
    );
    let message = report["message"].as_str().unwrap();
    assert!(
        message.contains("ticket fields required for closure: cf_plan (Plan)"),
        "{message}"
    );
    assert!(
        message.contains(
            "TICKETSIM_CUSTOM_FIELDS: tier=cf_tier: cf_tier is not a custom ticket field"
        ),
        "{message}"
    );
    assert!(
        message.contains("steps would fall further and further behind"),
        "{message}"
    );
}

#[tokio::test]
async fn a_bad_configuration_exits_2_before_any_request() {
    let (emu, url, _stop) = emulator(emulator_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [("TICKETSIM_REQUEST_TIMEOUT", "forever")];
    let out = check(dir.path(), &url, API_KEY, &env, &["--json"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_of(&out)["success"], false);
    assert!(String::from_utf8_lossy(&out.stderr).contains("TICKETSIM_REQUEST_TIMEOUT"));
    assert!(emu.requests().is_empty());
}
