//! Contacts: filters, update, soft delete, restore, hard delete; every
//! refusal as Freshdesk words it.

use serde_json::{Value, json};

use super::{Refusal, Server, expect_refusals, start, start_with};
use crate::emulator::EmulatorConfig;
use crate::freshdesk::types::Contact;

const UNEXPECTED: &str = "Unexpected/invalid field in request";

async fn names(s: &Server, query: &str) -> Vec<String> {
    let a = s
        .call("GET", &format!("/api/v2/contacts{query}"), None)
        .await;
    assert_eq!(a.status, 200, "{query}: {}", a.text);
    let list: Vec<Contact> = serde_json::from_value(a.json).unwrap();
    list.into_iter().map(|c| c.name).collect()
}

async fn new_contact(s: &Server, body: Value) -> Contact {
    let a = s.call("POST", "/api/v2/contacts", Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.text);
    serde_json::from_value(a.json).unwrap()
}

#[tokio::test]
async fn contact_filters_select_by_detail_state_date_and_tag() {
    let s = start_with(EmulatorConfig {
        contacts: 0,
        ..EmulatorConfig::default()
    })
    .await;
    let ann = new_contact(&s, json!({"name": "Ann", "email": "ann@example.test", "mobile": "+1-555-0100", "tags": ["vip"]})).await;
    s.clock.advance(60_000);
    let bob = new_contact(&s, json!({"name": "Bob", "phone": "+1-555-0199"})).await;
    let cid = new_contact(&s, json!({"name": "Cid", "email": "cid@example.test"})).await;
    assert_eq!(
        s.call("DELETE", &format!("/api/v2/contacts/{}", cid.id), None)
            .await
            .status,
        204
    );
    assert!(s.emu.block_contact_as_someone(bob.id));
    #[rustfmt::skip]
    let cases: [(&str, &[&str]); 10] = [
        ("", &["Ann"]),
        ("?email=ANN@example.test", &["Ann"]),
        ("?mobile=%2B1-555-0100", &["Ann"]),
        ("?phone=%2B1-555-0199", &[]),
        ("?state=blocked", &["Bob"]),
        ("?state=deleted", &["Cid"]),
        ("?state=unverified", &["Ann"]),
        ("?tag=vip", &["Ann"]),
        ("?_updated_since=2023-11-14T22:14:00Z&state=blocked", &["Bob"]),
        ("?company_id=5", &[]),
    ];
    for (query, want) in cases {
        assert_eq!(names(&s, query).await, want, "{query}");
    }
    assert_eq!(ann.tags, Some(vec!["vip".to_owned()]));
}

