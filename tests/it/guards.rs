//! Safety guards: `TICKETSIM_ALLOWED_HOSTS` refuses a FRESHDESK_URL on another
//! host before any request, for every command that would send one.

use std::sync::Arc;

use ticketsim::clock::SystemClock;

use crate::harness::{API_KEY, emulator_config, spawn_emulator};
use crate::process::ticketsim;

/// The commands that send requests to Freshdesk.
const SENDERS: [&[&str]; 5] = [
    &["--db", "t.db", "spawn"],
    &["--db", "t.db", "run"],
    &["check", "--no-probe"],
    &["--db", "t.db", "purge", "--yes"],
    &["--db", "t.db", "seed-contacts", "--count", "3"],
];

#[tokio::test]
async fn every_command_that_sends_exits_2_naming_both_hosts_when_the_url_is_not_allowed() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        (
            "TICKETSIM_ALLOWED_HOSTS",
            "*.freshdesk.com, sandbox.example.org",
        ),
    ];
    for args in SENDERS {
        // Bounded: without the guard, `run` would start and never exit.
        let out = ticketsim(dir.path(), &env).args(args).output();
        let out = tokio::time::timeout(std::time::Duration::from_secs(20), out)
            .await
            .unwrap_or_else(|_| panic!("{args:?} did not exit within 20 s"))
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line: {stderr}");
        for named in [
            "TICKETSIM_ALLOWED_HOSTS",
            "\"127.0.0.1\"",
            "*.freshdesk.com",
        ] {
            assert!(
                lines[0].contains(named),
                "{args:?}: {named} not in {stderr}"
            );
        }
        assert!(!stderr.contains(API_KEY));
    }
    assert!(emulator.requests().is_empty(), "no request was made");
    assert!(!dir.path().join("t.db").exists(), "no database was created");
}

#[tokio::test]
async fn a_listed_host_is_allowed_through() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_ALLOWED_HOSTS", "*.freshdesk.com,127.0.0.1"),
    ];
    let out = ticketsim(dir.path(), &env)
        .args(["check", "--no-probe"])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!emulator.requests().is_empty());
}

#[tokio::test]
async fn run_with_dry_run_sends_only_gets_and_logs_the_writes_it_would_send() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_CREATE_CRON", "* * * * * *"),
    ];
    let mut child = ticketsim(dir.path(), &env)
        .args(["--db", "t.db", "run", "--dry-run"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            log.push_str(&line);
            log.push('\n');
            if line.contains("dry run: would send POST /api/v2/tickets") {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no would-send line within 20 s:\n{log}");
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGTERM) };
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0), "{log}");
    let requests = emulator.requests();
    assert!(!requests.is_empty());
    let writes: Vec<String> = requests
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "writes reached the emulator: {writes:?}");
    assert!(!log.contains(API_KEY));
}
