//! `ticketsim load` as a process, against its in-process emulator.

use std::process::Stdio;
use std::time::Duration;

use crate::process::ticketsim;

async fn load(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let child = ticketsim(dir, &[])
        .arg("load")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("load finishes within a minute")
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

#[tokio::test]
async fn a_short_load_run_exits_0_and_its_json_has_every_field_with_plausible_values() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--emulator",
        "--rate",
        "600/min",
        "--duration",
        "10s",
        "--offsets",
        "0s,1s,2s,3s",
    ];
    let (code, out, err) = load(
        dir.path(),
        &[&args[..], &["--json", "--html", "report.html"]].concat(),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object on stdout");
    let n = |p: &str| {
        j.pointer(p)
            .and_then(|v| v.as_f64())
            .unwrap_or_else(|| panic!("{p} missing: {j}"))
    };
    let started = n("/lifecycles/started");
    assert!((60.0..=150.0).contains(&started), "{started}");
    assert_eq!(n("/lifecycles/closed"), started);
    assert_eq!(n("/lifecycles/failed"), 0.0);
    assert!(j["lifecycles"]["failure_reasons"].is_object());
    assert_eq!(n("/lateness_ms/count"), 5.0 * started);
    assert!(
        n("/lateness_ms/p50") <= n("/lateness_ms/p99")
            && n("/lateness_ms/p99") <= n("/lateness_ms/max")
    );
    assert!((3_000.0..10_000.0).contains(&n("/create_to_close_ms/p50")));
    let reply = &j["endpoints"]["POST /api/v2/tickets/{id}/reply"];
    assert_eq!(reply["by_status"]["201"].as_f64(), Some(2.0 * started));
    assert!(reply["latency_ms"]["p99"].as_f64().unwrap() < 5_000.0);
    assert_eq!(n("/http_429"), 0.0);
    assert_eq!(n("/retry_after_wait_s"), 0.0);
    for p in [
        "/retries",
        "/reconciliations",
        "/budget/ratio",
        "/budget/requests_per_min",
    ] {
        n(p);
    }
    assert!((0.7..1.3).contains(&n("/rate/ratio")), "{}", j["rate"]);
    assert_eq!(n("/rate/target_per_min"), 600.0);
    assert!(
        err.contains("started") && err.contains("req/s"),
        "a progress line on stderr: {err}"
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    for id in [
        "arrivals",
        "requests",
        "in_flight",
        "lateness",
        "latency",
        "rate_limit",
    ] {
        assert!(html.contains(&format!("<svg id=\"{id}\"")), "chart {id}");
    }
}

#[tokio::test]
async fn resume_with_the_in_process_emulator_is_refused_with_exit_2_and_the_db_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = load(dir.path(), &["--emulator", "--resume"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--resume with --emulator") && err.contains("FRESHDESK_URL"),
        "{err}"
    );
    assert!(
        !dir.path().join("ticketsim-load.db").exists(),
        "refused before any database was made"
    );
}

#[tokio::test]
async fn a_crossed_fail_on_threshold_exits_1_naming_it_and_an_unknown_one_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = load(
        dir.path(),
        &["--emulator", "--fail-on", "failed>0,latncy>1s"],
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("latncy") && err.contains("--fail-on"), "{err}");
    let args = [
        "--emulator",
        "--rate",
        "5/s",
        "--duration",
        "2s",
        "--offsets",
        "0s,0s,0s,0s",
    ];
    let (code, out, err) = load(
        dir.path(),
        &[&args[..], &["--fail-on", "failed>0,closed<1000"]].concat(),
    )
    .await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("threshold crossed: closed<1000") && !err.contains("failed>0,"),
        "{err}"
    );
    assert!(out.contains("THRESHOLD CROSSED: closed<1000"), "{out}");
}

