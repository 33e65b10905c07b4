//! Ticket create, view, update, delete and restore.

use serde_json::{Value, json};

use super::{T0_ISO, header, start, start_with, status_json};
use crate::emulator::EmulatorConfig;
use crate::freshdesk::types::Ticket;

#[tokio::test]
async fn creating_a_ticket_answers_201_with_location_and_the_full_ticket() {
    let s = start().await;
    let requester = s.customer();
    let body = json!({
        "subject": "Printer on fire",
        "description": "<p>It is <b>really</b> on fire.</p>",
        "status": 2,
        "priority": 3,
        "requester_id": requester.id,
        "tags": ["ticketsim"],
    });
    let resp = s.post("/api/v2/tickets", body).await;
    assert_eq!(resp.status(), 201);
    let host = s.base.trim_start_matches("http://");
    assert_eq!(
        header(&resp, "location"),
        format!("http://{host}/api/v2/tickets/1")
    );
    assert_eq!(
        header(&resp, "content-type"),
        "application/json; charset=utf-8"
    );
    let t: Ticket = resp.json().await.unwrap();
    assert_eq!(t.id, 1);
    assert_eq!((t.status, t.priority, t.source), (2, 3, Some(2)));
    assert_eq!(t.requester_id, Some(requester.id));
    assert_eq!(
        t.description.as_deref(),
        Some("<p>It is <b>really</b> on fire.</p>")
    );
    assert_eq!(t.description_text.as_deref(), Some("It is really on fire."));
    assert_eq!(t.tags, Some(vec!["ticketsim".to_owned()]));
    assert_eq!(t.cc_emails, Some(vec![]));
    assert_eq!(t.responder_id, None);
    assert_eq!(t.created_at.as_deref(), Some(T0_ISO));
    assert_eq!(t.updated_at.as_deref(), Some(T0_ISO));
    assert_eq!(t.deleted, None);
}

#[tokio::test]
async fn ticket_ids_count_up_from_one_and_other_ids_are_large() {
    let s = start().await;
    let a = s.create_ticket(json!({})).await;
    let b = s.create_ticket(json!({})).await;
    assert_eq!((a.id, b.id), (1, 2));
    assert!(a.requester_id.unwrap() > 1 << 32);
}

#[tokio::test]
async fn an_unknown_requester_email_creates_a_contact() {
    let s = start().await;
    let before = s.emu.contacts().len();
    let t = s
        .create_ticket(json!({"requester_id": null, "email": "new.person@example.test"}))
        .await;
    let contacts = s.emu.contacts();
    assert_eq!(contacts.len(), before + 1);
    let made = contacts
        .iter()
        .find(|c| Some(c.id) == t.requester_id)
        .unwrap();
    assert_eq!(made.email.as_deref(), Some("new.person@example.test"));
    assert_eq!(made.name, "new.person");
}

#[tokio::test]
async fn relaxed_mode_defaults_status_and_priority() {
    let s = start_with(EmulatorConfig {
        relaxed: true,
        ..EmulatorConfig::default()
    })
    .await;
    let body = json!({"subject": "s", "description": "d", "email": "x@example.test"});
    let (code, t) = status_json(s.post("/api/v2/tickets", body).await).await;
    assert_eq!(code, 201);
    assert_eq!(
        (t["status"].as_i64(), t["priority"].as_i64()),
        (Some(2), Some(1))
    );
}

#[tokio::test]
async fn updates_bump_updated_at_and_record_status_and_responder_changes() {
    let s = start().await;
    let t = s.create_ticket(json!({})).await;
    let agent = s.emu.agents()[1].id;
    s.clock.advance(60_000);
    let body = json!({"status": 3, "responder_id": agent, "tags": ["a", "b"]});
    let (code, u) = status_json(s.put("/api/v2/tickets/1", body).await).await;
    assert_eq!(code, 200);
    assert_eq!(u["updated_at"], "2023-11-14T22:14:20Z");
    assert_eq!(u["responder_id"], agent);
    assert_eq!(u["tags"], json!(["a", "b"]));
    s.clock.advance(60_000);
    s.put("/api/v2/tickets/1", json!({"status": 5})).await;
    let history = s.emu.status_history(t.id);
    let statuses: Vec<i64> = history.iter().map(|(_, st)| *st).collect();
    assert_eq!(statuses, vec![2, 3, 5]);
    assert_eq!(history[2].0, "2023-11-14T22:15:20Z");
    let responders: Vec<Option<i64>> = s
        .emu
        .responder_history(1)
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    assert_eq!(responders, vec![None, Some(agent)]);
}

#[tokio::test]
async fn an_update_that_changes_nothing_keeps_updated_at() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    s.clock.advance(60_000);
    let (_, u) = status_json(s.put("/api/v2/tickets/1", json!({"status": 2})).await).await;
    assert_eq!(u["updated_at"], T0_ISO);
}

