//! Rate-limit headers and 429, common headers, the request log and the
//! admin routes.

use serde_json::{Value, json};

use super::{T0_ISO, header, start_with, status_json};
use crate::emulator::{EmulatorConfig, EndpointLimits, Plan, RequestLogEntry};

fn limited(rate: u32) -> EmulatorConfig {
    EmulatorConfig {
        rate_per_min: rate,
        ..EmulatorConfig::default()
    }
}

#[tokio::test]
async fn rate_limit_headers_count_down_and_429_carries_retry_after() {
    let s = start_with(limited(3)).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        s.clock.advance(5_000);
        let resp = s.get("/api/v2/agents/me").await;
        assert_eq!(header(&resp, "x-ratelimit-total"), "3");
        assert_eq!(header(&resp, "x-ratelimit-used-currentrequest"), "1");
        remaining.push(header(&resp, "x-ratelimit-remaining"));
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    // The window opened at T0 + 5 s; at T0 + 35.5 s, 29.5 s are left.
    s.clock.advance(20_500);
    let resp = s.get("/api/v2/agents/me").await;
    assert_eq!(resp.status(), 429);
    assert_eq!(header(&resp, "retry-after"), "30");
    assert_eq!(header(&resp, "x-ratelimit-remaining"), "");
    assert_eq!(header(&resp, "x-ratelimit-total"), "");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "You have exceeded the limit of requests per hour"})
    );
    // A new window opens once the old one is over, at T0 + 65 s.
    s.clock.advance(29_499);
    assert_eq!(s.get("/api/v2/agents/me").await.status(), 429);
    s.clock.advance(1);
    let resp = s.get("/api/v2/agents/me").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "x-ratelimit-remaining"), "2");
}

#[tokio::test]
async fn failed_requests_count_against_the_limit() {
    let s = start_with(limited(2)).await;
    let bad = reqwest::Client::new();
    let url = format!("{}/api/v2/tickets", s.base);
    let unauthorized = bad.get(&url).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(header(&unauthorized, "x-ratelimit-remaining"), "1");
    assert_eq!(s.get("/api/v2/tickets/99").await.status(), 404);
    assert_eq!(s.get("/api/v2/tickets").await.status(), 429);
}

#[tokio::test]
async fn every_response_carries_the_common_headers() {
    let s = start_with(EmulatorConfig::default()).await;
    let resp = s.get("/api/v2/groups").await;
    assert_eq!(
        header(&resp, "content-type"),
        "application/json; charset=utf-8"
    );
    assert_eq!(
        header(&resp, "x-freshdesk-api-version"),
        "latest=v2; requested=v2"
    );
    let id = header(&resp, "x-request-id");
    assert_eq!(id.len(), 36);
    let other = s.get("/api/v2/groups").await;
    assert_ne!(header(&other, "x-request-id"), id);
}

#[tokio::test]
async fn the_request_log_records_every_request_without_the_api_key() {
    let s = start_with(EmulatorConfig {
        api_key: "s3cr3t-key-value".into(),
        ..EmulatorConfig::default()
    })
    .await;
    s.create_ticket(json!({"tags": ["s3cr3t-key-value"]})).await;
    s.get("/api/v2/tickets?per_page=5").await;
    reqwest::get(format!("{}/api/v2/tickets", s.base))
        .await
        .unwrap();
    s.get("/api/v2/tickets/1?include=s3cr3t-key-value").await;
    let log = s.emu.requests();
    let summary: Vec<(&str, &str, u16)> = log
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("POST", "/api/v2/tickets", 201),
            ("GET", "/api/v2/tickets", 200),
            ("GET", "/api/v2/tickets", 401),
            ("GET", "/api/v2/tickets/1", 400),
        ]
    );
    assert_eq!(log[0].at, T0_ISO);
    assert_eq!(log[0].body.as_ref().unwrap()["subject"], "Printer on fire");
    assert_eq!(log[1].query.as_deref(), Some("per_page=5"));
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains("s3cr3t-key-value"), "{text}");
    let served: Vec<RequestLogEntry> = reqwest::get(format!("{}/_emulator/requests", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, log);
}

