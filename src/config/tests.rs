//! The configuration read from the environment: defaults, each variable's errors.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = [
        ("FRESHDESK_URL", "https://acme.freshdesk.com"),
        ("FRESHDESK_API_KEY", "abcdEFGH1234"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in pairs {
        m.insert(k.to_string(), v.to_string());
    }
    m
}

fn problem(pairs: &[(&str, &str)]) -> ConfigError {
    Config::from_env(&env(pairs), None).unwrap_err()
}

#[test]
fn defaults_fill_everything_but_url_and_key() {
    let c = Config::from_env(&env(&[]), None).unwrap();
    assert_eq!(c.freshdesk_url, "https://acme.freshdesk.com");
    assert_eq!(c.create_cron, "0 0 * * * *");
    assert_eq!(c.stage_offsets, StageOffsets::DEFAULT);
    assert_eq!(c.rate_per_min, 40);
    assert_eq!(c.tag, "ticketsim");
    assert_eq!(c.db_path, PathBuf::from("ticketsim.db"));
    assert!(c.seed_is_random);
    assert_eq!(c.max_tickets_per_day, None);
    let capped = Config::from_env(&env(&[("TICKETSIM_MAX_TICKETS_PER_DAY", "24")]), None);
    assert_eq!(capped.unwrap().max_tickets_per_day, Some(24));
}

#[test]
fn each_invalid_value_names_its_variable() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("FRESHDESK_URL", "")], "FRESHDESK_URL"),
        (
            &[("FRESHDESK_URL", "http://acme.freshdesk.com")],
            "FRESHDESK_URL",
        ),
        (&[("FRESHDESK_URL", "not a url")], "FRESHDESK_URL"),
        (&[("FRESHDESK_API_KEY", "")], "FRESHDESK_API_KEY"),
        (
            &[("TICKETSIM_CREATE_CRON", "0 * * * *")],
            "TICKETSIM_CREATE_CRON",
        ),
        (
            &[("TICKETSIM_CREATE_CRON", "0 0 99 * * *")],
            "TICKETSIM_CREATE_CRON",
        ),
        (
            &[("TICKETSIM_STAGE_OFFSETS", "10m,5m,15m,20m")],
            "TICKETSIM_STAGE_OFFSETS",
        ),
        (
            &[("TICKETSIM_STAGE_OFFSETS", "5m,10m,x,20m")],
            "TICKETSIM_STAGE_OFFSETS",
        ),
        (&[("TICKETSIM_RATE_PER_MIN", "0")], "TICKETSIM_RATE_PER_MIN"),
        (
            &[("TICKETSIM_RATE_PER_MIN", "fast")],
            "TICKETSIM_RATE_PER_MIN",
        ),
        (&[("TICKETSIM_SEED", "-1")], "TICKETSIM_SEED"),
        (&[("TICKETSIM_TAG", "a,b")], "TICKETSIM_TAG"),
        (&[("TICKETSIM_HTTP_ADDR", "nowhere")], "TICKETSIM_HTTP_ADDR"),
        (
            &[("TICKETSIM_MAX_TICKETS_PER_DAY", "0")],
            "TICKETSIM_MAX_TICKETS_PER_DAY",
        ),
        (
            &[("TICKETSIM_MAX_TICKETS_PER_DAY", "ten")],
            "TICKETSIM_MAX_TICKETS_PER_DAY",
        ),
    ];
    for (pairs, var) in cases {
        let e = problem(pairs);
        assert_eq!(e.var, *var, "{pairs:?} gave {e}");
        assert!(e.to_string().starts_with(var));
    }
}

#[test]
fn plain_http_is_accepted_for_loopback_hosts_only() {
    for ok in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
    ] {
        let c = Config::from_env(&env(&[("FRESHDESK_URL", ok)]), None).unwrap();
        assert_eq!(c.freshdesk_url, ok);
    }
    assert_eq!(
        problem(&[("FRESHDESK_URL", "http://10.0.0.1")]).var,
        "FRESHDESK_URL"
    );
}

#[test]
fn a_trailing_api_path_is_tolerated() {
    let c = Config::from_env(
        &env(&[("FRESHDESK_URL", "https://acme.freshdesk.com/api/v2/")]),
        None,
    )
    .unwrap();
    assert_eq!(c.freshdesk_url, "https://acme.freshdesk.com");
}

#[test]
fn the_key_can_come_from_a_file_and_errors_never_echo_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("key");
    std::fs::write(&f, "secretKEY123\n").unwrap();
    let mut e = env(&[("FRESHDESK_API_KEY_FILE", f.to_str().unwrap())]);
    e.remove("FRESHDESK_API_KEY");
    let c = Config::from_env(&e, None).unwrap();
    assert_eq!(c.api_key.expose(), "secretKEY123");
    assert!(!format!("{c:?}").contains("secretKEY123"));
    let bad = problem(&[("FRESHDESK_API_KEY", "user@example.com:pw")]);
    assert!(!bad.to_string().contains("pw"), "{bad}");
}

#[test]
fn the_db_flag_wins_over_the_variable_and_state_directory() {
    let e = env(&[("STATE_DIRECTORY", "/var/lib/ticketsim")]);
    assert_eq!(
        db_path(&e, None),
        PathBuf::from("/var/lib/ticketsim/ticketsim.db")
    );
    let e = env(&[("STATE_DIRECTORY", "/x"), ("TICKETSIM_DB", "/y.db")]);
    assert_eq!(db_path(&e, None), PathBuf::from("/y.db"));
    let rel = env(&[("STATE_DIRECTORY", "/x:/z"), ("TICKETSIM_DB", "sub/t.db")]);
    assert_eq!(db_path(&rel, None), PathBuf::from("/x/sub/t.db"));
    let no_state = env(&[("TICKETSIM_DB", "t.db")]);
    assert_eq!(db_path(&no_state, None), PathBuf::from("t.db"));
    assert_eq!(
        db_path(&e, Some(Path::new("/z.db"))),
        PathBuf::from("/z.db")
    );
}
