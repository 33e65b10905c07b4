//! Strict validation: every documented way a request is refused.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Server, header, only_error, start, status_json};

/// A valid create body with `change` applied (`null` removes a key).
fn ticket_body(s: &Server, change: Value) -> Value {
    let mut body = json!({
        "subject": "s", "description": "d", "status": 2, "priority": 1,
        "requester_id": s.customer().id,
    });
    for (k, v) in change.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

const STATUSES: &str = "It should be one of these values: '2,3,4,5,6,7'";
const PRIORITIES: &str = "It should be one of these values: '1,2,3,4'";

/// `(change to a valid body, field, message, code)`.
#[rustfmt::skip]
fn create_cases() -> Vec<(Value, &'static str, String, &'static str)> {
    let m = |s: &str| s.to_owned();
    vec![
        (json!({"foo": 1}), "foo", m("Unexpected/invalid field in request"), "invalid_field"),
        (json!({"status": "2"}), "status", format!("Value set is of type String.{STATUSES}"), "datatype_mismatch"),
        (json!({"status": 9}), "status", m(STATUSES), "invalid_value"),
        (json!({"status": null}), "status", m(STATUSES), "missing_field"),
        (json!({"priority": null}), "priority", m(PRIORITIES), "missing_field"),
        (json!({"priority": 1.5}), "priority", format!("Value set is of type Float.{PRIORITIES}"), "datatype_mismatch"),
        (json!({"subject": null}), "subject", m("It should be a/an String"), "missing_field"),
        (json!({"description": null}), "description", m("It should be a/an String"), "missing_field"),
        (json!({"subject": 5}), "subject", m("Value set is of type Integer.It should be a/an String"), "datatype_mismatch"),
        (json!({"subject": "  "}), "subject", m("It should not be blank as this is a mandatory field"), "invalid_value"),
        (json!({"subject": "x".repeat(256)}), "subject", m("Has 256 characters, it can have maximum of 255 characters"), "invalid_value"),
        (json!({"requester_id": null}), "requester_id", m("Please fill at least 1 of requester_id, phone, email, twitter_id, facebook_id fields"), "missing_field"),
        (json!({"requester_id": 123}), "requester_id", m("There is no contact matching the given requester_id"), "invalid_value"),
        (json!({"requester_id": "1"}), "requester_id", m("Value set is of type String.It should be a/an Positive Integer"), "datatype_mismatch"),
        (json!({"responder_id": 123}), "responder_id", m("There is no agent matching the given responder_id"), "invalid_value"),
        (json!({"responder_id": -4}), "responder_id", m("It should be a/an Positive Integer"), "datatype_mismatch"),
        (json!({"group_id": 123}), "group_id", m("There is no group matching the given group_id"), "invalid_value"),
        (json!({"source": 10}), "source", m("It should be one of these values: '1,2,3,5,6,7,8,9,11'"), "invalid_value"),
        (json!({"tags": "a"}), "tags", m("Value set is of type String.It should be a/an Array"), "datatype_mismatch"),
        (json!({"tags": [1]}), "tags", m("It should contain elements of type String only"), "datatype_mismatch"),
        (json!({"tags": ["x".repeat(33)]}), "tags", m("It should only contain elements that have maximum of 32 characters"), "invalid_value"),
        (json!({"tags": ["a,b"]}), "tags", m("It should not contain elements that have commas"), "invalid_value"),
        (json!({"type": "Rant"}), "type", m("It should be one of these values: 'Question,Incident,Problem,Feature Request,Refund'"), "invalid_value"),
        (json!({"email": "nope", "requester_id": null}), "email", m("It should be in the 'valid email address' format"), "invalid_value"),
        (json!({"phone": "555", "requester_id": null}), "name", m("It should not be blank if phone is only given"), "missing_field"),
        (json!({"custom_fields": {"cf_x": 1}}), "custom_fields.cf_x", m("Unexpected/invalid field in request"), "invalid_field"),
        (json!({"company_id": 5}), "company_id", m("Cannot be set, due to insufficient permissions."), "inaccessible_field"),
    ]
}

#[tokio::test]
async fn ticket_create_errors_name_the_field_code_and_documented_message() {
    let s = start().await;
    for (change, field, message, code) in create_cases() {
        let body = ticket_body(&s, change.clone());
        let (status, body) = status_json(s.post("/api/v2/tickets", body).await).await;
        assert_eq!(status, 400, "{change}: {body}");
        let want = (field.to_owned(), message, code.to_owned());
        assert_eq!(only_error(&body), want, "{change}");
    }
    assert!(s.emu.tickets().is_empty());
}

#[tokio::test]
async fn all_field_errors_come_back_together() {
    let s = start().await;
    let (status, body) = status_json(s.post("/api/v2/tickets", json!({})).await).await;
    assert_eq!(status, 400);
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "description",
            "priority",
            "requester_id",
            "status",
            "subject"
        ]
    );
}

