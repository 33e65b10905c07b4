//! The CLI surface: where `--db` is offered, the exit codes in `--help`, and
//! how `check` prints.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

use super::{emulator, make_db};
use crate::harness::API_KEY;
use crate::process::{emulator_process_with, ticketsim};

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
