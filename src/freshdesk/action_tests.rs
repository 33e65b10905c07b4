//! What the emulator cannot show for the newer actions, against the stub: exact
//! query encoding, the 10-page search limit, a bulk update retried after a 5xx
//! (or not, with a reply), the older immediate bulk answer, job polling pauses,
//! and the ticket fields of the real fixture. The emulator tests for every
//! action are in `tests/it/client/`.

use std::time::Duration;

use serde_json::json;

use super::client_tests::ticket;
use super::stub::{Reply, Stub};
use super::{BulkReply, BulkUpdate, SearchQuery, TimeSpent, UpdateTicket};

fn contact(id: i64) -> serde_json::Value {
    json!({"id": id, "name": "Ada", "email": "ada@example.com", "active": true})
}

#[test]
fn time_spent_is_checked_before_anything_is_sent() {
    assert_eq!(TimeSpent::from_minutes(90).as_str(), "01:30");
    assert_eq!(TimeSpent::from_minutes(5).as_str(), "00:05");
    assert_eq!(TimeSpent::parse("12:05").unwrap().as_str(), "12:05");
    for bad in ["1:60", "90", "01:5", "a:30", ":30", "01:30:00", "-1:30"] {
        let err = TimeSpent::parse(bad).unwrap_err();
        assert!(err.to_string().contains("hh:mm"), "{bad}: {err}");
    }
}

#[tokio::test(start_paused = true)]
async fn search_tickets_sends_a_quoted_query_and_reads_pages_of_thirty_until_a_short_one() {
    let stub = Stub::start().await;
    let page = |from: i64, n: i64| json!({"total": 65, "results": (from..from + n).map(ticket).collect::<Vec<_>>()});
    stub.push([
        Reply::json(200, page(1, 30)),
        Reply::json(200, page(31, 30)),
        Reply::json(200, page(61, 5)),
    ]);
    let query = SearchQuery::is("tag", "ticketsim").and(SearchQuery::any_of("status", [2, 3]));
    let found = stub.client().search_tickets(&query).await.unwrap();
    assert_eq!((found.total, found.results.len()), (65, 65));
    let uris: Vec<String> = stub.seen().into_iter().map(|s| s.uri).collect();
    let q = "query=%22tag%3A%27ticketsim%27+AND+%28status%3A2+OR+status%3A3%29%22";
    assert_eq!(
        uris,
        [1, 2, 3].map(|p| format!("/api/v2/search/tickets?{q}&page={p}"))
    );
}

#[tokio::test(start_paused = true)]
async fn search_stops_at_page_ten_and_contacts_use_their_own_path() {
    let stub = Stub::start().await;
    let full = |n: i64| json!({"total": 1000, "results": (0..30).map(|i| contact(n * 100 + i)).collect::<Vec<_>>()});
    stub.push((1..=11).map(|n| Reply::json(200, full(n))));
    let found = stub
        .client()
        .search_contacts(&SearchQuery::is("active", true))
        .await
        .unwrap();
    assert_eq!((found.total, found.results.len()), (1000, 300));
    let seen = stub.seen();
    assert_eq!(seen.len(), 10);
    assert!(
        seen[9]
            .uri
            .starts_with("/api/v2/search/contacts?query=%22active%3Atrue%22&page=10")
    );
}

