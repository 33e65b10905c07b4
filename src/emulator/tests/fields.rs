//! `GET /ticket_fields`, custom fields checked per type and merged key by
//! key, and the required-for-closure rule.

use serde_json::{Value, json};

use super::{Server, start_with};
use crate::emulator::{CustomField, EmulatorConfig};
use crate::freshdesk::types::TicketField;

/// An account with one field of each kind; `cf_reason` is required for closure.
async fn account() -> Server {
    let mut fields: Vec<CustomField> = [
        "cf_reason:dropdown:Bug|Billing",
        "cf_order:number",
        "cf_note:text",
        "cf_vip:checkbox",
        "cf_due:date",
        "cf_amount:decimal",
    ]
    .iter()
    .map(|f| f.parse().unwrap())
    .collect();
    fields[0].required_for_closure = true;
    start_with(EmulatorConfig {
        custom_fields: fields,
        ..EmulatorConfig::default()
    })
    .await
}

#[tokio::test]
async fn ticket_fields_list_defaults_with_choices_then_custom_fields() {
    let s = account().await;
    let a = s.call("GET", "/api/v2/ticket_fields", None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let fields: Vec<TicketField> = serde_json::from_value(a.json.clone()).unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        &names[..10],
        [
            "requester",
            "subject",
            "ticket_type",
            "source",
            "status",
            "priority",
            "group",
            "agent",
            "description",
            "company"
        ]
    );
    let by_name = |n: &str| fields.iter().find(|f| f.name == n).unwrap().clone();
    let status = by_name("status").choices.unwrap();
    assert_eq!(
        status["6"],
        json!(["Waiting on Customer", "Awaiting your Reply"])
    );
    assert_eq!(by_name("priority").choices.unwrap()["Urgent"], 4);
    let groups = by_name("group").choices.unwrap();
    assert_eq!(groups["Billing"], json!(s.emu.lock().world.groups[0].id));
    let agents = by_name("agent").choices.unwrap();
    assert_eq!(agents.as_object().unwrap().len(), 3);
    let reason = by_name("cf_reason");
    assert_eq!(
        (
            reason.field_type.as_deref(),
            reason.required_for_closure,
            reason.default
        ),
        (Some("custom_dropdown"), true, false)
    );
    assert_eq!(reason.choices, Some(json!(["Bug", "Billing"])));
    let one = s
        .call("GET", "/api/v2/ticket_fields?type=default_status", None)
        .await;
    assert_eq!(one.json.as_array().unwrap().len(), 1);
    let bad = s.call("GET", "/api/v2/ticket_fields?type=nope", None).await;
    assert_eq!(
        (bad.status, bad.json["errors"][0]["field"].as_str()),
        (400, Some("type"))
    );
}

#[tokio::test]
async fn custom_fields_are_checked_per_type() {
    let s = account().await;
    let t = s
        .create_ticket(json!({"custom_fields": {"cf_order": 7, "cf_amount": 2.5}}))
        .await;
    let cf = t.custom_fields.unwrap();
    assert_eq!(
        cf,
        json!({"cf_reason": null, "cf_order": 7, "cf_note": null, "cf_vip": null, "cf_due": null, "cf_amount": "2.5"})
    );
    #[rustfmt::skip]
    let cases: Vec<(Value, &str, &str, &str)> = vec![
        (json!({"cf_reason": "Rant"}), "custom_fields.cf_reason", "It should be one of these values: 'Bug,Billing'", "invalid_value"),
        (json!({"cf_order": "7"}), "custom_fields.cf_order", "Value set is of type String.It should be a/an Integer", "datatype_mismatch"),
        (json!({"cf_order": 1.5}), "custom_fields.cf_order", "Value set is of type Float.It should be a/an Integer", "datatype_mismatch"),
        (json!({"cf_note": 5}), "custom_fields.cf_note", "Value set is of type Integer.It should be a/an String", "datatype_mismatch"),
        (json!({"cf_vip": "yes"}), "custom_fields.cf_vip", "Value set is of type String.It should be a/an Boolean", "datatype_mismatch"),
        (json!({"cf_due": "14/11/2023"}), "custom_fields.cf_due", "It should be a valid date in the 'yyyy-mm-dd' format", "invalid_value"),
        (json!({"cf_amount": true}), "custom_fields.cf_amount", "Value set is of type Boolean.It should be a/an Number", "datatype_mismatch"),
        (json!({"cf_other": 1}), "custom_fields.cf_other", "Unexpected/invalid field in request", "invalid_field"),
    ];
    for (custom, field, message, code) in cases {
        for (method, path) in [("PUT", "/api/v2/tickets/1"), ("POST", "/api/v2/tickets")] {
            let mut body = json!({"custom_fields": custom});
            if method == "POST" {
                body = json!({"subject": "s", "description": "d", "status": 2, "priority": 1, "requester_id": s.customer().id, "custom_fields": custom});
            }
            let a = s.call(method, path, Some(body)).await;
            assert_eq!(a.status, 400, "{method} {custom}: {}", a.text);
            let e = &a.json["errors"][0];
            assert_eq!(
                (
                    e["field"].as_str(),
                    e["message"].as_str(),
                    e["code"].as_str()
                ),
                (Some(field), Some(message), Some(code)),
                "{custom}"
            );
        }
    }
}

#[tokio::test]
async fn custom_field_updates_merge_and_closure_needs_the_required_field() {
    let s = account().await;
    s.create_ticket(json!({"custom_fields": {"cf_order": 7}}))
        .await;
    let a = s
        .call(
            "PUT",
            "/api/v2/tickets/1",
            Some(json!({"custom_fields": {"cf_vip": true}})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        (
            a.json["custom_fields"]["cf_order"].as_i64(),
            a.json["custom_fields"]["cf_vip"].as_bool()
        ),
        (Some(7), Some(true))
    );
    let missing = json!({"field": "custom_fields.cf_reason", "message": "It should be one of these values: 'Bug,Billing'", "code": "missing_field"});
    for status in [4, 5] {
        let a = s
            .call("PUT", "/api/v2/tickets/1", Some(json!({"status": status})))
            .await;
        assert_eq!(
            (a.status, &a.json["errors"][0]),
            (400, &missing),
            "{status}"
        );
    }
    let a = s.call("POST", "/api/v2/tickets", Some(json!({"subject": "s", "description": "d", "status": 5, "priority": 1, "requester_id": s.customer().id}))).await;
    assert_eq!((a.status, &a.json["errors"][0]), (400, &missing));
    // Pending needs nothing; closing works once the field is set, in the same call or before.
    assert_eq!(
        s.call("PUT", "/api/v2/tickets/1", Some(json!({"status": 3})))
            .await
            .status,
        200
    );
    let a = s
        .call(
            "PUT",
            "/api/v2/tickets/1",
            Some(json!({"status": 4, "custom_fields": {"cf_reason": "Bug"}})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        s.call("PUT", "/api/v2/tickets/1", Some(json!({"status": 5})))
            .await
            .status,
        200
    );
    // Bulk closing reports the ticket that lacks the field.
    s.create_ticket(json!({})).await;
    let job = s
        .call(
            "POST",
            "/api/v2/tickets/bulk_update",
            Some(json!({"ids": [1, 2], "properties": {"status": 5}})),
        )
        .await;
    s.clock.advance(2_000);
    let done = s
        .call(
            "GET",
            &format!("/api/v2/jobs/{}", job.json["job_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(done.json["status"], "PARTIAL");
    assert_eq!(done.json["data"][1]["errors"][0], missing);
}
