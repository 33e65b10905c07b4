//! `POST /webhooks/freshdesk` refuses what it must, records nothing then, and
//! acknowledges a re-delivery as a duplicate.

use base64::Engine;
use reqwest::StatusCode;

use super::{SECRET, Setup, session};
use ticketsim::store::Store;

/// (events recorded, open steps) in the daemon's database.
async fn recorded(db: &std::path::Path) -> (i64, i64) {
    let store = Store::open_read_only(db).await.unwrap();
    let counts = (
        store.event_count().await.unwrap(),
        store.open_steps().await.unwrap(),
    );
    store.close().await;
    counts
}

#[tokio::test]
async fn the_webhook_refuses_bad_secrets_big_and_malformed_bodies_and_acknowledges_duplicates() {
    let s = session(Setup {
        webhooks: false,
        poll: None,
        delay: "0s",
        sla: "1h",
        tickets: 0,
    })
    .await;
    let url = format!("http://{}/webhooks/freshdesk", s.addr);
    let http = reqwest::Client::new();
    let good =
        r#"{"freshdesk_webhook":{"ticket_id":999,"event":"ticket_updated","triggered_event":"x"}}"#;
    let ready = s
        .until("the receiver", || async {
            let r = http
                .post(&url)
                .header("x-webhook-secret", "wrong-but-long-enough")
                .body(good)
                .send()
                .await;
            r.ok().map(|r| r.status())
        })
        .await;
    assert_eq!(ready, StatusCode::UNAUTHORIZED);
    let before = recorded(&s.db).await;
    assert_eq!(before.0, 0, "nothing recorded for a wrong secret");

    let missing = http.post(&url).body(good).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let big = format!(r#"{{"ticket_id":999,"pad":"{}"}}"#, "x".repeat(100 * 1024));
    let r = http
        .post(&url)
        .header("x-webhook-secret", SECRET)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for bad in [
        "{not json",
        "[1,2]",
        r#"{"ticket_id":"abc"}"#,
        r#"{"event":"ticket_updated"}"#,
    ] {
        let r = http
            .post(&url)
            .header("x-webhook-secret", SECRET)
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(
        recorded(&s.db).await,
        before,
        "refused requests record nothing and create no step"
    );

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("apikey:{SECRET}"));
    let first = http
        .post(&url)
        .header("authorization", format!("Basic {basic}"))
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let again = http
        .post(&url)
        .header("x-webhook-secret", SECRET)
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["status"], "duplicate");
    assert_eq!(recorded(&s.db).await, (1, before.1), "one event, no step");
    assert!(!s.log().contains(SECRET));
}

#[tokio::test]
async fn bad_training_settings_exit_2_naming_the_variable_before_any_request() {
    use std::sync::Arc;
    let (emulator, url, _stop) = crate::harness::spawn_emulator(
        crate::harness::emulator_config(),
        Arc::new(ticketsim::clock::SystemClock),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let base = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", crate::harness::API_KEY),
    ];
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("TICKETSIM_MODE", "training")],
            "FRESHDESK_WEBHOOK_SECRET",
        ),
        (&[("TICKETSIM_MODE", "trainig")], "TICKETSIM_MODE"),
        (
            &[
                ("TICKETSIM_MODE", "training"),
                ("TICKETSIM_POLL_INTERVAL", "1s"),
                ("TICKETSIM_CUSTOMER_DELAY", "9m..2m"),
            ],
            "TICKETSIM_CUSTOMER_DELAY",
        ),
        (
            &[
                ("TICKETSIM_MODE", "training"),
                ("TICKETSIM_POLL_INTERVAL", "0s"),
            ],
            "TICKETSIM_POLL_INTERVAL",
        ),
        (
            &[
                ("TICKETSIM_MODE", "training"),
                ("FRESHDESK_WEBHOOK_SECRET", "tooshort"),
            ],
            "FRESHDESK_WEBHOOK_SECRET",
        ),
    ];
    for (extra, named) in cases {
        let env: Vec<(&str, &str)> = base.iter().chain(extra.iter()).copied().collect();
        let out = crate::process::ticketsim(dir.path(), &env)
            .args(["--db", "t.db", "run"])
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(named), "{extra:?}: {stderr}");
        assert!(
            !stderr.contains("tooshort"),
            "the secret is never shown: {stderr}"
        );
    }
    assert!(emulator.requests().is_empty(), "no request was made");
    assert!(!dir.path().join("t.db").exists(), "no database was created");
}
