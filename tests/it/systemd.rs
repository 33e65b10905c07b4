//! The systemd units: `systemd-analyze verify` passes and the offline security
//! score is at most 2.0. CI runs on the same image, so systemd-analyze must exist.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ticketsim");
const UNITS: [&str; 2] = ["ticketsim.service", "ticketsim@.service"];

fn unit_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("systemd")
        .join(name)
}

fn analyze(args: &[&str]) -> (bool, String, String) {
    let out = Command::new("systemd-analyze")
        .args(args)
        .output()
        .expect("systemd-analyze must be installed (systemd ≥ 252)");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// The exposure figure from the "Overall exposure level for X: 1.2 OK" line.
fn exposure(stdout: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no overall exposure line in {stdout}"));
    let after = line.rsplit_once(": ").expect("figure after ': '").1;
    let figure = after.split_whitespace().next().unwrap_or_default();
    figure
        .parse()
        .unwrap_or_else(|_| panic!("not a figure: {line}"))
}

#[test]
fn both_units_pass_systemd_analyze_verify_with_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    for name in UNITS {
        // verify checks that ExecStart= exists: point it at the binary under test.
        let text = std::fs::read_to_string(unit_path(name)).unwrap();
        assert!(
            text.contains("ExecStart=/usr/local/bin/ticketsim run"),
            "{name}"
        );
        let text = text.replace("/usr/local/bin/ticketsim", BIN);
        let copy = dir.path().join(name.replace("@.", "@acme."));
        std::fs::write(&copy, text).unwrap();
        let (ok, stdout, stderr) = analyze(&["verify", copy.to_str().unwrap()]);
        assert!(ok, "{name}: {stdout}{stderr}");
        // verify exits 0 on unknown keys; any line it prints is a finding.
        assert_eq!(stderr.trim(), "", "{name}");
    }
}

#[test]
fn both_units_have_an_offline_security_exposure_of_at_most_2() {
    for name in UNITS {
        let path = unit_path(name);
        let (_, stdout, stderr) = analyze(&["security", "--offline=yes", path.to_str().unwrap()]);
        let figure = exposure(&stdout);
        assert!(
            figure <= 2.0,
            "{name}: exposure {figure} > 2.0\n{stdout}{stderr}"
        );
    }
}

#[test]
fn both_units_stop_within_30_s_and_ask_for_a_watchdog_the_daemon_answers() {
    for name in UNITS {
        let text = std::fs::read_to_string(unit_path(name)).unwrap();
        // Above the engine's shutdown (stop grace 2 s + release 1.5 s + close).
        assert!(text.contains("\nTimeoutStopSec=30\n"), "{name}");
        // The daemon pings at half of it (app/watchdog.rs), so a restart needs
        // a whole interval without a fresh heartbeat.
        assert!(text.contains("\nWatchdogSec=60\n"), "{name}");
        assert!(text.contains("\nType=notify\n"), "{name}");
        assert!(text.contains("\nRestart=on-failure\n"), "{name}");
    }
}