#[tokio::test(start_paused = true)]
async fn an_invalid_query_is_refused_before_sending_and_a_server_refusal_is_readable() {
    let stub = Stub::start().await;
    let long = SearchQuery::is("tag", "x".repeat(600).as_str());
    let err = stub.client().search_tickets(&long).await.unwrap_err();
    assert!(err.to_string().contains("at most 512"), "{err}");
    assert!(stub.seen().is_empty());
    let invalid = json!({"description": "Validation failed", "errors": [{"field": "query",
        "message": "Given query is invalid", "code": "invalid_value"}]});
    stub.push([Reply::json(400, invalid)]);
    let err = stub
        .client()
        .search_tickets(&SearchQuery::is("subject", "x"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Validation failed: query — Given query is invalid"
    );
}

fn bulk(reply: bool) -> BulkUpdate {
    BulkUpdate {
        ids: vec![1, 2, 3],
        properties: UpdateTicket {
            status: Some(4),
            ..UpdateTicket::default()
        },
        reply: reply.then(|| BulkReply {
            body: "Fixed".into(),
            from_email: None,
        }),
    }
}

#[tokio::test(start_paused = true)]
async fn bulk_update_polls_its_job_with_growing_pauses_until_it_finishes() {
    let stub = Stub::start().await;
    let job = "8a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let state = |s: &str| Reply::json(200, json!({"id": job, "status": s}));
    stub.push([
        Reply::new(503, ""),
        Reply::json(
            202,
            json!({"job_id": job, "href": format!("https://x/api/v2/jobs/{job}")}),
        ),
        state("QUEUED"),
        state("IN_PROGRESS"),
        Reply::json(
            200,
            json!({"id": job, "status": "PARTIAL", "data": [
            {"id": 1, "success": true}, {"id": 2, "success": false, "errors": ["closed"]}]}),
        ),
    ]);
    let outcome = stub
        .client()
        .bulk_update_tickets(&bulk(false))
        .await
        .unwrap();
    assert_eq!(
        (outcome.status.as_str(), outcome.items.len()),
        ("PARTIAL", 2)
    );
    assert_eq!(outcome.items[1].success, Some(false));
    let seen = stub.seen();
    assert_eq!(
        seen[1].json(),
        json!({"ids": [1, 2, 3], "properties": {"status": 4}})
    );
    assert_eq!(
        seen[0].uri, "/api/v2/tickets/bulk_update",
        "a properties-only bulk update is repeated"
    );
    assert!(
        seen[2..]
            .iter()
            .all(|s| s.uri == format!("/api/v2/jobs/{job}"))
    );
    assert!(seen[3].at - seen[2].at >= Duration::from_secs(1));
    assert!(seen[4].at - seen[3].at >= Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_bulk_reply_is_sent_once_and_bad_id_counts_are_refused() {
    let stub = Stub::start().await;
    stub.push([Reply::new(502, "<html>bad gateway</html>")]);
    let err = stub
        .client()
        .bulk_update_tickets(&bulk(true))
        .await
        .unwrap_err();
    assert!(err.outcome_uncertain());
    assert_eq!(stub.seen().len(), 1);
    let too_many = BulkUpdate {
        ids: (1..=101).collect(),
        ..bulk(false)
    };
    let err = stub
        .client()
        .bulk_update_tickets(&too_many)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("1 to 100 ticket ids, got 101"),
        "{err}"
    );
    stub.push([Reply::new(404, "")]);
    let err = stub.client().job("abc123").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Job not found: abc123 (jobs are kept for one day)"
    );
}

#[tokio::test(start_paused = true)]
async fn the_older_immediate_bulk_answer_needs_no_polling() {
    let stub = Stub::start().await;
    stub.push([Reply::json(
        202,
        json!({"succeeded": [1, 2], "failed": [{"id": 3, "errors": []}]}),
    )]);
    let outcome = stub
        .client()
        .bulk_update_tickets(&bulk(false))
        .await
        .unwrap();
    assert_eq!((outcome.status.as_str(), outcome.job_id), ("PARTIAL", None));
    let ids: Vec<Option<i64>> = outcome.items.iter().map(|i| i.id).collect();
    assert_eq!(ids, [Some(1), Some(2), Some(3)]);
    assert_eq!(stub.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn list_ticket_fields_reads_custom_fields_choices_and_closure_requirements() {
    let stub = Stub::start().await;
    let mut fields: Vec<serde_json::Value> = serde_json::from_str(include_str!(
        "../../tests/fixtures/freshdesk/ticket_fields.json"
    ))
    .unwrap();
    fields.push(json!({"id": 67_000_000_100i64, "name": "cf_plan", "label": "Plan", "type": "custom_dropdown",
        "default": false, "required_for_closure": true, "choices": ["Free", "Pro"]}));
    stub.push([Reply::json(200, json!(fields))]);
    let fields = stub.client().list_ticket_fields().await.unwrap();
    assert_eq!(stub.seen()[0].uri, "/api/v2/ticket_fields");
    assert_eq!(
        fields.custom().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["cf_plan"]
    );
    assert_eq!(fields.choices("cf_plan").unwrap(), ["Free", "Pro"]);
    assert!(
        fields
            .choices("priority")
            .unwrap()
            .contains(&"Urgent".to_string())
    );
    let blocking: Vec<&str> = fields
        .blocking_closure()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(blocking, ["cf_plan"]);
}
