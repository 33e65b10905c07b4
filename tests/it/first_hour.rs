//! The first hour of a new user and an operator (issue 8): `.env`, the
//! database path under systemd, log levels and journald, start-up checks of
//! `run`, and the CLI surface. Every test runs the real binary.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::API_KEY;
use crate::process::{emulator_process_with, receive, ticketsim};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");

/// Creates a ticketsim database at `path` (migrated, empty).
async fn make_db(path: &Path) {
    let store = ticketsim::store::Store::open(path).await.unwrap();
    store.close().await;
}

/// A `ticketsim emulator` on a free port with no latency; its URL.
async fn emulator(dir: &Path, args: &[&str]) -> (tokio::process::Child, String) {
    let mut all = vec!["--seed", "3", "--contacts", "4"];
    all.extend_from_slice(args);
    emulator_process_with(dir, &all).await
}

async fn requests(url: &str) -> Vec<serde_json::Value> {
    reqwest::get(format!("{url}/_emulator/requests"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `ticketsim run` until it tells systemd READY=1, then SIGTERM. Returns the
/// exit code and stderr; panics if it exits before READY or takes over 20 s.
async fn run_until_ready(dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let log = dir.join("run.log");
    let stderr = std::fs::File::create(&log).unwrap();
    let socket_path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&socket_path);
    let socket = tokio::net::UnixDatagram::bind(&socket_path).unwrap();
    let mut env = env.to_vec();
    env.push(("NOTIFY_SOCKET", socket_path.to_str().unwrap()));
    let mut child = ticketsim(dir, &env)
        .args(["--db", "t.db", "run"])
        .stderr(stderr)
        .spawn()
        .unwrap();
    tokio::select! {
        ready = receive(&socket) => assert!(ready.contains("READY=1"), "{ready}"),
        status = child.wait() => panic!(
            "run exited with {status:?} before READY:\n{}",
            std::fs::read_to_string(&log).unwrap()
        ),
    }
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("run did not stop within 20 s of SIGTERM")
        .unwrap();
    (status.code(), std::fs::read_to_string(&log).unwrap())
}

fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().unwrap() as i32;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
}

#[tokio::test]
async fn a_copied_env_example_lets_help_and_status_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(EXAMPLE, dir.path().join(".env")).unwrap();
    make_db(&dir.path().join("ticketsim.db")).await;
    let help = ticketsim(dir.path(), &[])
        .arg("--help")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&help.stderr);
    assert_eq!(help.status.code(), Some(0), "--help: {err}");
    let status = ticketsim(dir.path(), &[])
        .arg("status")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(0), "status: {err}");
    assert!(!status.stdout.is_empty());
}

#[tokio::test]
async fn a_malformed_env_line_is_named_by_its_number_with_a_remedy() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "# comment\nFRESHDESK_URL=https://acme.freshdesk.com\nTICKETSIM_CREATE_CRON=0 0 * * * *\n";
    std::fs::write(dir.path().join(".env"), text).unwrap();
    let out = ticketsim(dir.path(), &[])
        .arg("status")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(".env:3: "), "{err}");
    assert!(
        err.contains("TICKETSIM_CREATE_CRON") && err.contains("quote"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[tokio::test]
async fn a_relative_ticketsim_db_is_taken_inside_the_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    make_db(&state.join("rel.db")).await;
    let env = [
        ("STATE_DIRECTORY", state.to_str().unwrap()),
        ("TICKETSIM_DB", "rel.db"),
    ];
    let out = ticketsim(dir.path(), &env)
        .args(["status", "--json"])
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!dir.path().join("rel.db").exists());
}

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

#[tokio::test]
async fn the_db_option_shows_only_on_commands_that_use_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["emulator", "preview", "check"] {
        let out = ticketsim(dir.path(), &[])
            .args([cmd, "--help"])
            .output()
            .await
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success());
        assert!(!help.contains("--db"), "{cmd} --help lists --db:\n{help}");
    }
    let out = ticketsim(dir.path(), &[])
        .args(["status", "--help"])
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--db"));
    make_db(&dir.path().join("x.db")).await;
    for args in [["--db", "x.db", "status"], ["status", "--db", "x.db"]] {
        let out = ticketsim(dir.path(), &[])
            .args(args)
            .output()
            .await
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
    let out = ticketsim(dir.path(), &[])
        .args(["--db", "x.db", "preview"])
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--db"), "{err}");
}

#[tokio::test]
async fn the_top_level_help_lists_the_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = ticketsim(dir.path(), &[])
        .arg("--help")
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Exit codes"), "{help}");
    for code in ["  0  ", "  1  ", "  2  "] {
        assert!(
            help.lines().any(|l| l.starts_with(code)),
            "{code:?}:\n{help}"
        );
    }
}

#[tokio::test]
async fn check_streams_each_line_as_decided_and_prints_its_verdict_once() {
    let dir = tempfile::tempdir().unwrap();
    // no contacts: the people check fails, so there is a failing verdict
    let (_emu, url) = emulator_process_with(
        dir.path(),
        &[
            "--api-key",
            API_KEY,
            "--contacts",
            "0",
            "--latency-ms",
            "300",
        ],
    )
    .await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
    ];
    let mut child = ticketsim(dir.path(), &env)
        .args(["check", "--no-probe"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = Vec::new();
    let mut first_item = None;
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await
    {
        if first_item.is_none() && line.contains("URL and API key") {
            first_item = Some(started.elapsed());
        }
        stdout.push(line);
    }
    let out = child.wait_with_output().await.unwrap();
    let total = started.elapsed();
    let stdout = stdout.join("\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let first = first_item.unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        total - first >= Duration::from_millis(600),
        "the first line came at {first:?}, the end at {total:?}: not streamed"
    );
    let all = format!("{stdout}\n{stderr}");
    assert_eq!(all.matches("tickets need a contact").count(), 2, "{all}");
    assert_eq!(all.matches("The daemon would not work").count(), 1, "{all}");
    assert!(
        !stderr.contains("tickets need a contact"),
        "verdict repeated on stderr: {stderr}"
    );
}

#[tokio::test]
async fn check_json_gives_each_check_a_stable_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator(dir.path(), &["--api-key", API_KEY]).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
    ];
    let out = ticketsim(dir.path(), &env)
        .args(["check", "--json", "--no-probe"])
        .output()
        .await
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let keys: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    for key in ["url_and_key", "rate_limit", "people", "schedule"] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert!(!keys.contains(&"other"), "{keys:?}");
}
