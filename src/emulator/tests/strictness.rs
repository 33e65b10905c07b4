//! Every endpoint is as strict as Freshdesk (freshdesk-api.md §1, §3): no
//! key, unknown query parameters and body keys, wrong content types, broken
//! JSON and unacceptable `Accept` headers are refused before anything changes.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Server, start};

/// Every endpoint with a body it accepts (`None`: it takes no body).
async fn endpoints(s: &Server) -> Vec<(&'static str, String, Option<Value>)> {
    s.create_ticket(json!({})).await;
    let t = s
        .call("POST", "/api/v2/tickets/1/time_entries", Some(json!({})))
        .await;
    let te = t.json["id"].as_i64().unwrap();
    let job = s
        .call(
            "POST",
            "/api/v2/tickets/bulk_update",
            Some(json!({"ids": [1], "properties": {"priority": 2}})),
        )
        .await;
    let job = job.json["job_id"].as_str().unwrap().to_owned();
    let (c, agent) = (s.customer().id, s.owner_id());
    let group = s.emu.lock().world.groups[0].id;
    #[rustfmt::skip]
    let list = vec![
        ("GET", "/api/v2/contacts".to_owned(), None),
        ("POST", "/api/v2/contacts".into(), Some(json!({"name": "N", "email": "n@example.test"}))),
        ("GET", format!("/api/v2/contacts/{c}"), None),
        ("PUT", format!("/api/v2/contacts/{c}"), Some(json!({"job_title": "CTO"}))),
        ("DELETE", format!("/api/v2/contacts/{c}"), None),
        ("PUT", format!("/api/v2/contacts/{c}/restore"), None),
        ("DELETE", format!("/api/v2/contacts/{c}/hard_delete"), None),
        ("GET", "/api/v2/agents".into(), None),
        ("GET", "/api/v2/agents/me".into(), None),
        ("GET", format!("/api/v2/agents/{agent}"), None),
        ("GET", "/api/v2/groups".into(), None),
        ("GET", format!("/api/v2/groups/{group}"), None),
        ("POST", "/api/v2/tickets".into(), Some(json!({"subject": "s", "description": "d", "status": 2, "priority": 1, "requester_id": c}))),
        ("GET", "/api/v2/tickets".into(), None),
        ("GET", "/api/v2/tickets/1".into(), None),
        ("PUT", "/api/v2/tickets/1".into(), Some(json!({"priority": 2}))),
        ("DELETE", "/api/v2/tickets/1".into(), None),
        ("PUT", "/api/v2/tickets/1/restore".into(), None),
        ("POST", "/api/v2/tickets/1/reply".into(), Some(json!({"body": "b"}))),
        ("POST", "/api/v2/tickets/1/notes".into(), Some(json!({"body": "b"}))),
        ("GET", "/api/v2/tickets/1/conversations".into(), None),
        ("POST", "/api/v2/tickets/1/time_entries".into(), Some(json!({"time_spent": "00:10"}))),
        ("GET", "/api/v2/tickets/1/time_entries".into(), None),
        ("GET", "/api/v2/time_entries".into(), None),
        ("PUT", format!("/api/v2/time_entries/{te}"), Some(json!({"note": "n"}))),
        ("PUT", format!("/api/v2/time_entries/{te}/toggle_timer"), None),
        ("DELETE", format!("/api/v2/time_entries/{te}"), None),
        ("POST", "/api/v2/tickets/bulk_update".into(), Some(json!({"ids": [1], "properties": {"priority": 3}}))),
        ("GET", format!("/api/v2/jobs/{job}"), None),
        ("GET", "/api/v2/ticket_fields".into(), None),
        ("GET", "/api/v2/search/tickets?query=%22status:2%22".into(), None),
        ("GET", "/api/v2/search/contacts?query=%22active:true%22".into(), None),
    ];
    list
}

/// The whole account as `/_emulator/state` shows it.
async fn snapshot(s: &Server) -> Value {
    reqwest::get(format!("{}/_emulator/state", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_endpoint_needs_the_api_key_and_unknown_parameters_are_refused() {
    let s = start().await;
    let list = endpoints(&s).await;
    let before = snapshot(&s).await;
    for (method, path, _) in &list {
        s.assert_needs_auth(method, path).await;
        let sep = if path.contains('?') { '&' } else { '?' };
        let a = s.call(method, &format!("{path}{sep}bogus=1"), None).await;
        assert_eq!(a.status, 400, "{method} {path}: {}", a.text);
        let want = json!({"field": "bogus", "message": "Unexpected/invalid field in request", "code": "invalid_field"});
        assert_eq!(a.json["errors"], json!([want]), "{method} {path}");
    }
    assert_eq!(snapshot(&s).await, before, "nothing changed");
}

#[tokio::test]
async fn every_write_refuses_unknown_keys_bad_json_and_wrong_content_types() {
    let s = start().await;
    let list = endpoints(&s).await;
    let before = snapshot(&s).await;
    for (method, path, body) in list.iter().filter(|(m, ..)| *m == "POST" || *m == "PUT") {
        let mut extra = body.clone().unwrap_or(json!({}));
        extra["bogus"] = json!(1);
        let a = s.call(method, path, Some(extra)).await;
        assert_eq!(a.status, 400, "{method} {path}: {}", a.text);
        let got = a.json["errors"][0]["code"]
            .as_str()
            .or(a.json["code"].as_str());
        let want = if body.is_some() {
            "invalid_field"
        } else {
            "no_content_required"
        };
        assert_eq!(got, Some(want), "{method} {path}");
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        for (ct, text, status, code) in [
            ("application/json", "{\"a\":", 400, "invalid_json"),
            ("application/xml", "<a/>", 415, "invalid_content_type"),
        ] {
            let resp = s
                .req(m.clone(), path)
                .header("content-type", ct)
                .body(text)
                .send()
                .await
                .unwrap();
            let (got, json) = super::status_json(resp).await;
            assert_eq!(
                (got, json["code"].as_str()),
                (status, Some(code)),
                "{method} {path} {ct}"
            );
        }
    }
    assert_eq!(snapshot(&s).await, before, "nothing changed");
}

#[tokio::test]
async fn an_unacceptable_accept_header_is_406_everywhere() {
    let s = start().await;
    for (method, path, body) in endpoints(&s).await {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = s.req(m, &path).header("accept", "text/html");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let (status, json) = super::status_json(req.send().await.unwrap()).await;
        assert_eq!(
            (status, json["code"].as_str()),
            (406, Some("invalid_accept_header")),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn a_json_suffix_is_accepted_and_other_extensions_are_404_with_one_space() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    assert_eq!(
        s.call("GET", "/api/v2/tickets/1.json", None).await.status,
        200
    );
    assert_eq!(
        s.call("GET", "/api/v2/agents/me.json?", None).await.status,
        200
    );
    let a = s.call("GET", "/api/v2/tickets/1.xml", None).await;
    assert_eq!((a.status, a.text.as_str()), (404, " "));
    let a = s.call("GET", "/api/v2/nothing/here", None).await;
    assert_eq!((a.status, a.text.as_str()), (404, ""));
}
