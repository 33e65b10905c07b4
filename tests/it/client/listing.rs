//! The ticket list: filters, and the `updated_since` cursor past 300 pages.

use std::time::Duration;

use ticketsim::freshdesk::{Error, ListInclude, TicketFilter, TicketOrder, TicketQuery};

use super::{Fd, new_ticket};

#[tokio::test(start_paused = true)]
async fn list_tickets_sends_its_filters_and_decodes_the_pages() {
    let fd = Fd::start().await;
    let client = fd.client();
    let (a, b) = (fd.contact_ids()[0], fd.contact_ids()[1]);
    for (who, subject) in [(a, "one"), (b, "two"), (a, "three")] {
        client
            .create_ticket(&new_ticket(who, subject))
            .await
            .unwrap();
    }
    let query = TicketQuery {
        requester_id: Some(a),
        order_by: Some(TicketOrder::CreatedAt),
        ascending: true,
        include: vec![ListInclude::Requester],
        per_page: Some(1),
        ..TicketQuery::default()
    };
    let tickets = client.list_tickets(&query).await.unwrap();
    let subjects: Vec<&str> = tickets.iter().map(|t| t.subject.as_str()).collect();
    assert_eq!(subjects, ["one", "three"]);
    assert!(
        tickets
            .iter()
            .all(|t| t.requester.as_ref().is_some_and(|r| r.id == a))
    );
    let (method, path, query) = fd.last_line();
    assert_eq!((method.as_str(), path.as_str()), ("GET", "/api/v2/tickets"));
    let query = query.unwrap();
    for part in [
        &format!("requester_id={a}"),
        "order_by=created_at",
        "order_type=asc",
        "include=requester",
        "per_page=1",
        "page=2",
    ] {
        assert!(query.contains(part), "{part} in {query}");
    }
}

#[tokio::test(start_paused = true)]
async fn list_tickets_reads_the_deleted_filter_and_names_an_unknown_email() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "gone").await;
    fd.ticket(&client, "kept").await;
    client.delete_ticket(t.id).await.unwrap();
    let deleted = TicketQuery {
        filter: Some(TicketFilter::Deleted),
        ..TicketQuery::default()
    };
    let ids: Vec<i64> = client
        .list_tickets(&deleted)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, [t.id]);

    let by_email = TicketQuery {
        email: Some("nobody@example.com".into()),
        ..TicketQuery::default()
    };
    let err = client.list_tickets(&by_email).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Validation failed: email — There is no contact matching the given email"
    );
}

/// 305 tickets, two per second, listed one per page: page 300 is the cap, so
/// the cursor moves `updated_since` to the last second seen and skips the two
/// tickets of that second it already returned.
#[tokio::test(start_paused = true)]
async fn the_updated_since_cursor_walks_past_the_300_page_cap_without_repeats() {
    let fd = Fd::start().await;
    let client = fd.client();
    let contact = fd.contact_ids()[0];
    for i in 0..305 {
        if i % 2 == 0 {
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        client
            .create_ticket(&new_ticket(contact, &format!("t{i}")))
            .await
            .unwrap();
    }
    let query = TicketQuery {
        per_page: Some(1),
        ..TicketQuery::updated_since("2025-12-31T00:00:00Z")
    };
    let before = fd.emulator.requests().len();
    let tickets = client.list_tickets(&query).await.unwrap();
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    assert_eq!(
        ids,
        (1..=305).collect::<Vec<i64>>(),
        "each ticket once, oldest change first"
    );

    let log = fd.emulator.requests();
    let lists = &log[before..];
    assert!(
        lists
            .iter()
            .all(|r| r.query.as_deref().is_some_and(|q| !q.contains("page=301")))
    );
    let restarted = lists.iter().filter(|r| {
        r.query
            .as_deref()
            .is_some_and(|q| q.contains("updated_since=2026-01-01T00%3A02%3A30Z"))
    });
    assert!(
        restarted.count() >= 2,
        "the second run starts at the 150th second"
    );

    let plain = TicketQuery {
        requester_id: Some(contact),
        per_page: Some(1),
        ..TicketQuery::default()
    };
    let err = client.list_tickets(&plain).await.unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert!(err.to_string().contains("set updated_since"), "{err}");
}
