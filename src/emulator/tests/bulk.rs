//! `POST /tickets/bulk_update` and `GET /jobs/{id}`: the job moves with the
//! clock and reports each ticket.

use serde_json::{Value, json};

use super::start;
use crate::freshdesk::types::{Job, JobRef};

#[tokio::test]
async fn a_bulk_update_runs_as_a_job_that_moves_with_the_clock() {
    let s = start().await;
    for _ in 0..3 {
        s.create_ticket(json!({})).await;
    }
    s.call("DELETE", "/api/v2/tickets/3", None).await;
    let body = json!({"ids": [1, 2, 3, 99], "properties": {"status": 3, "priority": 2}, "reply": {"body": "<p>On it</p>"}});
    let a = s
        .call("POST", "/api/v2/tickets/bulk_update", Some(body))
        .await;
    assert_eq!(a.status, 202, "{}", a.text);
    let job: JobRef = serde_json::from_value(a.json).unwrap();
    assert!(job.job_id.len() == 32 && job.job_id.bytes().all(|b| b.is_ascii_hexdigit()));
    let path = format!("/api/v2/jobs/{}", job.job_id);
    assert_eq!(
        job.href.as_deref(),
        Some(format!("{}{path}", s.base).as_str())
    );
    let status = |v: Value| serde_json::from_value::<Job>(v).unwrap();
    let queued = status(s.call("GET", &path, None).await.json);
    assert_eq!((queued.status.as_str(), queued.data), ("QUEUED", None));
    s.clock.advance(1_000);
    assert_eq!(
        status(s.call("GET", &path, None).await.json).status,
        "IN_PROGRESS"
    );
    assert_eq!(
        s.emu.tickets()[0].status,
        2,
        "nothing applied while the job runs"
    );
    s.clock.advance(1_000);
    let done = status(s.call("GET", &path, None).await.json);
    assert_eq!(done.status, "PARTIAL");
    let data = done.data.unwrap();
    let ok: Vec<(i64, bool)> = data
        .iter()
        .map(|d| (d["id"].as_i64().unwrap(), d["success"] == true))
        .collect();
    assert_eq!(ok, [(1, true), (2, true), (3, false), (99, false)]);
    assert_eq!(
        data[3]["errors"][0]["message"],
        "There is no ticket matching the given id"
    );
    let t = &s.emu.tickets()[1];
    assert_eq!((t.status, t.priority), (3, 2));
    assert_eq!(s.emu.conversations(1).len(), 1, "the reply was sent");
}

#[tokio::test]
async fn a_wrapped_bulk_action_is_accepted_and_finishes_as_success() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let body = json!({"bulk_action": {"ids": [1], "properties": {"tags": ["bulk"]}}});
    let a = s
        .call("POST", "/api/v2/tickets/bulk_update", Some(body))
        .await;
    assert_eq!(a.status, 202, "{}", a.text);
    s.clock.advance(2_000);
    let job = s
        .call(
            "GET",
            &format!("/api/v2/jobs/{}", a.json["job_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(
        job.json,
        json!({"id": a.json["job_id"], "status": "SUCCESS", "data": [{"id": 1, "success": true}]})
    );
    assert_eq!(s.emu.tickets()[0].tags, Some(vec!["bulk".to_owned()]));
}

#[tokio::test]
async fn bulk_update_refusals_name_the_field() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let many: Vec<i64> = (1..=101).collect();
    let unexpected = "Unexpected/invalid field in request";
    #[rustfmt::skip]
    let cases: Vec<(Value, &str, &str, &str)> = vec![
        (json!({"properties": {"status": 3}}), "ids", "It should be a/an Array", "missing_field"),
        (json!({"ids": 1, "properties": {"status": 3}}), "ids", "Value set is of type Integer.It should be a/an Array", "datatype_mismatch"),
        (json!({"ids": ["1"], "properties": {"status": 3}}), "ids", "It should contain elements of type Positive Integer only", "datatype_mismatch"),
        (json!({"ids": many, "properties": {"status": 3}}), "ids", "Has 101 elements, it can have maximum of 100 elements", "invalid_value"),
        (json!({"ids": [], "properties": {"status": 3}}), "ids", "It should not be blank as this is a mandatory field", "invalid_value"),
        (json!({"ids": [1]}), "properties", "Please fill at least 1 of properties, reply fields", "missing_field"),
        (json!({"ids": [1], "properties": {"status": 3}, "x": 1}), "x", unexpected, "invalid_field"),
        (json!({"ids": [1], "properties": {"cc_emails": []}}), "cc_emails", unexpected, "invalid_field"),
        (json!({"ids": [1], "properties": {"attachments": []}}), "attachments", unexpected, "invalid_field"),
        (json!({"ids": [1], "properties": {"status": "3"}}), "status", "Value set is of type String.It should be one of these values: '2,3,4,5,6,7'", "datatype_mismatch"),
        (json!({"ids": [1], "reply": {}}), "body", "It should be a/an String", "missing_field"),
        (json!({"ids": [1], "reply": {"body": "b", "from_email": "x@example.org"}}), "reply.from_email", "There is no active email_config matching the given from_email", "invalid_value"),
    ];
    for (body, field, message, code) in cases {
        let a = s
            .call("POST", "/api/v2/tickets/bulk_update", Some(body.clone()))
            .await;
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        let e = &a.json["errors"][0];
        assert_eq!(
            (
                e["field"].as_str(),
                e["message"].as_str(),
                e["code"].as_str()
            ),
            (Some(field), Some(message), Some(code)),
            "{body}"
        );
    }
    let unknown = s
        .call("GET", "/api/v2/jobs/0123456789abcdef0123456789abcdef", None)
        .await;
    assert_eq!((unknown.status, unknown.text.as_str()), (404, ""));
    s.assert_needs_auth("POST", "/api/v2/tickets/bulk_update")
        .await;
    s.assert_needs_auth("GET", "/api/v2/jobs/x").await;
}
