//! Secret hygiene (issue 14): the API key (and its Basic-auth form) appears
//! in no output of any command, no database file, and no `Debug` of a
//! configuration type. The crash and fault suites run their daemons with it
//! and call [`assert_nowhere`] on what they leave.
//!
//! For outputs tested elsewhere (`report`, `/metrics`, the webhook secret):
//! [`assert_no_secret`] checks any bytes against the key and extra secrets,
//! [`assert_commands_keep_secrets`] runs `ticketsim` commands and checks
//! their stdout and stderr, [`assert_url_keeps_secrets`] checks a page.

use std::path::Path;

use base64::Engine;

use crate::harness::API_KEY;
use crate::process::{emulator_process_with, ticketsim};

/// The key as it could leak: plain, and inside the Authorization header.
fn forms() -> [String; 2] {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:X"));
    [API_KEY.to_string(), basic]
}

fn assert_clean(what: &str, bytes: &[u8]) {
    assert_no_secret(what, bytes, &[]);
}

/// Panics, naming `what` (never the secret), if `bytes` hold the API key
/// (plain or as Basic auth) or any of `extra` (e.g. the webhook secret).
pub(crate) fn assert_no_secret(what: &str, bytes: &[u8], extra: &[&str]) {
    let text = String::from_utf8_lossy(bytes);
    for f in forms() {
        assert!(!text.contains(&f), "{what} contains the API key");
    }
    for (i, secret) in extra.iter().enumerate() {
        assert!(!secret.is_empty(), "extra secret {i} is empty");
        assert!(!text.contains(secret), "{what} contains extra secret {i}");
    }
}

/// Runs each `ticketsim` command (args) in `dir` with `env`, within 120 s,
/// and checks its stdout and stderr with [`assert_no_secret`]. Returns the
/// outputs, for the caller's own assertions.
pub(crate) async fn assert_commands_keep_secrets(
    dir: &Path,
    env: &[(&str, &str)],
    commands: &[&[&str]],
    extra: &[&str],
) -> Vec<std::process::Output> {
    let mut outputs = Vec::new();
    for args in commands {
        let run = ticketsim(dir, env).args(*args).output();
        let out = tokio::time::timeout(std::time::Duration::from_secs(120), run)
            .await
            .unwrap_or_else(|_| panic!("{args:?} did not end within 120 s"))
            .unwrap();
        assert_no_secret(&format!("stdout of {args:?}"), &out.stdout, extra);
        assert_no_secret(&format!("stderr of {args:?}"), &out.stderr, extra);
        outputs.push(out);
    }
    outputs
}

/// GETs `url` (e.g. `/metrics`) and checks its headers and body.
pub(crate) async fn assert_url_keeps_secrets(url: &str, extra: &[&str]) {
    let resp = reqwest::get(url).await.unwrap();
    let headers = format!("{:?}", resp.headers());
    assert_no_secret(&format!("headers of {url}"), headers.as_bytes(), extra);
    let body = resp.bytes().await.unwrap();
    assert_no_secret(&format!("body of {url}"), &body, extra);
}

/// Checks the database `db` and its -wal, -shm and .lock files, if present.
pub(crate) fn assert_database_keeps_secrets(db: &Path, extra: &[&str]) {
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        if let Ok(bytes) = std::fs::read(&name) {
            assert_no_secret(&format!("{}", Path::new(&name).display()), &bytes, extra);
        }
    }
}

/// Checks the outputs of status, show, export and check (text and
/// JSON), the log file `log`, and the database with its -wal and -shm.
pub(crate) async fn assert_nowhere(dir: &Path, url: &str, log: &str) {
    assert_clean("the daemon's log", log.as_bytes());
    let env = [("FRESHDESK_URL", url), ("FRESHDESK_API_KEY", API_KEY)];
    let commands: [&[&str]; 7] = [
        &["--db", "t.db", "status"],
        &["--db", "t.db", "status", "--json"],
        &["--db", "t.db", "show", "1"],
        &["--db", "t.db", "show", "1", "--json"],
        &["--db", "t.db", "export"],
        &["check", "--json", "--no-probe"],
        &["check", "--no-probe"],
    ];
    assert_commands_keep_secrets(dir, &env, &commands, &[]).await;
    assert_database_keeps_secrets(&dir.join("t.db"), &[]);
}

#[test]
fn debug_of_every_configuration_type_hides_the_api_key() {
    let env: std::collections::HashMap<String, String> = [
        ("FRESHDESK_URL", "https://acme.freshdesk.com"),
        ("FRESHDESK_API_KEY", API_KEY),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = ticketsim::config::Config::from_env(&env, None).unwrap();
    assert_clean(
        "Debug of Config",
        format!("{config:?} {config:#?}").as_bytes(),
    );
    let key = ticketsim::freshdesk::ApiKey::new(API_KEY);
    let cc = ticketsim::freshdesk::ClientConfig::new("https://acme.freshdesk.com", key.clone());
    assert_clean(
        "Debug of ClientConfig",
        format!("{cc:?} {cc:#?}").as_bytes(),
    );
    assert_clean("Debug of ApiKey", format!("{key:?}").as_bytes());
    let client = ticketsim::freshdesk::Client::new(cc).unwrap();
    assert_clean("Debug of Client", format!("{client:?}").as_bytes());
    let emu = crate::harness::emulator_config();
    assert_clean("Debug of EmulatorConfig", format!("{emu:?}").as_bytes());
}

#[tokio::test]
async fn the_outputs_of_load_and_purge_hold_no_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) =
        emulator_process_with(dir.path(), &["--api-key", API_KEY, "--seed", "3"]).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_LOG", "trace"),
        ("TICKETSIM_RATE_PER_MIN", "100000"),
    ];
    let load = ["load", "--rate", "600/min", "--offsets", "0s,1s,2s,3s"];
    let json = [
        &load[..],
        &["--lifecycles", "4", "--db", "load.db", "--json"],
    ]
    .concat();
    let html = [&json[..], &["--html", "report.html"]].concat();
    let text = [&load[..], &["--lifecycles", "2", "--db", "text.db"]].concat();
    let purge = ["--db", "load.db", "purge"];
    let commands: [&[&str]; 6] = [
        &html,
        &text,
        &[&purge[..], &["--dry-run"]].concat(),
        &[&purge[..], &["--dry-run", "--json"]].concat(),
        &[&purge[..], &["--yes", "--json"]].concat(),
        &[&purge[..], &["--yes"]].concat(),
    ];
    let outs = assert_commands_keep_secrets(dir.path(), &env, &commands, &[]).await;
    for (args, out) in commands.iter().zip(&outs) {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
    let summary: serde_json::Value = serde_json::from_slice(&outs[0].stdout).unwrap();
    assert_eq!(summary["lifecycles"]["closed"], 4, "{summary}");
    let purged: serde_json::Value = serde_json::from_slice(&outs[4].stdout).unwrap();
    assert_eq!(purged["tickets_deleted"], 4, "{purged}");
    // The emulator's request log holds every request's headers, redacted.
    assert_url_keeps_secrets(&format!("{url}/_emulator/requests"), &[]).await;
    let report = std::fs::read(dir.path().join("report.html")).unwrap();
    assert_no_secret("the load's HTML report", &report, &[]);
    assert_database_keeps_secrets(&dir.path().join("load.db"), &[]);
    assert_database_keeps_secrets(&dir.path().join("text.db"), &[]);
}