#[tokio::test]
async fn viewing_a_ticket_embeds_what_include_asks_for() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    s.post("/api/v2/tickets/1/notes", json!({"body": "n"}))
        .await;
    let resp = s
        .get("/api/v2/tickets/1?include=conversations,requester,stats")
        .await;
    assert_eq!(header(&resp, "x-ratelimit-used-currentrequest"), "4");
    let (code, t) = status_json(resp).await;
    assert_eq!(code, 200);
    assert_eq!(t["requester"]["email"], json!(s.customer().email));
    assert_eq!(t["stats"]["status_updated_at"], T0_ISO);
    assert_eq!(t["conversations"].as_array().unwrap().len(), 1);
    let plain: Value = s.get("/api/v2/tickets/1").await.json().await.unwrap();
    assert!(plain.get("requester").is_none() && plain.get("conversations").is_none());
}

#[tokio::test]
async fn a_json_suffix_on_the_path_is_accepted() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    assert_eq!(s.get("/api/v2/tickets/1.json").await.status(), 200);
}

#[tokio::test]
async fn unknown_tickets_and_routes_answer_404_with_an_empty_body() {
    let s = start().await;
    // An unknown extension answers a single space (freshdesk-api.md §1).
    for (path, body) in [
        ("/api/v2/tickets/99", ""),
        ("/api/v2/tickets/abc", ""),
        ("/api/v2/nothing", ""),
        ("/api/v2/tickets/1.xml", " "),
    ] {
        let resp = s.get(path).await;
        assert_eq!(resp.status(), 404, "{path}");
        assert_eq!(header(&resp, "x-freshdesk-api-version"), "", "{path}");
        assert!(!header(&resp, "x-request-id").is_empty());
        assert_eq!(resp.text().await.unwrap(), body, "{path}");
    }
}

#[tokio::test]
async fn a_deleted_ticket_is_viewable_but_put_and_delete_give_405_with_allow() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    assert_eq!(s.delete("/api/v2/tickets/1").await.status(), 204);
    let (code, t) = status_json(s.get("/api/v2/tickets/1").await).await;
    assert_eq!((code, t["deleted"].as_bool()), (200, Some(true)));
    for (method, resp) in [
        (
            "PUT",
            s.put("/api/v2/tickets/1", json!({"status": 4})).await,
        ),
        ("DELETE", s.delete("/api/v2/tickets/1").await),
    ] {
        assert_eq!(resp.status(), 405);
        assert_eq!(header(&resp, "allow"), "GET");
        let body: Value = resp.json().await.unwrap();
        let msg =
            format!("{method} method is not allowed. It should be one of these method(s): GET");
        assert_eq!(body, json!({ "message": msg }));
    }
}

#[tokio::test]
async fn restore_undoes_a_delete_and_is_404_on_a_live_ticket() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let restore = || {
        s.req(reqwest::Method::PUT, "/api/v2/tickets/1/restore")
            .send()
    };
    assert_eq!(restore().await.unwrap().status(), 404);
    assert!(s.emu.delete_ticket_as_someone(1));
    assert!(!s.emu.delete_ticket_as_someone(1));
    assert_eq!(restore().await.unwrap().status(), 204);
    assert_eq!(s.emu.tickets()[0].deleted, None);
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_gives_405_listing_the_allowed_ones() {
    let s = start().await;
    let resp = s.post("/api/v2/tickets/1", json!({})).await;
    assert_eq!(resp.status(), 405);
    assert_eq!(header(&resp, "allow"), "GET, PUT, DELETE");
    let body: Value = resp.json().await.unwrap();
    let msg = "POST method is not allowed. It should be one of these method(s): GET, PUT, DELETE";
    assert_eq!(body["message"], msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_get_distinct_consecutive_ids() {
    let s = std::sync::Arc::new(start().await);
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.create_ticket(json!({})).await.id })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort();
    assert_eq!(ids, (1..=40).collect::<Vec<i64>>());
    assert_eq!(s.emu.requests().len(), 40);
}

#[tokio::test]
async fn a_view_embeds_at_most_the_ten_oldest_conversations_and_the_company_as_an_empty_object() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    for i in 0..12 {
        s.clock.advance(1_000);
        s.post(
            "/api/v2/tickets/1/notes",
            json!({"body": format!("note {i}")}),
        )
        .await;
    }
    let resp = s
        .get("/api/v2/tickets/1?include=conversations,company,sla_policy")
        .await;
    assert_eq!(header(&resp, "x-ratelimit-used-currentrequest"), "4");
    let t: Value = resp.json().await.unwrap();
    let bodies: Vec<&str> = t["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (0..10).map(|i| format!("note {i}")).collect();
    assert_eq!(bodies, want);
    assert_eq!(t["company"], json!({}));
    assert!(t["sla_policy"]["id"].is_i64());
    let bad = s.get("/api/v2/tickets/1?include=notes").await;
    let (status, body) = status_json(bad).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["message"],
        "It should be one of these values: 'conversations, requester, company, stats, sla_policy'"
    );
}