#[tokio::test]
async fn request_level_errors_use_the_code_and_message_shape() {
    let s = start().await;
    let bad_json = "Request body has invalid json format";
    #[rustfmt::skip]
    let cases = [
        ("application/json", "{\"subject\":", None, 400, "invalid_json", bad_json.to_owned()),
        ("application/json", "[1]", None, 400, "invalid_json", bad_json.to_owned()),
        ("text/plain", "{}", None, 415, "invalid_content_type",
         "Content-Type header is set to text/plain. It should be set to application/json".to_owned()),
        ("application/json", "{}", Some("text/html"), 406, "invalid_accept_header",
         "Accept header is set to text/html. It should have application/json or */*".to_owned()),
    ];
    for (ct, body, accept, status, code, message) in cases {
        let mut req = s
            .req(Method::POST, "/api/v2/tickets")
            .header("content-type", ct)
            .body(body);
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let (got, resp) = status_json(req.send().await.unwrap()).await;
        assert_eq!(got, status, "{resp}");
        assert_eq!(resp, json!({"code": code, "message": message}));
    }
}

#[tokio::test]
async fn an_empty_update_is_missing_params() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let (status, body) = status_json(s.put("/api/v2/tickets/1", json!({})).await).await;
    assert_eq!(status, 400);
    let msg = "Your update call does not have any parameter. Atleast one parameter is required.";
    assert_eq!(body, json!({"code": "missing_params", "message": msg}));
    let bare = s
        .req(Method::PUT, "/api/v2/tickets/1")
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 400);
}

#[tokio::test]
async fn updates_refuse_cc_emails_and_bad_values() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let cases = [
        (
            json!({"cc_emails": ["a@example.com"]}),
            "cc_emails",
            "invalid_field",
        ),
        (json!({"status": "4"}), "status", "datatype_mismatch"),
        (json!({"responder_id": 5}), "responder_id", "invalid_value"),
        (
            json!({"skip_close_notification": true}),
            "skip_close_notification",
            "incompatible_field",
        ),
    ];
    for (body, field, code) in cases {
        let (status, resp) = status_json(s.put("/api/v2/tickets/1", body.clone()).await).await;
        assert_eq!(status, 400, "{body}");
        let (f, _, c) = only_error(&resp);
        assert_eq!((f.as_str(), c.as_str()), (field, code), "{body}");
    }
    let ok = s
        .put(
            "/api/v2/tickets/1",
            json!({"responder_id": null, "status": 4}),
        )
        .await;
    assert_eq!(ok.status(), 200);
}

/// `(path, field, message, code)`.
#[rustfmt::skip]
const QUERY_CASES: &[(&str, &str, &str, &str)] = &[
    ("/api/v2/tickets?foo=1", "foo", "Unexpected/invalid field in request", "invalid_field"),
    ("/api/v2/tickets/1?page=2", "page", "Unexpected/invalid field in request", "invalid_field"),
    ("/api/v2/contacts?per_page=101", "per_page", "It should be a Positive Integer less than or equal to 100", "invalid_value"),
    ("/api/v2/agents?per_page=0", "per_page", "It should be a Positive Integer less than or equal to 100", "invalid_value"),
    ("/api/v2/tickets?page=301", "page", "You cannot access tickets beyond the 300th page. Please provide a smaller page number.", "invalid_value"),
    ("/api/v2/tickets/1?include=everything", "include", "It should be one of these values: 'conversations, requester, company, stats, sla_policy'", "invalid_value"),
    ("/api/v2/tickets?include=conversations", "include", "It should be one of these values: 'requester, stats, company, description'", "invalid_value"),
    ("/api/v2/tickets?email=nobody@example.test", "email", "There is no contact matching the given email", "invalid_value"),
    ("/api/v2/tickets?updated_since=yesterday", "updated_since", "It should be a valid date in the 'combined date and time ISO8601' format", "invalid_value"),
    ("/api/v2/tickets?filter=mine", "filter", "It should be one of these values: 'new_and_my_open,watching,spam,deleted'", "invalid_value"),
];

#[tokio::test]
async fn unknown_query_parameters_and_bad_paging_are_refused() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    for (path, field, message, code) in QUERY_CASES {
        let (status, body) = status_json(s.get(path).await).await;
        assert_eq!(status, 400, "{path}: {body}");
        let want = (field.to_string(), message.to_string(), code.to_string());
        assert_eq!(only_error(&body), want, "{path}");
    }
}

#[tokio::test]
async fn a_wrong_or_missing_key_gives_401_invalid_credentials() {
    let s = start().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v2/tickets", s.base);
    let wrong = client
        .get(&url)
        .basic_auth("not-the-key", Some("X"))
        .send()
        .await
        .unwrap();
    let missing = client.get(&url).send().await.unwrap();
    for resp in [wrong, missing] {
        assert_eq!(
            header(&resp, "x-freshdesk-api-version"),
            "latest=v2; requested=v2"
        );
        let (status, body) = status_json(resp).await;
        assert_eq!(status, 401);
        let msg = "You have to be logged in to perform this action.";
        assert_eq!(body, json!({"code": "invalid_credentials", "message": msg}));
    }
}
