//! Responses carry the same JSON keys as real Freshdesk records
//! (`fixtures/freshdesk/`) and deserialize into the client's wire types.

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Server, fixture, start};
use crate::freshdesk::types::{Agent, Contact, Conversation, Group, Ticket};

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn get_json(s: &Server, path: &str) -> Value {
    let resp = s.get(path).await;
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

fn parses_as<T: DeserializeOwned>(v: &Value) {
    if let Err(e) = serde_json::from_value::<T>(v.clone()) {
        panic!("{e}: {v}");
    }
}

#[tokio::test]
async fn a_ticket_list_item_has_exactly_the_keys_of_a_real_one() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let list = get_json(&s, "/api/v2/tickets?include=description,requester,stats").await;
    let real = &fixture("tickets.json")[0];
    assert_eq!(keys(&list[0]), keys(real));
    assert_eq!(keys(&list[0]["requester"]), keys(&real["requester"]));
    assert_eq!(keys(&list[0]["stats"]), keys(&real["stats"]));
    parses_as::<Ticket>(&list[0]);
}

#[tokio::test]
async fn a_created_ticket_has_the_real_keys_of_a_view() {
    let s = start().await;
    let (_, created) = super::status_json(
        s.post(
            "/api/v2/tickets",
            json!({
                "subject": "s", "description": "d", "status": 2, "priority": 1,
                "requester_id": s.customer().id,
            }),
        )
        .await,
    )
    .await;
    // A view/create response is a list item without the list-only keys and
    // embeds, plus `attachments` (freshdesk-api.md §6.2).
    let mut want = keys(&fixture("tickets.json")[0]);
    for list_only in [
        "requester",
        "stats",
        "associated_tickets_count",
        "support_email",
        "nr_due_by",
        "nr_escalated",
    ] {
        want.remove(list_only);
    }
    want.insert("attachments".into());
    assert_eq!(keys(&created), want);
    parses_as::<Ticket>(&created);
    let shown = get_json(&s, "/api/v2/tickets/1").await;
    assert_eq!(keys(&shown), want);
}

#[tokio::test]
async fn listed_conversations_have_exactly_the_keys_of_real_ones() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    s.post("/api/v2/tickets/1/reply", json!({"body": "r"}))
        .await;
    s.post("/api/v2/tickets/1/notes", json!({"body": "n"}))
        .await;
    let list = get_json(&s, "/api/v2/tickets/1/conversations").await;
    let real = keys(&fixture("conversations.json")[0]);
    for item in list.as_array().unwrap() {
        assert_eq!(keys(item), real);
        parses_as::<Conversation>(item);
    }
}

#[tokio::test]
async fn created_notes_and_replies_have_the_documented_keys() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let reply: Value = s
        .post("/api/v2/tickets/1/reply", json!({"body": "r"}))
        .await
        .json()
        .await
        .unwrap();
    let note: Value = s
        .post("/api/v2/tickets/1/notes", json!({"body": "n"}))
        .await
        .json()
        .await
        .unwrap();
    let reply_keys = set(&[
        "id",
        "user_id",
        "from_email",
        "cc_emails",
        "bcc_emails",
        "body",
        "body_text",
        "ticket_id",
        "to_emails",
        "attachments",
        "source_additional_info",
        "created_at",
        "updated_at",
    ]);
    let note_keys = set(&[
        "id",
        "incoming",
        "private",
        "user_id",
        "support_email",
        "ticket_id",
        "to_emails",
        "created_at",
        "updated_at",
        "attachments",
        "body",
        "body_text",
    ]);
    assert_eq!(keys(&reply), reply_keys);
    assert_eq!(keys(&note), note_keys);
    let real = keys(&fixture("conversations.json")[0]);
    assert!(reply_keys.is_subset(&real) && note_keys.is_subset(&real));
    parses_as::<Conversation>(&reply);
    parses_as::<Conversation>(&note);
}

#[tokio::test]
async fn people_have_exactly_the_keys_of_real_records() {
    let s = start().await;
    let contacts = get_json(&s, "/api/v2/contacts").await;
    let agents = get_json(&s, "/api/v2/agents").await;
    let groups = get_json(&s, "/api/v2/groups").await;
    assert_eq!(keys(&contacts[0]), keys(&fixture("contacts.json")[0]));
    assert_eq!(keys(&agents[0]), keys(&fixture("agents.json")[0]));
    assert_eq!(
        keys(&agents[0]["contact"]),
        keys(&fixture("agents.json")[0]["contact"])
    );
    assert_eq!(keys(&groups[0]), keys(&fixture("groups.json")[0]));
    parses_as::<Contact>(&contacts[0]);
    parses_as::<Agent>(&agents[0]);
    parses_as::<Group>(&groups[0]);
}
