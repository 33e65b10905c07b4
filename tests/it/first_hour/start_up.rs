//! `run` before READY: the key check, the schedule warning, the next slot,
//! and what its log lines look like.

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use super::{emulator, requests, run_until_ready, sigterm};
use crate::harness::API_KEY;
use crate::process::ticketsim;

#[tokio::test]
async fn info_logging_shows_ticketsim_lines_and_keeps_other_crates_at_warn() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", API_KEY]).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_LOG", "info"),
    ];
    let (code, log) = run_until_ready(dir.path(), &env).await;
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("ticketsim starting"), "{log}");
    for noise in ["Uninited", "Job creator created", "Scheduling"] {
        assert!(!log.contains(noise), "{noise} leaked through:\n{log}");
    }
}

#[tokio::test]
async fn under_journald_every_line_starts_with_its_syslog_level_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", API_KEY]).await;
    // JOURNAL_STREAM names the file stderr goes to, as systemd does for the journal.
    let log = dir.path().join("run.log");
    std::fs::File::create(&log).unwrap();
    let m = std::fs::metadata(&log).unwrap();
    let stream = format!("{}:{}", m.dev(), m.ino());
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_LOG", "debug"),
        ("TICKETSIM_LOG_FORMAT", ""),
        ("JOURNAL_STREAM", stream.as_str()),
        // an over-budget schedule, for a WARN line
        ("TICKETSIM_CREATE_CRON", "* * * * * *"),
        ("TICKETSIM_RATE_PER_MIN", "10"),
    ];
    let (code, text) = run_until_ready(dir.path(), &env).await;
    assert_eq!(code, Some(0), "{text}");
    for line in text.lines() {
        assert!(
            ["<3>", "<4>", "<6>", "<7>"]
                .iter()
                .any(|p| line.starts_with(p)),
            "no level prefix: {line}\n{text}"
        );
    }
    for (prefix, level) in [("<4>", "WARN"), ("<6>", "INFO"), ("<7>", "DEBUG")] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(prefix) && l.contains(level)),
            "no {level} line with {prefix}:\n{text}"
        );
    }
}

#[tokio::test]
async fn run_logs_the_next_slot_and_warns_when_the_schedule_cannot_fit_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", API_KEY]).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_CREATE_CRON", "0 */2 * * * *"),
        ("TICKETSIM_RATE_PER_MIN", "2"),
    ];
    let (code, log) = run_until_ready(dir.path(), &env).await;
    assert_eq!(code, Some(0), "{log}");
    let next = log
        .lines()
        .find(|l| l.contains("INFO") && l.contains("next ticket due at 20"))
        .unwrap_or_else(|| panic!("no next-slot line:\n{log}"));
    assert!(next.contains(":00Z") || next.contains(":00.000Z"), "{next}");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains("busiest hour")),
        "no schedule warning:\n{log}"
    );
}

#[tokio::test]
async fn a_cron_that_never_fires_is_refused_with_exit_2_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", API_KEY]).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_CREATE_CRON", "0 0 0 30 2 *"),
    ];
    let run = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run"])
        .output();
    let out = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("run accepted a cron that never fires")
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("TICKETSIM_CREATE_CRON") && err.contains("400 days"),
        "{err}"
    );
    assert!(requests(&url).await.is_empty());
}

#[tokio::test]
async fn a_wrong_api_key_stops_run_with_exit_2_after_one_identity_request() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", "the-right-key"]).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
    ];
    let started = Instant::now();
    let run = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run"])
        .output();
    let out = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("run did not stop on a wrong key")
        .unwrap();
    let elapsed = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(err.contains("invalid API key"), "{err}");
    assert!(!err.contains(API_KEY));
    let log = requests(&url).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["path"], "/api/v2/agents/me");
    assert_eq!(log[0]["status"], 401);
}

#[tokio::test]
async fn a_server_error_at_start_up_is_retried_and_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", API_KEY]).await;
    let set = reqwest::Client::new()
        .put(format!("{url}/_emulator/faults"))
        .body(r#"{"fail_next": 2}"#)
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success());
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
    ];
    let (code, log) = run_until_ready(dir.path(), &env).await;
    assert_eq!(code, Some(0), "{log}");
    let me: Vec<u64> = requests(&url)
        .await
        .iter()
        .filter(|r| r["path"] == "/api/v2/agents/me")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(me, [500, 500, 200], "{log}");
}

#[tokio::test]
async fn sigterm_while_start_up_waits_for_freshdesk_exits_0_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", API_KEY]).await;
    reqwest::Client::new()
        .put(format!("{url}/_emulator/faults"))
        .body(r#"{"fail_rate": 1.0}"#)
        .send()
        .await
        .unwrap();
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
    ];
    let mut child = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if !requests(&url).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(3), child.wait())
        .await
        .expect("SIGTERM did not end the start-up wait within 3 s")
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn seed_is_written_as_a_string_in_json_logs() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", API_KEY]).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_LOG_FORMAT", "json"),
        ("TICKETSIM_SEED", "18446744073709551615"),
    ];
    let (code, log) = run_until_ready(dir.path(), &env).await;
    assert_eq!(code, Some(0), "{log}");
    let seed = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v["fields"].get("seed").cloned())
        .unwrap_or_else(|| panic!("no seed field:\n{log}"));
    assert_eq!(seed, serde_json::json!("18446744073709551615"));
}
