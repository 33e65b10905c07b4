//! Responses carry the same JSON keys as real Freshdesk records
//! (`fixtures/freshdesk/`) and deserialize into the client's wire types.

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Server, fixture, start};
use crate::freshdesk::types::{
    Agent, Contact, Conversation, Group, Job, JobRef, SearchResults, Ticket, TicketField, TimeEntry,
};

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

#[tokio::test]
async fn time_entries_have_exactly_the_keys_of_real_ones() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let created = s
        .post(
            "/api/v2/tickets/1/time_entries",
            json!({"time_spent": "01:30"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let listed = get_json(&s, "/api/v2/tickets/1/time_entries").await;
    let all = get_json(&s, "/api/v2/time_entries").await;
    let real = keys(&fixture("time_entries.json")[0]);
    for item in [&created, &listed[0], &all[0]] {
        assert_eq!(keys(item), real);
        parses_as::<TimeEntry>(item);
    }
}

#[tokio::test]
async fn ticket_fields_have_exactly_the_keys_and_choice_shapes_of_real_ones() {
    let s = start().await;
    let fields = get_json(&s, "/api/v2/ticket_fields").await;
    let real = fixture("ticket_fields.json");
    for item in fields.as_array().unwrap() {
        assert_eq!(keys(item), keys(&real[0]), "{item}");
        parses_as::<TicketField>(item);
    }
    let find = |list: &Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap()
    };
    let real = Value::Array(real);
    for name in ["ticket_type", "source", "status", "priority"] {
        let (ours, theirs) = (find(&fields, name), find(&real, name));
        assert_eq!(ours["type"], theirs["type"], "{name}");
        // The same choices (the real account lacks statuses 6 and 7).
        match (&ours["choices"], &theirs["choices"]) {
            (Value::Object(o), Value::Object(t)) => {
                for (k, v) in t {
                    assert_eq!(o.get(k), Some(v), "{name}.{k}");
                }
            }
            (o, t) => assert_eq!(o, t, "{name}"),
        }
    }
}

#[tokio::test]
async fn search_results_and_jobs_deserialize_into_the_client_types() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let page = get_json(&s, "/api/v2/search/tickets?query=%22priority:1%22").await;
    let page: SearchResults<Ticket> = serde_json::from_value(page).unwrap();
    assert_eq!(page.total, 1);
    let job = s
        .post(
            "/api/v2/tickets/bulk_update",
            json!({"ids": [1], "properties": {"priority": 2}}),
        )
        .await;
    let job: JobRef = job.json().await.unwrap();
    let shown = get_json(&s, &format!("/api/v2/jobs/{}", job.job_id)).await;
    parses_as::<Job>(&shown);
}
