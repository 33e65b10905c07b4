//! Secret hygiene (issue 14): the API key (and its Basic-auth form) appears
//! in no output of any command, no database file, and no `Debug` of a
//! configuration type. The crash and fault suites run their daemons with it
//! and call [`assert_nowhere`] on what they leave.

use std::path::Path;

use base64::Engine;

use crate::harness::API_KEY;
use crate::process::ticketsim;

/// The key as it could leak: plain, and inside the Authorization header.
fn forms() -> [String; 2] {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:X"));
    [API_KEY.to_string(), basic]
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for f in forms() {
        assert!(!text.contains(&f), "{what} contains the API key");
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
    for args in commands {
        let out = ticketsim(dir, &env).args(args).output().await.unwrap();
        assert_clean(&format!("stdout of {args:?}"), &out.stdout);
        assert_clean(&format!("stderr of {args:?}"), &out.stderr);
    }
    for file in ["t.db", "t.db-wal", "t.db-shm", "t.db.lock"] {
        if let Ok(bytes) = std::fs::read(dir.join(file)) {
            assert_clean(file, &bytes);
        }
    }
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