#[tokio::test]
async fn a_load_run_killed_in_the_middle_and_resumed_closes_every_lifecycle_once_and_counts_them_all()
 {
    let dir = tempfile::tempdir().unwrap();
    let (mut emulator, url) = crate::process::emulator_process_with(
        dir.path(),
        &["--api-key", crate::harness::API_KEY, "--contacts", "8"],
    )
    .await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", crate::harness::API_KEY),
        ("TICKETSIM_RATE_PER_MIN", "100000"),
        // A step on the wire at the kill is reconciled two timeouts after it
        // was sent; the default 30 s would outlast the resumed run's bound.
        ("TICKETSIM_REQUEST_TIMEOUT", "2s"),
    ];
    let args = [
        "load",
        "--rate",
        "20/s",
        "--lifecycles",
        "30",
        "--arrivals",
        "fixed",
        "--offsets",
        "1s,2s,3s,4s",
        "--db",
        "load.db",
        "--json",
    ];
    let mut first = ticketsim(dir.path(), &env)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let status = ticketsim(dir.path(), &[])
        .args(["status", "--json", "--db", "load.db"])
        .output()
        .await
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let closed_before = crate::process::count_state(&status, "closed");
    let total_before = status["total"].as_i64().unwrap();
    assert!(
        closed_before < total_before,
        "killed in the middle: {status}"
    );
    let out = ticketsim(dir.path(), &env)
        .args(args)
        .arg("--resume")
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .expect("the resumed run ends")
        .unwrap();
    let j = summary(&out);
    let started = j["lifecycles"]["started"].as_i64().unwrap();
    assert!(
        (20..=30).contains(&started),
        "the killed run's lifecycles are counted: {j}"
    );
    assert_eq!(j["lifecycles"]["closed"].as_i64(), Some(started), "{j}");
    assert_eq!(j["lifecycles"]["failed"].as_i64(), Some(0), "{j}");
    crate::process::check_no_duplicates(&url, started).await;
    emulator.start_kill().unwrap();
}

#[tokio::test]
async fn emulator_faults_cross_fail_on_thresholds_which_the_exit_code_and_message_name() {
    let dir = tempfile::tempdir().unwrap();
    let faults = [
        "--api-key",
        crate::harness::API_KEY,
        "--refuse-acting-as-customer",
        "--burst-429",
        "2",
        "--retry-after",
        "1",
    ];
    let (mut emulator, url) = crate::process::emulator_process_with(dir.path(), &faults).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", crate::harness::API_KEY),
        ("TICKETSIM_RATE_PER_MIN", "100000"),
    ];
    let args = [
        "load",
        "--rate",
        "5/s",
        "--lifecycles",
        "3",
        "--offsets",
        "0s,0s,0s,0s",
        "--db",
        "load.db",
        "--json",
    ];
    let fail_on = ["--fail-on", "failed>0,http_429>0,lateness_p99>1h"];
    let out = ticketsim(dir.path(), &env)
        .args(args)
        .args(fail_on)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .expect("the run ends")
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("threshold crossed: failed>0, http_429>0"),
        "{stderr}"
    );
    let j: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        j["thresholds_crossed"],
        serde_json::json!(["failed>0", "http_429>0"])
    );
    assert_eq!(j["lifecycles"]["failed"], 3);
    assert_eq!(j["http_429"], 2);
    assert!(
        j["lifecycles"]["failure_reasons"]
            .to_string()
            .contains("403 invalid_user"),
        "{j}"
    );
    emulator.start_kill().unwrap();
}

#[tokio::test]
async fn a_load_run_stopped_with_sigterm_measures_its_rate_over_the_time_it_ran() {
    // Arrivals limited by time, and by count: 40/s for the ~3 s it ran is on
    // target; against the 60 s (or 2,400 lifecycles) it was asked for it would
    // read about 0.05.
    for limit in [["--duration", "60s"], ["--lifecycles", "2400"]] {
        let j = stopped_after_3s(&limit).await;
        let started = j["lifecycles"]["started"].as_f64().unwrap();
        assert!(started >= 40.0, "it ran for a while ({limit:?}): {j}");
        let ratio = j["rate"]["ratio"].as_f64().unwrap();
        assert!(
            ratio > 0.8,
            "rate ratio {ratio} over the time it ran ({limit:?}): {j}"
        );
    }
}

/// The JSON summary of a 40/s load run stopped with SIGTERM after 3 s.
async fn stopped_after_3s(limit: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let child = ticketsim(dir.path(), &[])
        .args(["load", "--emulator", "--rate", "40/s"])
        .args(limit)
        .args(["--arrivals", "fixed", "--offsets", "0s,0s,0s,0s", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGTERM) };
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("a stopped load run ends")
        .unwrap();
    summary(&out)
}

/// The JSON summary of a load run that exited 0 (else its output, failing).
fn summary(out: &std::process::Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}
