//! Search with the typed query builder, and bulk updates with their job.

use ticketsim::freshdesk::{
    BulkReply, BulkUpdate, CreateTicket, Error, SearchQuery as Q, UpdateTicket,
};

use super::{Fd, new_ticket};

#[tokio::test(start_paused = true)]
async fn search_tickets_sends_a_quoted_query_and_pages_through_thirty_at_a_time() {
    let fd = Fd::start().await;
    let client = fd.client();
    let contact = fd.contact_ids()[0];
    for i in 0..65 {
        let body = CreateTicket {
            priority: if i % 2 == 0 { 3 } else { 1 },
            tags: vec![if i < 64 {
                "ticketsim".into()
            } else {
                "other".into()
            }],
            ..new_ticket(contact, &format!("s{i}"))
        };
        client.create_ticket(&body).await.unwrap();
    }
    let query = Q::is("tag", "ticketsim")
        .and(Q::any_of("status", [2, 3]))
        .and(Q::at_least("priority", 3));
    let found = client.search_tickets(&query).await.unwrap();
    assert_eq!((found.total, found.results.len()), (32, 32));
    assert!(found.results.iter().all(|t| t.priority == 3));
    let log = fd.emulator.requests();
    let searches: Vec<&str> = log
        .iter()
        .filter(|r| r.path == "/api/v2/search/tickets")
        .filter_map(|r| r.query.as_deref())
        .collect();
    let q =
        "query=%22tag%3A%27ticketsim%27+AND+%28status%3A2+OR+status%3A3%29+AND+priority%3A%3E3%22";
    assert_eq!(searches, [format!("{q}&page=1"), format!("{q}&page=2")]);

    let all = client
        .search_tickets(&Q::is("tag", "ticketsim"))
        .await
        .unwrap();
    assert_eq!((all.total, all.results.len()), (64, 64));
}

#[tokio::test(start_paused = true)]
async fn search_contacts_reads_results_and_a_query_on_an_unknown_field_is_a_readable_400() {
    let fd = Fd::start().await;
    let client = fd.client();
    let email = fd.emulator.contacts()[1].email.clone().unwrap();
    let found = client
        .search_contacts(&Q::is("email", email.as_str()))
        .await
        .unwrap();
    assert_eq!(
        found.results.iter().map(|c| c.id).collect::<Vec<_>>(),
        [fd.contact_ids()[1]]
    );
    assert_eq!(fd.last_line().1, "/api/v2/search/contacts");

    let err = client
        .search_tickets(&Q::is("colour", "red"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("Validation failed: query — "),
        "{err}"
    );
    assert!(matches!(err, Error::Validation { status: 400, .. }));
}

#[tokio::test(start_paused = true)]
async fn bulk_update_sends_ids_and_properties_then_polls_the_job_until_it_is_done() {
    let fd = Fd::start().await;
    let client = fd.client();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            client
                .create_ticket(&new_ticket(fd.contact_ids()[0], &format!("b{i}")))
                .await
                .unwrap()
                .id,
        );
    }
    let update = BulkUpdate {
        ids: ids.clone(),
        properties: UpdateTicket {
            priority: Some(4),
            ..UpdateTicket::default()
        },
        reply: Some(BulkReply {
            body: "<p>We are on it.</p>".into(),
            from_email: None,
        }),
    };
    let outcome = client.bulk_update_tickets(&update).await.unwrap();
    assert_eq!(outcome.status, "SUCCESS");
    let done: Vec<Option<i64>> = outcome.items.iter().map(|i| i.id).collect();
    assert_eq!(done, ids.iter().map(|&i| Some(i)).collect::<Vec<_>>());
    for id in &ids {
        assert_eq!(client.get_ticket(*id).await.unwrap().priority, 4);
        assert_eq!(
            fd.emulator.conversations(*id).len(),
            1,
            "the reply went out once"
        );
    }
    let log = fd.emulator.requests();
    let post = log
        .iter()
        .find(|r| r.path == "/api/v2/tickets/bulk_update")
        .unwrap();
    assert_eq!(post.status, 202);
    let body = post.body.clone().unwrap();
    assert!(body["ids"].is_array() && body["properties"]["priority"].is_i64());
    let polls = log
        .iter()
        .filter(|r| r.path.starts_with("/api/v2/jobs/"))
        .count();
    assert!((2..=3).contains(&polls), "{polls} looks at the job");
}

#[tokio::test(start_paused = true)]
async fn a_bulk_update_on_unknown_tickets_reports_each_failure() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "real").await;
    let update = BulkUpdate {
        ids: vec![t.id, 999],
        properties: UpdateTicket {
            status: Some(3),
            ..UpdateTicket::default()
        },
        reply: None,
    };
    let outcome = client.bulk_update_tickets(&update).await.unwrap();
    assert_eq!(outcome.status, "PARTIAL");
    let failed: Vec<Option<i64>> = outcome
        .items
        .iter()
        .filter(|i| i.success == Some(false))
        .map(|i| i.id)
        .collect();
    assert_eq!(failed, [Some(999)]);
    let err = client
        .job("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Job not found: 0123456789abcdef0123456789abcdef"),
        "{err}"
    );
}
