//! `GET /tickets`: the 30-day default, hidden deleted tickets, filters,
//! ordering and pages.

use serde_json::{Value, json};

use super::{Server, header, start};

const DAY_MS: i64 = 86_400_000;

async fn ids(s: &Server, path: &str) -> Vec<i64> {
    let resp = s.get(path).await;
    assert_eq!(resp.status(), 200, "{path}");
    let items: Vec<Value> = resp.json().await.unwrap();
    items.iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn without_filters_only_tickets_from_the_last_month_are_listed() {
    let s = start().await;
    s.create_ticket(json!({})).await; // created at T0
    s.clock.advance(40 * DAY_MS);
    s.create_ticket(json!({})).await;
    assert_eq!(ids(&s, "/api/v2/tickets").await, [2]);
    // order_by and include do not lift the window ...
    assert_eq!(
        ids(&s, "/api/v2/tickets?order_by=updated_at&include=stats").await,
        [2]
    );
    // ... a requester filter does.
    let requester = s.customer().id;
    assert_eq!(
        ids(&s, &format!("/api/v2/tickets?requester_id={requester}")).await,
        [2, 1]
    );
    let email = s.customer().email.unwrap();
    assert_eq!(
        ids(&s, &format!("/api/v2/tickets?email={email}")).await,
        [2, 1]
    );
    assert_eq!(
        ids(&s, "/api/v2/tickets?updated_since=2023-01-01T00:00:00Z").await,
        [2, 1]
    );
}

#[tokio::test]
async fn updated_since_is_inclusive_and_ordering_can_be_ascending() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    s.clock.advance(60_000);
    s.create_ticket(json!({})).await;
    s.clock.advance(60_000);
    s.put("/api/v2/tickets/1", json!({"priority": 4})).await; // updated at T0 + 2 min
    let since = "/api/v2/tickets?updated_since=2023-11-14T22:14:20Z";
    assert_eq!(ids(&s, since).await, [2, 1]);
    let asc =
        "/api/v2/tickets?updated_since=2023-11-14T22:14:20Z&order_by=updated_at&order_type=asc";
    assert_eq!(ids(&s, asc).await, [2, 1]);
    let by_priority = "/api/v2/tickets?order_by=priority&order_type=desc";
    assert_eq!(ids(&s, by_priority).await, [1, 2]);
    assert_eq!(
        ids(&s, "/api/v2/tickets?updated_since=2023-11-14T22:15:21Z").await,
        Vec::<i64>::new()
    );
}

#[tokio::test]
async fn deleted_tickets_appear_only_under_filter_deleted() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    s.create_ticket(json!({})).await;
    s.delete("/api/v2/tickets/1").await;
    assert_eq!(ids(&s, "/api/v2/tickets").await, [2]);
    assert_eq!(ids(&s, "/api/v2/tickets?filter=deleted").await, [1]);
    assert_eq!(ids(&s, "/api/v2/tickets?filter=new_and_my_open").await, [2]);
}

#[tokio::test]
async fn list_items_lack_the_description_unless_included() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let plain: Vec<Value> = s.get("/api/v2/tickets").await.json().await.unwrap();
    assert!(plain[0].get("description").is_none());
    let resp = s.get("/api/v2/tickets?include=description,requester").await;
    assert_eq!(header(&resp, "x-ratelimit-used-currentrequest"), "5");
    let with: Vec<Value> = resp.json().await.unwrap();
    assert!(with[0]["description"].is_string());
    assert_eq!(with[0]["requester"]["id"], s.customer().id);
}

#[tokio::test]
async fn ticket_pages_link_to_the_next_page_with_every_original_parameter() {
    let s = start().await;
    for _ in 0..3 {
        s.create_ticket(json!({})).await;
    }
    let resp = s
        .get("/api/v2/tickets?per_page=2&page=1&updated_since=2023-01-01T00%3A00%3A00Z")
        .await;
    let host = s.base.trim_start_matches("http://");
    let want = format!(
        "<http://{host}/api/v2/tickets?per_page=2&updated_since=2023-01-01T00%3A00%3A00Z&page=2>; rel=\"next\""
    );
    assert_eq!(header(&resp, "link"), want);
    let last = s
        .get("/api/v2/tickets?per_page=2&page=2&updated_since=2023-01-01")
        .await;
    assert_eq!(header(&last, "link"), "");
    let beyond: Vec<Value> = s.get("/api/v2/tickets?page=5").await.json().await.unwrap();
    assert!(beyond.is_empty());
}

#[tokio::test]
async fn each_list_filter_selects_its_tickets() {
    let s = start().await;
    let me = s.owner_id();
    let other = s.emu.agents()[1].id;
    s.create_ticket(json!({})).await; // 1: open, unassigned
    s.create_ticket(json!({"responder_id": me})).await; // 2: open, mine
    s.create_ticket(json!({"responder_id": other})).await; // 3: open, someone else's
    s.create_ticket(json!({"status": 3})).await; // 4: pending
    s.create_ticket(json!({})).await; // 5: spam
    s.create_ticket(json!({})).await; // 6: deleted
    assert!(s.emu.mark_ticket_spam_as_someone(5));
    assert!(s.emu.delete_ticket_as_someone(6));
    #[rustfmt::skip]
    let cases: [(&str, &[i64]); 6] = [
        ("", &[4, 3, 2, 1]),
        ("?filter=new_and_my_open", &[2, 1]),
        ("?filter=spam", &[5]),
        ("?filter=deleted", &[6]),
        ("?filter=watching", &[]),
        ("?filter=new_and_my_open&order_type=asc", &[1, 2]),
    ];
    for (query, want) in cases {
        assert_eq!(
            ids(&s, &format!("/api/v2/tickets{query}")).await,
            want,
            "{query}"
        );
    }
    // Spam is viewable and locked, and never found by search.
    let shown: Value = s.get("/api/v2/tickets/5").await.json().await.unwrap();
    assert_eq!(shown["spam"], true);
    let put = s.put("/api/v2/tickets/5", json!({"priority": 2})).await;
    assert_eq!(
        (put.status().as_u16(), header(&put, "allow")),
        (405, "GET".to_owned())
    );
    let found: Value = s
        .get("/api/v2/search/tickets?query=%22priority:1%22")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 4);
}
