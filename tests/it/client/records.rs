//! Contact updates, time entries and ticket fields with custom fields.

use serde_json::json;
use ticketsim::emulator::{CustomField, EmulatorConfig};
use ticketsim::freshdesk::{
    ContactUpdate, CreateTicket, CustomFieldMap, Error, NewTimeEntry, TimeSpent, UpdateTicket,
};

use super::{Fd, assert_types, new_ticket};
use crate::harness::emulator_config;

#[tokio::test(start_paused = true)]
async fn update_contact_puts_only_the_set_fields_and_reads_a_blocked_contacts_405() {
    let fd = Fd::start().await;
    let client = fd.client();
    let id = fd.contact_ids()[0];
    let body = ContactUpdate {
        job_title: Some("CTO".into()),
        tags: Some(vec!["vip".into()]),
        ..ContactUpdate::default()
    };
    let updated = client.update_contact(id, &body).await.unwrap();
    assert_eq!(updated.job_title.as_deref(), Some("CTO"));
    assert_eq!(fd.last_line().0, "PUT");
    assert_eq!(fd.last_line().1, format!("/api/v2/contacts/{id}"));
    assert_eq!(fd.last_body(), json!({"job_title": "CTO", "tags": ["vip"]}));

    assert!(fd.emulator.block_contact_as_someone(id));
    let err = client.update_contact(id, &body).await.unwrap_err();
    assert!(matches!(err, Error::Http { status: 405, .. }), "{err:?}");
    assert!(
        err.to_string().contains("PUT method is not allowed"),
        "{err}"
    );
    let err = client.update_contact(5, &body).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Contact not found: 5 (it may have been deleted)"
    );
}

#[tokio::test(start_paused = true)]
async fn add_time_entry_posts_hh_mm_billable_note_and_agent() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Work").await;
    let agent = fd.agent_ids()[1];
    let body = NewTimeEntry {
        billable: Some(false),
        note: Some("Replaced the toner".into()),
        agent_id: Some(agent),
        ..NewTimeEntry::spent(TimeSpent::from_minutes(90))
    };
    let entry = client.add_time_entry(t.id, &body).await.unwrap();
    assert_eq!(entry.time_spent.as_deref(), Some("01:30"));
    assert_eq!(
        (entry.agent_id, entry.ticket_id, entry.billable),
        (Some(agent), Some(t.id), false)
    );
    assert!(!entry.timer_running);
    assert_eq!(
        fd.last_line().1,
        format!("/api/v2/tickets/{}/time_entries", t.id)
    );
    assert_types(
        &fd.last_body(),
        &[
            ("time_spent", "s"),
            ("billable", "b"),
            ("note", "s"),
            ("agent_id", "i"),
        ],
    );
    let listed = client.list_time_entries(t.id).await.unwrap();
    assert_eq!(listed.iter().map(|e| e.id).collect::<Vec<_>>(), [entry.id]);

    let err = client.add_time_entry(9999, &body).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Ticket not found: 9999 (it may have been deleted)"
    );
}

#[tokio::test(start_paused = true)]
async fn time_entries_without_the_plan_feature_read_as_forbidden_with_the_reason() {
    let fd = Fd::start_with(EmulatorConfig {
        timesheets: false,
        ..emulator_config()
    })
    .await;
    let client = fd.client();
    let t = fd.ticket(&client, "Work").await;
    let body = NewTimeEntry::spent(TimeSpent::from_minutes(5));
    let err = client.add_time_entry(t.id, &body).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Forbidden (403 require_feature)"),
        "{err}"
    );
    assert!(err.to_string().contains("plan lacks this feature"), "{err}");
}

fn with_plan_field() -> EmulatorConfig {
    let mut plan: CustomField = "cf_plan:dropdown:Free|Pro".parse().unwrap();
    plan.required_for_closure = true;
    EmulatorConfig {
        custom_fields: vec![plan, "cf_order_id:number".parse().unwrap()],
        ..emulator_config()
    }
}

#[tokio::test(start_paused = true)]
async fn ticket_fields_show_custom_fields_choices_and_what_blocks_closure() {
    let fd = Fd::start_with(with_plan_field()).await;
    let client = fd.client();
    let fields = client.list_ticket_fields().await.unwrap();
    assert_eq!(
        fd.last_line(),
        ("GET".into(), "/api/v2/ticket_fields".into(), None)
    );
    let custom: Vec<&str> = fields.custom().map(|f| f.name.as_str()).collect();
    assert_eq!(custom, ["cf_plan", "cf_order_id"]);
    assert_eq!(fields.choices("cf_plan").unwrap(), ["Free", "Pro"]);
    let blocking: Vec<&str> = fields
        .blocking_closure()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(blocking, ["cf_plan"]);

    let map = CustomFieldMap::parse("plan=cf_plan,order_id=cf_order_id").unwrap();
    map.validate(&fields).unwrap();
    let wrong = CustomFieldMap::parse("tier=cf_tier")
        .unwrap()
        .validate(&fields)
        .unwrap_err();
    assert!(
        wrong
            .to_string()
            .contains("cf_tier is not a custom ticket field"),
        "{wrong}"
    );
    let bad = map.values(&fields, &[("plan", json!("Gold"))]).unwrap_err();
    assert!(
        bad.to_string()
            .contains("not one of the choices: Free, Pro"),
        "{bad}"
    );
}

#[tokio::test(start_paused = true)]
async fn mapped_custom_fields_go_on_the_ticket_and_a_missing_one_blocks_the_close() {
    let fd = Fd::start_with(with_plan_field()).await;
    let client = fd.client();
    let fields = client.list_ticket_fields().await.unwrap();
    let map = CustomFieldMap::parse("plan=cf_plan,order_id=cf_order_id").unwrap();
    let bare = fd.ticket(&client, "no plan").await;
    let err = client.change_status(bare.id, 5).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Validation failed: custom_fields.cf_plan — "),
        "{err}"
    );

    let values = map
        .values(&fields, &[("plan", json!("Pro")), ("order_id", json!(42))])
        .unwrap();
    let body = CreateTicket {
        custom_fields: Some(values),
        ..new_ticket(fd.contact_ids()[0], "with plan")
    };
    let t = client.create_ticket(&body).await.unwrap();
    assert_eq!(t.custom_fields.as_ref().unwrap()["cf_plan"], "Pro");
    assert_types(
        &fd.last_body()["custom_fields"],
        &[("cf_plan", "s"), ("cf_order_id", "i")],
    );
    let closed = client
        .update_ticket(
            t.id,
            &UpdateTicket {
                status: Some(5),
                ..UpdateTicket::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(closed.status, 5);
}
