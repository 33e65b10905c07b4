//! `/_emulator/faults` and the JSON-lines request log.

use serde_json::{Value, json};

use super::{Server, start, start_with};
use crate::emulator::{EmulatorConfig, Faults};

async fn admin(s: &Server, method: &str, body: Option<Value>) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(m, format!("{}/_emulator/faults", s.base));
    if let Some(b) = body {
        req = req.json(&b);
    }
    super::status_json(req.send().await.unwrap()).await
}

#[tokio::test]
async fn faults_are_shown_replaced_merged_and_cleared_without_auth() {
    let s = start().await;
    let (status, shown) = admin(&s, "GET", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_value::<Faults>(shown).unwrap(),
        Faults::default()
    );
    let (status, shown) = admin(
        &s,
        "PUT",
        Some(json!({"fail_rate": 0.25, "latency_ms": "20..200"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (shown["fail_rate"].as_f64(), shown["latency_ms"].as_str()),
        (Some(0.25), Some("20..200"))
    );
    let (_, shown) = admin(&s, "POST", Some(json!({"hang_next": 2, "latency_ms": 5}))).await;
    assert_eq!(
        (shown["fail_rate"].as_f64(), shown["hang_next"].as_u64()),
        (Some(0.25), Some(2))
    );
    assert_eq!(shown["latency_ms"], "5");
    let (_, shown) = admin(&s, "PUT", Some(json!({"drop_next": 1}))).await;
    assert_eq!(
        (shown["fail_rate"].as_f64(), shown["drop_next"].as_u64()),
        (Some(0.0), Some(1))
    );
    let (_, shown) = admin(&s, "DELETE", None).await;
    assert_eq!(
        serde_json::from_value::<Faults>(shown).unwrap(),
        Faults::default()
    );
    #[rustfmt::skip]
    let bad = [
        (json!({"fail_rate": 2}), "fail_rate must be a fraction from 0 to 1, not 2"),
        (json!({"fail_status": 404}), "fail_status must be a 5xx status, not 404"),
        (json!({"latency_ms": "9..1"}), "the range must go from low to high"),
        (json!({"explode": true}), "unknown field `explode`"),
        (json!([1]), "expected a JSON object of fault settings"),
    ];
    for (body, message) in bad {
        let (status, answer) = admin(&s, "POST", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            answer["message"].as_str().unwrap().contains(message),
            "{answer}"
        );
    }
    assert_eq!(
        s.emu.faults(),
        Faults::default(),
        "refused settings change nothing"
    );
    assert!(s.emu.requests().is_empty(), "admin calls are not logged");
}

/// The statuses of `n` identical GETs.
async fn statuses(s: &Server, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(s.call("GET", "/api/v2/agents/me", None).await.status);
    }
    out
}

#[tokio::test]
async fn random_faults_replay_exactly_with_the_same_seed() {
    let cfg = |seed| EmulatorConfig {
        seed,
        faults: Faults {
            fail_rate: 0.5,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    };
    let (a, b, c) = (
        start_with(cfg(5)).await,
        start_with(cfg(5)).await,
        start_with(cfg(6)).await,
    );
    let (ra, rb, rc) = (
        statuses(&a, 40).await,
        statuses(&b, 40).await,
        statuses(&c, 40).await,
    );
    assert_eq!(ra, rb);
    assert_ne!(ra, rc);
    let failed = ra.iter().filter(|s| **s == 500).count();
    assert!((8..=32).contains(&failed), "{ra:?}");
    assert!(ra.iter().all(|s| *s == 500 || *s == 200));
}

#[tokio::test]
async fn injected_failures_carry_freshdesks_bodies_and_no_rate_headers() {
    let s = start().await;
    s.emu
        .set_faults(Faults {
            fail_next: 1,
            ..Faults::default()
        })
        .unwrap();
    let resp = s.get("/api/v2/agents/me").await;
    assert_eq!(super::header(&resp, "x-ratelimit-remaining"), "");
    let (status, body) = super::status_json(resp).await;
    assert_eq!(
        (status, body),
        (
            500,
            json!({"code": "internal_error", "message": "We're sorry, but something went wrong."})
        )
    );
    s.emu
        .set_faults(Faults {
            fail_next: 1,
            fail_status: 502,
            ..Faults::default()
        })
        .unwrap();
    let resp = s.get("/api/v2/agents/me").await;
    assert_eq!(
        super::header(&resp, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(resp.status(), 502);
    s.emu
        .set_faults(Faults {
            burst_429: 1,
            retry_after_secs: 7,
            ..Faults::default()
        })
        .unwrap();
    let resp = s.get("/api/v2/agents/me").await;
    assert_eq!(
        (resp.status().as_u16(), super::header(&resp, "retry-after")),
        (429, "7".to_owned())
    );
    s.emu
        .set_faults(Faults {
            malformed_next: 1,
            ..Faults::default()
        })
        .unwrap();
    let a = s.call("GET", "/api/v2/agents/me", None).await;
    assert_eq!(a.status, 200);
    assert!(
        serde_json::from_str::<Value>(&a.text).is_err() && a.text.starts_with('{'),
        "{}",
        a.text
    );
}

#[tokio::test]
async fn the_request_log_is_appended_to_a_file_as_json_lines() {
    let s = start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("requests.jsonl");
    std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
    s.emu.log_to_file(&path).unwrap();
    s.create_ticket(json!({})).await;
    s.get("/api/v2/tickets/1?include=stats").await;
    s.emu.close().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], json!({"earlier": true}), "appended, not replaced");
    assert_eq!(
        (lines[1]["method"].as_str(), lines[1]["status"].as_u64()),
        (Some("POST"), Some(201))
    );
    assert_eq!(lines[2]["query"], "include=stats");
    assert!(!text.contains(s.emu.api_key()));
    let missing = dir.path().join("no/such/dir/log.jsonl");
    assert!(s.emu.log_to_file(&missing).is_err());
}

#[test]
fn the_older_latency_setting_still_holds_answers_back() {
    let cfg = EmulatorConfig {
        latency_ms: 400,
        ..EmulatorConfig::default()
    };
    let emu = crate::emulator::Emulator::new(
        cfg,
        std::sync::Arc::new(crate::clock::ManualClock::new(super::T0)),
    );
    assert_eq!(
        emu.faults().latency_ms,
        crate::emulator::Latency::fixed(400)
    );
}