#[tokio::test]
async fn updating_a_contact_changes_the_fields_sent_and_updated_at() {
    let s = start().await;
    let c = s.customer();
    s.clock.advance(5_000);
    let path = format!("/api/v2/contacts/{}", c.id);
    let a = s
        .call(
            "PUT",
            &path,
            Some(json!({"job_title": "CTO", "email": "new@example.test"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let updated: Contact = serde_json::from_value(a.json).unwrap();
    assert_eq!(updated.job_title.as_deref(), Some("CTO"));
    assert_eq!(updated.updated_at.as_deref(), Some("2023-11-14T22:13:25Z"));
    assert_eq!(updated.name, c.name);
    // The old address is free again, the new one is taken.
    let old = c.email.unwrap();
    new_contact(&s, json!({"name": "Reuse", "email": old})).await;
    let dup = s
        .call(
            "POST",
            "/api/v2/contacts",
            Some(json!({"name": "X", "email": "new@example.test"})),
        )
        .await;
    assert_eq!(
        (
            dup.status,
            dup.json["errors"][0]["additional_info"]["user_id"].as_i64()
        ),
        (409, Some(c.id))
    );
}

#[tokio::test]
async fn contact_writes_refuse_bad_bodies_and_unknown_or_locked_contacts() {
    let s = start().await;
    let c = s.customer();
    let other = s.emu.contacts()[1].clone();
    let deleted = new_contact(&s, json!({"name": "Del", "email": "del@example.test"})).await;
    s.call("DELETE", &format!("/api/v2/contacts/{}", deleted.id), None)
        .await;
    let blocked = new_contact(&s, json!({"name": "Blk", "email": "blk@example.test"})).await;
    s.emu.block_contact_as_someone(blocked.id);
    let one = |id: i64| format!("/api/v2/contacts/{id}");
    let missing_params =
        "Your update call does not have any parameter. Atleast one parameter is required.";
    #[rustfmt::skip]
    let cases: Vec<Refusal> = vec![
        ("PUT", one(c.id), Some(json!({"nick": "x"})), 400, "nick", UNEXPECTED),
        ("PUT", one(c.id), Some(json!({"name": ""})), 400, "name", "It should not be blank as this is a mandatory field"),
        ("PUT", one(c.id), Some(json!({"email": "nope"})), 400, "email", "It should be in the 'valid email address' format"),
        ("PUT", one(c.id), Some(json!({"tags": "a"})), 400, "tags", "Value set is of type String.It should be a/an Array"),
        ("PUT", one(c.id), Some(json!({"active": false})), 400, "active", "It should be one of these values: 'true'"),
        ("PUT", one(c.id), Some(json!({"email": other.email})), 409, "email", "It should be a unique value"),
        ("PUT", one(c.id), Some(json!({})), 400, "", missing_params),
        ("PUT", one(c.id), Some(json!({"job_title": 5})), 400, "job_title", "Value set is of type Integer.It should be a/an String"),
        ("POST", "/api/v2/contacts".into(), Some(json!({"name": "n", "email": "e@example.test", "x": 1})), 400, "x", UNEXPECTED),
        ("PUT", one(deleted.id), Some(json!({"name": "n"})), 405, "", "PUT method is not allowed. It should be one of these method(s): GET"),
        ("PUT", one(blocked.id), Some(json!({"name": "n"})), 405, "", "PUT method is not allowed. It should be one of these method(s): GET"),
        ("DELETE", one(deleted.id), None, 405, "", "DELETE method is not allowed. It should be one of these method(s): GET"),
        ("DELETE", one(blocked.id), None, 405, "", "DELETE method is not allowed. It should be one of these method(s): GET"),
        ("GET", one(99), None, 404, "", ""),
        ("PUT", one(99), Some(json!({"name": "n"})), 404, "", ""),
        ("DELETE", one(99), None, 404, "", ""),
        ("PUT", format!("{}/restore", one(c.id)), None, 404, "", ""),
        ("DELETE", format!("{}/hard_delete?force=yes", one(c.id)), None, 400, "force", "It should be one of these values: 'true,false'"),
        ("GET", format!("{}?x=1", one(c.id)), None, 400, "x", UNEXPECTED),
    ];
    expect_refusals(&s, cases).await;
    for (method, path) in [
        ("PUT", one(c.id)),
        ("DELETE", one(c.id)),
        ("GET", "/api/v2/contacts".into()),
    ] {
        s.assert_needs_auth(method, &path).await;
    }
    assert_eq!(s.emu.contacts().iter().find(|x| x.id == c.id).unwrap(), &c);
}

#[tokio::test]
async fn soft_delete_restore_and_hard_delete_follow_freshdesk() {
    let s = start().await;
    let c = s.customer();
    let one = format!("/api/v2/contacts/{}", c.id);
    assert_eq!(s.call("DELETE", &one, None).await.status, 204);
    let shown = s.call("GET", &one, None).await;
    assert_eq!(
        (shown.status, shown.json["deleted"].as_bool()),
        (200, Some(true))
    );
    let restore = s.call("PUT", &format!("{one}/restore"), None).await;
    assert_eq!((restore.status, restore.text.as_str()), (204, ""));
    assert_eq!(s.call("GET", &one, None).await.json.get("deleted"), None);
    // Hard delete: refused (400, empty body) unless soft-deleted or forced.
    let refused = s.call("DELETE", &format!("{one}/hard_delete"), None).await;
    assert_eq!((refused.status, refused.text.as_str()), (400, ""));
    assert_eq!(
        s.call("DELETE", &format!("{one}/hard_delete?force=true"), None)
            .await
            .status,
        204
    );
    assert_eq!(s.call("GET", &one, None).await.status, 404);
    let other = s.emu.contacts()[0].clone();
    let two = format!("/api/v2/contacts/{}", other.id);
    s.call("DELETE", &two, None).await;
    assert_eq!(
        s.call("DELETE", &format!("{two}/hard_delete"), None)
            .await
            .status,
        204
    );
    // Its email can be used again.
    new_contact(&s, json!({"name": "Again", "email": other.email})).await;
}
