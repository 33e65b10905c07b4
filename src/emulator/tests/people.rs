//! Contacts, agents and groups.

use serde_json::json;

use super::{header, only_error, start, start_with, status_json};
use crate::emulator::EmulatorConfig;
use crate::freshdesk::types::{Agent, Contact, Group};

#[tokio::test]
async fn contacts_are_paged_by_name_with_a_link_to_the_next_page() {
    let cfg = EmulatorConfig {
        contacts: 25,
        ..EmulatorConfig::default()
    };
    let s = start_with(cfg).await;
    let first = s.get("/api/v2/contacts?per_page=10&state=verified").await;
    let link = header(&first, "link");
    let host = s.base.trim_start_matches("http://");
    assert_eq!(
        link,
        format!("<http://{host}/api/v2/contacts?per_page=10&state=verified&page=2>; rel=\"next\"")
    );
    let mut all: Vec<Contact> = first.json().await.unwrap();
    let mut page = 2;
    loop {
        let resp = s
            .get(&format!(
                "/api/v2/contacts?per_page=10&state=verified&page={page}"
            ))
            .await;
        let more = !header(&resp, "link").is_empty();
        all.extend(resp.json::<Vec<Contact>>().await.unwrap());
        if !more {
            break;
        }
        page += 1;
    }
    let verified = s.emu.contacts().into_iter().filter(|c| c.active).count();
    assert_eq!(all.len(), verified);
    let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn contacts_filter_by_email() {
    let s = start().await;
    let c = s.customer();
    let email = c.email.clone().unwrap().to_uppercase();
    let found: Vec<Contact> = s
        .get(&format!("/api/v2/contacts?email={email}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, c.id);
}

#[tokio::test]
async fn creating_a_contact_answers_201_with_location() {
    let s = start().await;
    let body = json!({"name": "Ola Nordmann", "email": "ola@example.test"});
    let resp = s.post("/api/v2/contacts", body).await;
    assert_eq!(resp.status(), 201);
    let c: Contact = resp.json().await.unwrap();
    assert!(c.id > 1 << 32);
    let (status, shown) = status_json(s.get(&format!("/api/v2/contacts/{}", c.id)).await).await;
    assert_eq!(status, 200);
    assert_eq!(shown["email"], "ola@example.test");
}

#[tokio::test]
async fn a_duplicate_contact_email_is_409_with_the_existing_user_id() {
    let s = start().await;
    let existing = s.customer();
    let body = json!({"name": "Dup", "email": existing.email});
    let (status, resp) = status_json(s.post("/api/v2/contacts", body).await).await;
    assert_eq!(status, 409);
    let want = json!({"description": "Validation failed", "errors": [{
        "field": "email", "message": "It should be a unique value", "code": "duplicate_value",
        "additional_info": {"user_id": existing.id},
    }]});
    assert_eq!(resp, want);
}

#[tokio::test]
async fn a_contact_needs_a_name_and_a_contact_detail() {
    let s = start().await;
    let (status, body) =
        status_json(s.post("/api/v2/contacts", json!({"name": "No Way"})).await).await;
    assert_eq!(status, 400);
    let msg =
        "Please fill at least 1 of email, mobile, phone, twitter_id, unique_external_id fields";
    assert_eq!(
        only_error(&body),
        ("email".into(), msg.into(), "missing_field".into())
    );
    let (_, body) = status_json(
        s.post("/api/v2/contacts", json!({"email": "a@example.test"}))
            .await,
    )
    .await;
    assert_eq!(
        only_error(&body),
        (
            "name".into(),
            "It should be a/an String".into(),
            "missing_field".into()
        )
    );
}

#[tokio::test]
async fn agents_me_is_the_first_seeded_agent() {
    let s = start().await;
    let me: Agent = s.get("/api/v2/agents/me").await.json().await.unwrap();
    assert_eq!(me.id, s.owner_id());
    assert!(me.contact.email.unwrap().ends_with("@example.com"));
    let all: Vec<Agent> = s.get("/api/v2/agents").await.json().await.unwrap();
    assert_eq!(all.len(), 3);
    let one = s.get(&format!("/api/v2/agents/{}", all[1].id)).await;
    assert_eq!(one.status(), 200);
    assert_eq!(s.get("/api/v2/agents/42").await.status(), 404);
}

#[tokio::test]
async fn the_account_has_two_groups() {
    let s = start().await;
    let groups: Vec<Group> = s.get("/api/v2/groups").await.json().await.unwrap();
    assert_eq!(groups.len(), 2);
    assert!(
        groups
            .iter()
            .all(|g| g.id > 1 << 32 && g.agent_ids.is_none())
    );
    let shown: Group = s
        .get(&format!("/api/v2/groups/{}", groups[0].id))
        .await
        .json()
        .await
        .unwrap();
    assert!(!shown.agent_ids.unwrap().is_empty());
}

#[tokio::test]
async fn agent_and_group_calls_filter_and_refuse_like_freshdesk() {
    let s = start().await;
    let agents = s.emu.agents();
    let email = agents[1].contact.email.clone().unwrap().to_uppercase();
    let names = |v: &serde_json::Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };
    let a = s
        .call("GET", &format!("/api/v2/agents?email={email}"), None)
        .await;
    assert_eq!(names(&a.json), [agents[1].id]);
    let a = s.call("GET", "/api/v2/agents?state=occasional", None).await;
    assert_eq!(names(&a.json), Vec::<i64>::new());
    let a = s
        .call("GET", "/api/v2/agents?state=fulltime&per_page=1", None)
        .await;
    assert_eq!(names(&a.json).len(), 1);
    let group = s.emu.lock().world.groups[0].clone();
    let shown = s
        .call("GET", &format!("/api/v2/groups/{}", group.id), None)
        .await;
    assert_eq!(shown.json["agent_ids"], json!(group.agent_ids.unwrap()));
    #[rustfmt::skip]
    let cases: Vec<super::Refusal> = vec![
        ("GET", "/api/v2/agents?state=parttime".into(), None, 400, "state", "It should be one of these values: 'fulltime,occasional'"),
        ("GET", "/api/v2/agents?name=x".into(), None, 400, "name", "Unexpected/invalid field in request"),
        ("GET", "/api/v2/agents?per_page=101".into(), None, 400, "per_page", "It should be a Positive Integer less than or equal to 100"),
        ("GET", "/api/v2/agents/42".into(), None, 404, "", ""),
        ("GET", "/api/v2/groups/42".into(), None, 404, "", ""),
        ("POST", "/api/v2/agents".into(), Some(json!({})), 405, "", "POST method is not allowed. It should be one of these method(s): GET"),
    ];
    super::expect_refusals(&s, cases).await;
    for path in ["/api/v2/agents", "/api/v2/agents/me", "/api/v2/groups"] {
        s.assert_needs_auth("GET", path).await;
    }
}