#[tokio::test]
async fn admin_routes_show_state_and_delete_as_someone_without_auth() {
    let s = start_with(EmulatorConfig::default()).await;
    s.create_ticket(json!({})).await;
    s.post("/api/v2/tickets/1/notes", json!({"body": "n"}))
        .await;
    let (status, state) = status_json(
        reqwest::get(format!("{}/_emulator/state", s.base))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(state["agents"].as_array().unwrap().len(), 3);
    assert_eq!(state["contacts"].as_array().unwrap().len(), 10);
    assert_eq!(state["tickets"][0]["id"], 1);
    assert_eq!(state["conversations"][0]["ticket_id"], 1);
    let client = reqwest::Client::new();
    let delete = |id: i64| {
        client
            .post(format!("{}/_emulator/tickets/{id}/delete", s.base))
            .send()
    };
    assert_eq!(delete(1).await.unwrap().status(), 204);
    assert_eq!(delete(1).await.unwrap().status(), 404);
    assert_eq!(s.emu.tickets()[0].deleted, Some(true));
    assert_eq!(s.emu.requests().len(), 2, "admin calls are not logged");
}

#[test]
fn the_config_debug_output_hides_the_api_key() {
    let cfg = EmulatorConfig {
        api_key: "s3cr3t-key-value".into(),
        ..EmulatorConfig::default()
    };
    let text = format!("{cfg:?}");
    assert!(
        !text.contains("s3cr3t-key-value") && text.contains("***"),
        "{text}"
    );
}

#[tokio::test]
async fn header_values_follow_include_costs_across_a_window() {
    let s = start_with(limited(10)).await;
    s.create_ticket(json!({})).await; // 1 credit
    let mut seen = Vec::new();
    for path in [
        "/api/v2/tickets?include=requester,stats", // 1 + 2 × 2
        "/api/v2/tickets/1?include=stats",         // 1 + 1
        "/api/v2/tickets/1",                       // 1
        "/api/v2/tickets?include=description",     // 1 + 2, only 1 left: served, 0
    ] {
        let resp = s.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let h = |n: &str| header(&resp, n);
        seen.push((
            h("x-ratelimit-total"),
            h("x-ratelimit-remaining"),
            h("x-ratelimit-used-currentrequest"),
        ));
    }
    let want = [
        ("10", "4", "5"),
        ("10", "2", "2"),
        ("10", "1", "1"),
        ("10", "0", "3"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(seen, want);
    s.clock.advance(59_999);
    let resp = s.get("/api/v2/agents/me").await;
    assert_eq!(
        (resp.status().as_u16(), header(&resp, "retry-after")),
        (429, "1".to_owned())
    );
    s.clock.advance(1);
    let resp = s.get("/api/v2/agents/me").await;
    assert_eq!(header(&resp, "x-ratelimit-remaining"), "9");
}

#[tokio::test]
async fn a_plans_endpoint_limit_refuses_that_endpoint_while_others_go_on() {
    let cfg = EmulatorConfig {
        rate_per_min: Plan::Growth.per_min(),
        endpoint_limits: Plan::Growth.endpoint_limits(),
        ..EmulatorConfig::default()
    };
    let s = start_with(cfg).await;
    for i in 0..20 {
        let resp = s.get("/api/v2/tickets").await;
        assert_eq!(resp.status(), 200, "list {i}");
        assert_eq!(header(&resp, "x-ratelimit-total"), "200");
        assert_eq!(
            header(&resp, "x-ratelimit-remaining"),
            (199 - i).to_string()
        );
    }
    s.clock.advance(20_000);
    let resp = s.get("/api/v2/tickets").await;
    assert_eq!(
        (resp.status().as_u16(), header(&resp, "retry-after")),
        (429, "40".to_owned())
    );
    assert_eq!(header(&resp, "x-ratelimit-remaining"), "");
    let resp = s.get("/api/v2/contacts").await;
    assert_eq!(resp.status(), 200, "contacts have a window of their own");
    assert_eq!(
        header(&resp, "x-ratelimit-remaining"),
        "179",
        "the 429 cost nothing"
    );
    s.clock.advance(40_000);
    assert_eq!(s.get("/api/v2/tickets").await.status(), 200, "a new window");
}

#[tokio::test]
async fn ticket_create_update_and_contact_list_limits_are_separate() {
    let cfg = EmulatorConfig {
        endpoint_limits: EndpointLimits {
            ticket_create: Some(2),
            ticket_update: Some(1),
            tickets_list: None,
            contacts_list: Some(1),
        },
        ..EmulatorConfig::default()
    };
    let s = start_with(cfg).await;
    s.create_ticket(json!({})).await;
    s.create_ticket(json!({})).await;
    let body = json!({"subject": "s", "description": "d", "status": 2, "priority": 1, "requester_id": s.customer().id});
    assert_eq!(s.post("/api/v2/tickets", body).await.status(), 429);
    assert_eq!(
        s.put("/api/v2/tickets/1", json!({"priority": 2}))
            .await
            .status(),
        200
    );
    assert_eq!(
        s.put("/api/v2/tickets/2", json!({"priority": 2}))
            .await
            .status(),
        429
    );
    assert_eq!(
        s.put("/api/v2/tickets/1/restore", json!({})).await.status(),
        400,
        "not an update"
    );
    assert_eq!(s.get("/api/v2/contacts").await.status(), 200);
    assert_eq!(s.get("/api/v2/contacts").await.status(), 429);
    assert_eq!(s.get("/api/v2/tickets").await.status(), 200);
    assert_eq!(s.emu.tickets().len(), 2);
}
