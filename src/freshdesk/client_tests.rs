//! The client against a scripted stub server: request shapes, paging, retries and
//! rate limiting. Time is paused, so waits cost nothing and can be measured exactly.

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;

use super::stub::{KEY, Reply, Stub};
use super::{Client, ClientConfig, CreateTicket, Error, Note, Reply as ReplyBody, UpdateTicket};

pub(crate) fn ticket(id: i64) -> serde_json::Value {
    json!({"id": id, "subject": "Printer on fire", "status": 2, "priority": 1,
           "requester_id": 67_000_000_001i64, "responder_id": null, "tags": ["ticketsim"]})
}

fn conversation(id: i64) -> serde_json::Value {
    json!({"id": id, "body": "<p>Hi</p>", "user_id": 67_000_000_002i64, "ticket_id": 7})
}

fn client_with(stub: &Stub, change: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut cfg = stub.config();
    change(&mut cfg);
    Client::new(cfg).unwrap()
}

#[tokio::test(start_paused = true)]
async fn create_ticket_posts_json_with_basic_auth_and_leaves_unset_fields_out() {
    let stub = Stub::start().await;
    stub.push([Reply::json(201, ticket(7)).header("location", "http://x/api/v2/tickets/7")]);
    let body = CreateTicket {
        subject: "Printer on fire".into(),
        description: "<p>Help</p>".into(),
        status: 2,
        priority: 1,
        requester_id: Some(67_000_000_001),
        tags: vec!["ticketsim".into()],
        ..Default::default()
    };
    let created = stub.client().create_ticket(&body).await.unwrap();
    assert_eq!(created.id, 7);

    let seen = &stub.seen()[0];
    assert_eq!(
        (seen.method.as_str(), seen.uri.as_str()),
        ("POST", "/api/v2/tickets")
    );
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:X"))
    );
    assert_eq!(seen.header("authorization"), Some(expected_auth.as_str()));
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("accept"), Some("application/json"));
    assert_eq!(
        seen.json(),
        json!({"subject": "Printer on fire", "description": "<p>Help</p>", "status": 2,
               "priority": 1, "requester_id": 67_000_000_001i64, "tags": ["ticketsim"]})
    );
}

#[tokio::test(start_paused = true)]
async fn update_ticket_puts_only_the_fields_that_are_set() {
    let stub = Stub::start().await;
    stub.push([Reply::json(200, ticket(7))]);
    let body = UpdateTicket {
        status: Some(5),
        ..Default::default()
    };
    stub.client().update_ticket(7, &body).await.unwrap();
    let seen = &stub.seen()[0];
    assert_eq!(
        (seen.method.as_str(), seen.uri.as_str()),
        ("PUT", "/api/v2/tickets/7")
    );
    assert_eq!(seen.json(), json!({"status": 5}));
}

#[tokio::test(start_paused = true)]
async fn replies_and_notes_post_to_the_ticket_with_typed_bodies() {
    let stub = Stub::start().await;
    stub.push([
        Reply::json(201, conversation(1)),
        Reply::json(201, conversation(2)),
    ]);
    let client = stub.client();
    let reply = ReplyBody {
        body: "<p>On it</p>".into(),
        user_id: Some(67_000_000_002),
        from_email: None,
        ..Default::default()
    };
    assert_eq!(client.add_reply(7, &reply).await.unwrap().id, 1);
    let note = Note {
        body: "<p>Still broken</p>".into(),
        private: Some(false),
        incoming: Some(true),
        user_id: Some(67_000_000_001),
        ..Default::default()
    };
    assert_eq!(client.add_note(7, &note).await.unwrap().id, 2);

    let seen = stub.seen();
    assert_eq!(seen[0].uri, "/api/v2/tickets/7/reply");
    assert_eq!(
        seen[0].json(),
        json!({"body": "<p>On it</p>", "user_id": 67_000_000_002i64})
    );
    assert_eq!(seen[1].uri, "/api/v2/tickets/7/notes");
    assert_eq!(
        seen[1].json(),
        json!({"body": "<p>Still broken</p>", "private": false, "incoming": true,
               "user_id": 67_000_000_001i64})
    );
}

