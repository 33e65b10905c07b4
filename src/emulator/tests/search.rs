//! `GET /search/tickets` and `/search/contacts`: the query language, paging
//! and the documented refusals.

use serde_json::{Value, json};

use super::{Server, start, start_with};
use crate::emulator::{CustomField, EmulatorConfig};
use crate::freshdesk::types::{Contact, SearchResults, Ticket};

const DAY_MS: i64 = 86_400_000;

fn q(expr: &str) -> String {
    let encoded: String = format!("\"{expr}\"")
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/api/v2/search/tickets?query={encoded}")
}

async fn found(s: &Server, expr: &str) -> Vec<i64> {
    let a = s.call("GET", &q(expr), None).await;
    assert_eq!(a.status, 200, "{expr}: {}", a.text);
    let page: SearchResults<Ticket> = serde_json::from_value(a.json).unwrap();
    let mut ids: Vec<i64> = page.results.iter().map(|t| t.id).collect();
    assert_eq!(page.total as usize, ids.len());
    ids.sort();
    ids
}

#[tokio::test]
async fn ticket_search_evaluates_fields_operators_and_grouping() {
    let cf: CustomField = "cf_plan:dropdown:Free|Pro".parse().unwrap();
    let s = start_with(EmulatorConfig {
        custom_fields: vec![cf],
        ..EmulatorConfig::default()
    })
    .await;
    let agent = s.owner_id();
    s.create_ticket(json!({"priority": 1, "tags": ["vip"], "type": "Question"}))
        .await;
    s.clock.advance(2 * DAY_MS);
    s.create_ticket(json!({"priority": 3, "status": 3, "responder_id": agent}))
        .await;
    s.create_ticket(json!({"priority": 4, "custom_fields": {"cf_plan": "Pro"}}))
        .await;
    s.create_ticket(json!({"priority": 4})).await;
    s.call("DELETE", "/api/v2/tickets/4", None).await;
    #[rustfmt::skip]
    let cases: Vec<(String, Vec<i64>)> = vec![
        ("priority:4".into(), vec![3]),
        ("priority:>3".into(), vec![2, 3]),
        ("priority:<3".into(), vec![1, 2]),
        ("tag:'VIP'".into(), vec![1]),
        ("type:'question'".into(), vec![1]),
        (format!("agent_id:{agent}"), vec![2]),
        ("agent_id:null".into(), vec![1, 3]),
        ("(status:2 OR status:3) AND priority:>3".into(), vec![2, 3]),
        ("status:2 AND priority:>3".into(), vec![3]),
        ("status:3 OR priority:1 AND tag:'vip'".into(), vec![1, 2]),
        ("created_at:>'2023-11-16'".into(), vec![2, 3]),
        ("created_at:<'2023-11-14'".into(), vec![1]),
        ("created_at:'2023-11-15'".into(), vec![]),
        ("cf_plan:'Pro'".into(), vec![3]),
        ("cf_plan:null".into(), vec![1, 2]),
    ];
    for (expr, want) in cases {
        assert_eq!(found(&s, &expr).await, want, "{expr}");
    }
}

#[tokio::test]
async fn search_pages_hold_30_results_and_stop_at_page_10() {
    let s = start().await;
    for _ in 0..31 {
        s.create_ticket(json!({})).await;
    }
    let a = s
        .call("GET", &format!("{}&page=2", q("priority:1")), None)
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        (
            a.json["results"].as_array().unwrap().len(),
            a.json["total"].as_i64()
        ),
        (1, Some(31))
    );
    let first = s.call("GET", &q("priority:1"), None).await;
    assert_eq!(first.json["results"].as_array().unwrap().len(), 30);
    assert!(first.json["results"][0].get("description").is_some());
    let empty = s
        .call("GET", &format!("{}&page=10", q("priority:1")), None)
        .await;
    assert_eq!(empty.json, json!({"results": [], "total": 31}));
}

#[tokio::test]
async fn bad_searches_get_the_documented_400s() {
    let s = start().await;
    let invalid = "Given query is invalid, expected format \"keyword:value  OPERATOR keyword:'string' ...\". Space is mandatory between key/value pair and operator. Please check the paranthesis if there are any.";
    let long = format!("tag:'{}'", "x".repeat(510));
    #[rustfmt::skip]
    let cases: Vec<(String, &str, String, &str)> = vec![
        (format!("{}&page=11", q("status:2")), "page", "It should be a Positive Integer less than or equal to 10".into(), "invalid_value"),
        (format!("{}&page=0", q("status:2")), "page", "It should be a Positive Integer less than or equal to 10".into(), "invalid_value"),
        (format!("{}&per_page=5", q("status:2")), "per_page", "Unexpected/invalid field in request".into(), "invalid_field"),
        ("/api/v2/search/tickets?query=status:2".into(), "query", invalid.into(), "invalid_value"),
        ("/api/v2/search/tickets".into(), "query", "It should be a/an String".into(), "missing_field"),
        (q("status:2AND priority:1"), "query", invalid.into(), "invalid_value"),
        (q("(status:2 OR status:3"), "query", invalid.into(), "invalid_value"),
        (q("subject:'x'"), "query", invalid.into(), "invalid_value"),
        (q(&long), "query", "Has 516 characters, it can have maximum of 512 characters".into(), "invalid_value"),
    ];
    for (path, field, message, code) in cases {
        let a = s.call("GET", &path, None).await;
        assert_eq!(a.status, 400, "{path}: {}", a.text);
        let e = &a.json["errors"][0];
        assert_eq!(
            (
                e["field"].as_str(),
                e["message"].as_str(),
                e["code"].as_str()
            ),
            (Some(field), Some(message.as_str()), Some(code)),
            "{path}"
        );
    }
    s.assert_needs_auth("GET", &q("status:2")).await;
}

#[tokio::test]
async fn contact_search_finds_live_contacts_by_email_tag_and_date() {
    let s = start().await;
    let c = s.customer();
    let email = c.email.clone().unwrap();
    let path = |expr: &str| q(expr).replace("/search/tickets", "/search/contacts");
    let a = s
        .call("GET", &path(&format!("email:'{email}'")), None)
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let page: SearchResults<Contact> = serde_json::from_value(a.json).unwrap();
    assert_eq!(
        page.results.iter().map(|c| c.id).collect::<Vec<_>>(),
        [c.id]
    );
    s.call("DELETE", &format!("/api/v2/contacts/{}", c.id), None)
        .await;
    let a = s
        .call("GET", &path(&format!("email:'{email}'")), None)
        .await;
    assert_eq!(a.json, json!({"results": [], "total": 0}));
    let all = s.call("GET", &path("created_at:>'2000-01-01'"), None).await;
    assert_eq!(all.json["total"], Value::from(s.emu.contacts().len() - 1));
    let bad = s.call("GET", &path("status:2"), None).await;
    assert_eq!(bad.status, 400);
}
