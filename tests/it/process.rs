//! Real processes: configuration errors, SIGTERM, SIGKILL crashes, the demo.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use ticketsim::clock::SystemClock;

use crate::harness::{API_KEY, emulator_config, spawn_emulator};

const BIN: &str = env!("CARGO_BIN_EXE_ticketsim");

/// The binary with a clean environment, run in `dir` (so no stray .env is read).
pub(crate) fn ticketsim(dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .current_dir(dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TICKETSIM_LOG_FORMAT", "plain")
        // Parallel daemons must not fight over the default admin port.
        .env("TICKETSIM_HTTP_ADDR", "127.0.0.1:0")
        .kill_on_drop(true);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

#[tokio::test]
async fn each_invalid_configuration_exits_2_naming_the_variable_before_any_request() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let good: Vec<(&str, &str)> = vec![("FRESHDESK_URL", &url), ("FRESHDESK_API_KEY", API_KEY)];
    let cases: Vec<(&str, &str, &str)> = vec![
        ("FRESHDESK_URL", "", "FRESHDESK_URL"),
        ("FRESHDESK_API_KEY", "", "FRESHDESK_API_KEY"),
        (
            "FRESHDESK_URL",
            "http://acme.freshdesk.com",
            "FRESHDESK_URL",
        ),
        (
            "TICKETSIM_CREATE_CRON",
            "0 * * * *",
            "TICKETSIM_CREATE_CRON",
        ),
        (
            "TICKETSIM_CREATE_CRON",
            "0 0 31 2 * * bogus",
            "TICKETSIM_CREATE_CRON",
        ),
        (
            "TICKETSIM_STAGE_OFFSETS",
            "5m,5m,15m,20m",
            "TICKETSIM_STAGE_OFFSETS",
        ),
        (
            "TICKETSIM_STAGE_OFFSETS",
            "5m,ten,15m,20m",
            "TICKETSIM_STAGE_OFFSETS",
        ),
        ("TICKETSIM_RATE_PER_MIN", "0", "TICKETSIM_RATE_PER_MIN"),
    ];
    for (var, value, named) in cases {
        let mut env = good.clone();
        env.retain(|(k, _)| *k != var);
        env.push((var, value));
        let out = ticketsim(dir.path(), &env)
            .args(["--db", "t.db", "run"])
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(lines[0].contains(named), "{var}={value:?} → {stderr}");
        assert!(!stderr.contains(API_KEY));
    }
    assert!(emulator.requests().is_empty(), "no request was made");
    assert!(!dir.path().join("t.db").exists(), "no database was created");
}

#[tokio::test]
async fn the_daemon_tells_systemd_it_is_ready_and_sigterm_stops_it_cleanly_with_exit_0() {
    let (_emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let socket_path = dir.path().join("notify.sock");
    let socket = tokio::net::UnixDatagram::bind(&socket_path).unwrap();
    let mut child = ticketsim(
        dir.path(),
        &[
            ("FRESHDESK_URL", &url),
            ("FRESHDESK_API_KEY", API_KEY),
            ("NOTIFY_SOCKET", socket_path.to_str().unwrap()),
        ],
    )
    .args(["--db", "t.db", "run"])
    .stderr(std::fs::File::create(&log).unwrap())
    .spawn()
    .unwrap();
    let ready = receive(&socket).await;
    assert!(ready.contains("READY=1"), "{ready}");
    let pid = child.id().unwrap() as i32;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    // STATUS= lines may come first; STOPPING=1 within 20 datagrams.
    let mut stopping = String::new();
    for _ in 0..20 {
        stopping = receive(&socket).await;
        if stopping.contains("STOPPING=1") {
            break;
        }
    }
    assert!(stopping.contains("STOPPING=1"), "{stopping}");
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(text.contains("stopped cleanly"), "{text}");
    assert!(!text.contains(API_KEY));
}

/// One sd_notify datagram, waiting at most 20 s.
pub(crate) async fn receive(socket: &tokio::net::UnixDatagram) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), socket.recv(&mut buf))
        .await
        .expect("no sd_notify message within 20 s")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// Starts `ticketsim emulator` as its own process and returns it with its URL.
pub(crate) async fn emulator_process(dir: &Path) -> (Child, String) {
    emulator_process_with(
        dir,
        &[
            "--api-key",
            API_KEY,
            "--seed",
            "3",
            "--contacts",
            "8",
            "--latency-ms",
            "400",
        ],
    )
    .await
}