#[tokio::test(start_paused = true)]
async fn list_contacts_follows_link_headers_until_there_is_none() {
    let stub = Stub::start().await;
    let contact = |id: i64| json!({"id": id, "name": format!("C{id}"), "email": null});
    let link = |page: u32| {
        format!(
            r#"<{}/api/v2/contacts?per_page=100&page={page}>; rel="next""#,
            stub.url()
        )
    };
    stub.push([
        Reply::json(200, json!([contact(1), contact(2)])).header("link", link(2)),
        Reply::json(200, json!([contact(3)])).header("link", link(3)),
        Reply::json(200, json!([contact(4)])),
    ]);
    let contacts = stub.client().list_contacts().await.unwrap();
    let ids: Vec<i64> = contacts.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    let uris: Vec<String> = stub.seen().into_iter().map(|s| s.uri).collect();
    assert_eq!(
        uris,
        vec![
            "/api/v2/contacts?per_page=100",
            "/api/v2/contacts?per_page=100&page=2",
            "/api/v2/contacts?per_page=100&page=3"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_link_to_another_host_is_followed_on_the_configured_host_only() {
    let stub = Stub::start().await;
    stub.push([
        Reply::json(200, json!([])).header(
            "link",
            r#"<https://evil.example/api/v2/agents?per_page=100&page=2>; rel="next""#,
        ),
        Reply::json(200, json!([])),
    ]);
    stub.client().list_agents().await.unwrap();
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].uri, "/api/v2/agents?per_page=100&page=2");
}

#[tokio::test(start_paused = true)]
async fn reads_use_their_documented_paths_and_queries() {
    let stub = Stub::start().await;
    let agent =
        json!({"id": 67_000_000_002i64, "contact": {"name": "Ada", "email": "a@example.com"}});
    stub.push([
        Reply::json(200, json!([ticket(9), ticket(8)])),
        Reply::json(200, json!([conversation(1)])),
        Reply::json(200, agent),
        Reply::json(200, ticket(7)),
    ]);
    let client = stub.client();
    assert_eq!(
        client
            .list_requester_tickets(67_000_000_001)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(client.list_conversations(7).await.unwrap().len(), 1);
    assert_eq!(client.me().await.unwrap().contact.name, "Ada");
    assert_eq!(client.get_ticket(7).await.unwrap().id, 7);
    let uris: Vec<String> = stub.seen().into_iter().map(|s| s.uri).collect();
    assert_eq!(
        uris,
        vec![
            "/api/v2/tickets?requester_id=67000000001&order_by=created_at&order_type=desc&per_page=100",
            "/api/v2/tickets/7/conversations?per_page=100",
            "/api/v2/agents/me",
            "/api/v2/tickets/7",
        ]
    );
    assert!(
        stub.seen()
            .iter()
            .all(|s| s.method == "GET" && s.body.is_empty())
    );
}

#[tokio::test(start_paused = true)]
async fn the_last_rate_limit_headers_are_remembered() {
    let stub = Stub::start().await;
    stub.push([Reply::json(200, ticket(7))
        .header("x-ratelimit-total", "50")
        .header("x-ratelimit-remaining", "49")
        .header("x-ratelimit-used-currentrequest", "1")]);
    let client = stub.client();
    assert_eq!(client.last_rate_headers(), None);
    client.get_ticket(7).await.unwrap();
    assert_eq!(client.clone().last_rate_headers(), Some((50, 49)));
}

#[tokio::test(start_paused = true)]
async fn a_429_is_waited_out_and_the_post_is_not_resent_before_retry_after() {
    let stub = Stub::start().await;
    let limited = Reply::json(
        429,
        json!({"message": "You have exceeded the limit of requests per hour"}),
    )
    .header("retry-after", "3");
    stub.push([limited, Reply::json(201, conversation(5))]);
    // A 429 is not a failed attempt: even one attempt is enough.
    let client = client_with(&stub, |c| c.max_attempts = 1);
    let note = Note {
        body: "x".into(),
        ..Default::default()
    };
    assert_eq!(client.add_note(7, &note).await.unwrap().id, 5);
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    // Retry-After 3 s plus the 1 s margin.
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(4));
    assert!(seen[1].at - seen[0].at < Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_429_pause_holds_the_other_requests_of_the_process() {
    let stub = Stub::start().await;
    let limited = Reply::new(429, "{}").header("retry-after", "5");
    stub.push([
        limited,
        Reply::json(200, ticket(7)),
        Reply::json(200, ticket(7)),
    ]);
    let client = stub.client();
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.get_ticket(7).await })
    };
    while stub.seen().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    client.get_ticket(8).await.unwrap();
    first.await.unwrap().unwrap();
    let seen = stub.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .skip(1)
            .all(|s| s.at - seen[0].at >= Duration::from_secs(6))
    );
}

