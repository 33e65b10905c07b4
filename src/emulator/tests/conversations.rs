//! Replies, notes, acting as the customer, and the conversation list.

use serde_json::{Value, json};

use super::{header, only_error, start, start_with, status_json};
use crate::emulator::EmulatorConfig;
use crate::freshdesk::types::{Conversation, Ticket};

#[tokio::test]
async fn a_reply_is_an_email_from_the_support_address_to_the_requester() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let agent = s.emu.agents()[1].id;
    let resp = s
        .post(
            "/api/v2/tickets/1/reply",
            json!({"body": "<p>On it.</p>", "user_id": agent}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body.get("private").is_none() && body.get("source").is_none(),
        "{body}"
    );
    assert_eq!(body["body_text"], "On it.");
    let c = &s.emu.conversations(1)[0];
    assert_eq!(
        (c.source, c.private, c.incoming, c.category),
        (Some(0), Some(false), Some(false), Some(3))
    );
    assert_eq!(c.user_id, Some(agent));
    assert_eq!(c.to_emails, Some(vec![s.customer().email.unwrap()]));
    assert_eq!(c.support_email.as_deref(), Some("support@localhost"));
    assert!(
        c.from_email
            .as_deref()
            .unwrap()
            .contains("<support@localhost>")
    );
    let t: Ticket = s
        .get("/api/v2/tickets/1?include=stats")
        .await
        .json()
        .await
        .unwrap();
    assert!(t.stats.unwrap().first_responded_at.is_some());
}

#[tokio::test]
async fn a_reply_must_come_from_an_agent_with_a_body() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let contact = s.customer().id;
    let cases = [
        (
            json!({"body": "x", "user_id": contact}),
            "user_id",
            "invalid_value",
        ),
        (json!({}), "body", "missing_field"),
        (
            json!({"body": "x", "private": true}),
            "private",
            "invalid_field",
        ),
        (
            json!({"body": "x", "from_email": "someone@example.com"}),
            "from_email",
            "invalid_value",
        ),
    ];
    for (body, field, code) in cases {
        let (status, resp) =
            status_json(s.post("/api/v2/tickets/1/reply", body.clone()).await).await;
        assert_eq!(status, 400, "{body}");
        let (f, _, c) = only_error(&resp);
        assert_eq!((f.as_str(), c.as_str()), (field, code), "{body}");
    }
    let ok = s
        .post(
            "/api/v2/tickets/1/reply",
            json!({"body": "x", "from_email": "support@localhost"}),
        )
        .await;
    assert_eq!(ok.status(), 201);
}

#[tokio::test]
async fn notes_default_to_private_and_not_incoming_by_the_keys_agent() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let (status, body) = status_json(
        s.post("/api/v2/tickets/1/notes", json!({"body": "psst"}))
            .await,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        (body["private"].as_bool(), body["incoming"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(body["user_id"], s.owner_id());
    let c = &s.emu.conversations(1)[0];
    assert_eq!((c.source, c.category), (Some(2), Some(2)));
    s.post(
        "/api/v2/tickets/1/notes",
        json!({"body": "hi", "private": false}),
    )
    .await;
    assert_eq!(s.emu.conversations(1)[1].category, Some(3));
}

#[tokio::test]
async fn a_customer_note_gets_category_1_and_moves_requester_responded_at() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let customer = s.customer().id;
    let body = json!({"body": "thanks", "user_id": customer, "private": false, "incoming": true});
    let resp = s.post("/api/v2/tickets/1/notes", body.clone()).await;
    assert_eq!(resp.status(), 201);
    let c = &s.emu.conversations(1)[0];
    assert_eq!(
        (c.category, c.incoming, c.private, c.user_id),
        (Some(1), Some(true), Some(false), Some(customer))
    );
    let t: Ticket = s
        .get("/api/v2/tickets/1?include=stats")
        .await
        .json()
        .await
        .unwrap();
    assert!(t.stats.unwrap().requester_responded_at.is_some());
    let logged = s
        .emu
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/notes"))
        .unwrap();
    assert_eq!(logged.user_id, Some(customer));
}

#[tokio::test]
async fn acting_as_a_customer_without_assume_identity_is_403_invalid_user() {
    let cfg = EmulatorConfig {
        allow_assume_identity: false,
        ..EmulatorConfig::default()
    };
    let s = start_with(cfg).await;
    s.create_ticket(json!({})).await;
    let customer = s.customer();
    let body =
        json!({"body": "thanks", "user_id": customer.id, "private": false, "incoming": true});
    let (status, resp) = status_json(s.post("/api/v2/tickets/1/notes", body).await).await;
    assert_eq!(status, 403);
    let msg = format!(
        "You are not authorized to perform this action on behalf of this user. id:{}, name:{}",
        customer.id, customer.name
    );
    assert_eq!(resp, json!({"code": "invalid_user", "message": msg}));
    assert!(s.emu.conversations(1).is_empty());
    let agent = s.emu.agents()[2].id;
    let as_agent = s
        .post(
            "/api/v2/tickets/1/notes",
            json!({"body": "n", "user_id": agent}),
        )
        .await;
    assert_eq!(as_agent.status(), 201);
}

#[tokio::test]
async fn conversations_list_oldest_first_in_pages_with_a_link() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    for i in 0..5 {
        s.clock.advance(1_000);
        s.post(
            "/api/v2/tickets/1/notes",
            json!({"body": format!("note {i}")}),
        )
        .await;
    }
    let resp = s.get("/api/v2/tickets/1/conversations?per_page=2").await;
    let host = s.base.trim_start_matches("http://");
    let want =
        format!("<http://{host}/api/v2/tickets/1/conversations?per_page=2&page=2>; rel=\"next\"");
    assert_eq!(header(&resp, "link"), want);
    let page: Vec<Conversation> = resp.json().await.unwrap();
    let bodies: Vec<_> = page.iter().map(|c| c.body.clone().unwrap()).collect();
    assert_eq!(bodies, ["note 0", "note 1"]);
    let last = s
        .get("/api/v2/tickets/1/conversations?per_page=2&page=3")
        .await;
    assert_eq!(header(&last, "link"), "");
    let page: Vec<Conversation> = last.json().await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].body.as_deref(), Some("note 4"));
}

#[tokio::test]
async fn a_conversation_bumps_the_tickets_updated_at() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    s.clock.advance(90_000);
    s.post("/api/v2/tickets/1/reply", json!({"body": "x"}))
        .await;
    assert_eq!(
        s.emu.tickets()[0].updated_at.as_deref(),
        Some("2023-11-14T22:14:50Z")
    );
}

#[tokio::test]
async fn conversations_of_an_unknown_ticket_are_404() {
    let s = start().await;
    assert_eq!(s.get("/api/v2/tickets/7/conversations").await.status(), 404);
    assert_eq!(
        s.post("/api/v2/tickets/7/notes", json!({"body": "x"}))
            .await
            .status(),
        404
    );
}