/// Starts `ticketsim emulator --port 0` with `args` and returns it with its URL.
pub(crate) async fn emulator_process_with(dir: &Path, args: &[&str]) -> (Child, String) {
    let mut child = ticketsim(dir, &[])
        .args(["emulator", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

/// Runs `ticketsim run` `rounds` times and SIGKILLs each one: mostly while a
/// write is in flight (the emulator has taken 1–3 new POSTs and holds the
/// answers back), and every `anytime_every`-th round at any moment at all.
/// Then `run --drain` must finish everything. Returns the daemon's log.
pub(crate) async fn kill_loop_then_drain(
    dir: &Path,
    url: &str,
    env: &[(&str, &str)],
    rounds: usize,
    anytime_every: Option<usize>,
    seed: u64,
) -> String {
    let log = dir.join("daemon.log");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let http = reqwest::Client::new();
    for round in 1..=rounds {
        let mut child = ticketsim(dir, env)
            .args(["--db", "t.db", "run"])
            .stderr(append(&log))
            .spawn()
            .unwrap();
        if anytime_every.is_some_and(|n| round % n == 0) {
            tokio::time::sleep(Duration::from_millis(rng.random_range(100..2_000))).await;
        } else {
            let target = posts(&http, url).await + rng.random_range(1..4);
            for _ in 0..400 {
                if posts(&http, url).await >= target {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..300))).await;
        }
        child.start_kill().unwrap(); // SIGKILL
        child.wait().await.unwrap();
    }
    let drained = ticketsim(dir, env)
        .args(["--db", "t.db", "run", "--drain"])
        .stderr(append(&log))
        .status();
    // generous: on a loaded 2-core machine the drain of what 22 kills left takes over a minute
    let status = match tokio::time::timeout(Duration::from_secs(240), drained).await {
        Ok(status) => status.unwrap(),
        Err(_) => {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the final drain did not end within 240 s:\n{}", tail(&text));
        }
    };
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "final clean run failed:\n{}", tail(&text));
    text
}

#[tokio::test]
async fn sigkill_at_random_moments_never_duplicates_a_ticket_or_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_emu, url) = emulator_process(dir.path()).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_CREATE_CRON", "* * * * * *"),
        ("TICKETSIM_STAGE_OFFSETS", "1s,2s,3s,4s"),
        ("TICKETSIM_SEED", "5"),
        ("TICKETSIM_RATE_PER_MIN", "6000"),
        ("TICKETSIM_LOG", "debug"),
        // a recovered write is looked for 2 × this after its intent
        ("TICKETSIM_REQUEST_TIMEOUT", "2s"),
    ];
    let text = kill_loop_then_drain(dir.path(), &url, &env, 22, Some(4), 20261121).await;
    assert!(
        !text.contains(API_KEY),
        "the API key appeared in a log line"
    );

    let st = status_json(dir.path()).await;
    let total = st["total"].as_i64().unwrap();
    assert!(total >= 5, "only {total} lifecycles were started");
    let closed = count_state(&st, "closed");
    assert_eq!(
        closed + count_state(&st, "scheduled"),
        total,
        "every lifecycle closed, but for slots whose ticket was never attempted (a drain starts no new ticket): {st}"
    );

    let recovered = text
        .matches("recovered steps interrupted by a crash")
        .count();
    let adopted = text.matches("not re-sending").count();
    eprintln!(
        "crash test: {total} lifecycles, {recovered} restarts recovered running steps, {adopted} sends found already done"
    );
    assert!(
        recovered >= 5,
        "too few kills landed mid-step ({recovered}); the test would prove little"
    );
    check_no_duplicates(&url, closed).await;
}

/// How many lifecycles `status --json` counts in `state`.
pub(crate) fn count_state(st: &serde_json::Value, state: &str) -> i64 {
    st["by_state"][state].as_i64().unwrap_or(0)
}

/// How many POSTs the emulator has received so far.
pub(crate) async fn posts(http: &reqwest::Client, url: &str) -> usize {
    let log: Vec<serde_json::Value> = http
        .get(format!("{url}/_emulator/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log.iter().filter(|r| r["method"] == "POST").count()
}

pub(crate) async fn check_no_duplicates(url: &str, lifecycles: i64) {
    let client =
        ticketsim::app::client_for(url, ticketsim::freshdesk::ApiKey::new(API_KEY), 100_000)
            .unwrap();
    let mut tickets = vec![];
    for c in client.list_contacts().await.unwrap() {
        tickets.extend(client.list_requester_tickets(c.id).await.unwrap());
    }
    assert_eq!(
        tickets.len() as i64,
        lifecycles,
        "one ticket per lifecycle, no duplicate"
    );
    for t in &tickets {
        let convs = client.list_conversations(t.id).await.unwrap();
        assert_eq!(
            convs.len(),
            3,
            "ticket {} has {} conversations",
            t.id,
            convs.len()
        );
        let mut seen = std::collections::HashSet::new();
        for c in convs {
            assert!(
                seen.insert((c.user_id, c.body.clone())),
                "duplicate message on ticket {}",
                t.id
            );
        }
    }
}

pub(crate) async fn status_json(dir: &Path) -> serde_json::Value {
    // Bounded: a `status` that never returns fails the test (the child is
    // killed on drop) instead of hanging the suite.
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        ticketsim(dir, &[])
            .args(["--db", "t.db", "status", "--json"])
            .output(),
    )
    .await
    .expect("`status --json` did not answer within 60 s")
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(crate) fn append(path: &PathBuf) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[tokio::test]
async fn the_demo_closes_lifecycles_with_four_messages_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = ticketsim(dir.path(), &[])
        .args(["demo", "--for", "23s", "--db", "demo.db"])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("ticket created") && stdout.contains("summary"),
        "{stdout}"
    );
    let out = ticketsim(dir.path(), &[])
        .args(["--db", "demo.db", "export"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let closed: Vec<&serde_json::Value> =
        records.iter().filter(|r| r["state"] == "closed").collect();
    assert!(!closed.is_empty(), "{records:?}");
    for r in closed {
        let authors: Vec<&str> = r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["author"].as_str().unwrap())
            .collect();
        assert_eq!(authors, ["customer", "agent", "customer", "agent"]);
        let times: Vec<&str> = r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["sent_at"].as_str().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }
    // A second demo on the same path replaces its own database...
    let again = ticketsim(dir.path(), &[])
        .args(["demo", "--for", "1s", "--db", "demo.db"])
        .output()
        .await
        .unwrap();
    assert!(again.status.success());
}