#[tokio::test(start_paused = true)]
async fn a_5xx_on_get_and_put_is_retried_until_it_succeeds() {
    let stub = Stub::start().await;
    let oops = || Reply::new(500, r#"{"code":"internal_error","message":"We're sorry"}"#);
    stub.push([
        oops(),
        Reply::new(503, "<html>maintenance</html>"),
        Reply::json(200, ticket(7)),
    ]);
    stub.push([oops(), Reply::json(200, ticket(7))]);
    let client = stub.client();
    client.get_ticket(7).await.unwrap();
    let update = UpdateTicket {
        priority: Some(3),
        ..Default::default()
    };
    client.update_ticket(7, &update).await.unwrap();
    let methods: Vec<String> = stub.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(methods, ["GET", "GET", "GET", "PUT", "PUT"]);
}

#[tokio::test(start_paused = true)]
async fn a_get_gives_up_after_max_attempts() {
    let stub = Stub::start().await;
    stub.push((0..5).map(|_| Reply::new(503, "")));
    let client = client_with(&stub, |c| c.max_attempts = 3);
    let err = client.get_ticket(7).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 503 }));
    assert_eq!(stub.seen().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_5xx_on_post_is_returned_as_uncertain_and_not_sent_again() {
    let stub = Stub::start().await;
    stub.push([
        Reply::new(502, "<html>bad gateway</html>"),
        Reply::json(201, ticket(7)),
    ]);
    let body = CreateTicket {
        subject: "s".into(),
        ..Default::default()
    };
    let err = stub.client().create_ticket(&body).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 502 }));
    assert!(err.outcome_uncertain() && err.is_transient());
    assert_eq!(stub.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_success_body_on_post_is_uncertain_and_not_sent_again() {
    let stub = Stub::start().await;
    stub.push([
        Reply::new(201, "<html>ok</html>"),
        Reply::json(201, conversation(1)),
    ]);
    let reply = ReplyBody {
        body: "b".into(),
        ..Default::default()
    };
    let err = stub.client().add_reply(7, &reply).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert!(err.outcome_uncertain());
    assert_eq!(stub.seen().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn requests_of_one_client_are_spread_by_the_budget() {
    let stub = Stub::start().await;
    stub.push((0..12).map(|_| Reply::json(200, ticket(7))));
    let client = client_with(&stub, |c| c.rate_per_min = 60);
    for _ in 0..12 {
        client.clone().get_ticket(7).await.unwrap();
    }
    let seen = stub.seen();
    let burst = seen
        .iter()
        .filter(|s| s.at - seen[0].at < Duration::from_millis(100))
        .count();
    assert!(burst <= 5, "burst of {burst}");
    for pair in seen[burst - 1..].windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_secs(1));
    }
}

#[test]
fn client_calls_can_be_spawned_on_any_runtime_thread() {
    fn is_send<T: Send>(_: &T) {}
    let cfg = ClientConfig::new("https://acme.freshdesk.com", super::ApiKey::new("k"));
    let client = Client::new(cfg).unwrap();
    let (create, update) = (CreateTicket::default(), UpdateTicket::default());
    is_send(&client.create_ticket(&create));
    is_send(&client.update_ticket(1, &update));
    is_send(&client.list_contacts());
    is_send(&client.list_requester_tickets(1));
    is_send(&client.add_note(1, &super::Note::private("n")));
    is_send(&client.add_reply(1, &super::Reply::default()));
    is_send(&client.list_tickets(&super::TicketQuery::default()));
    is_send(&client.search_tickets(&super::SearchQuery::is("status", 2)));
    is_send(&client.bulk_update_tickets(&super::BulkUpdate::default()));
    is_send(&client.create_contact(&super::NewContact::default()));
}
