//! Ticket actions: create, update, assign, change status, view with embeds,
//! delete and restore.

use serde_json::json;
use ticketsim::freshdesk::{CreateTicket, Error, TicketInclude, UpdateTicket};

use super::{Fd, assert_types, new_ticket};

#[tokio::test(start_paused = true)]
async fn create_ticket_posts_typed_json_and_returns_the_ticket() {
    let fd = Fd::start().await;
    let client = fd.client();
    let body = CreateTicket {
        ticket_type: Some("Incident".into()),
        tags: vec!["ticketsim".into()],
        cc_emails: vec!["boss@example.com".into()],
        source: Some(2),
        ..new_ticket(fd.contact_ids()[0], "Printer on fire")
    };
    let ticket = client.create_ticket(&body).await.unwrap();

    assert_eq!(ticket.id, 1);
    assert_eq!(ticket.subject, "Printer on fire");
    assert_eq!(ticket.requester_id, Some(fd.contact_ids()[0]));
    assert_eq!(
        ticket.cc_emails.as_deref(),
        Some(&["boss@example.com".to_string()][..])
    );
    let (method, path, _) = fd.last_line();
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/api/v2/tickets")
    );
    let sent = fd.last_body();
    assert_types(
        &sent,
        &[
            ("subject", "s"),
            ("description", "s"),
            ("status", "i"),
            ("priority", "i"),
            ("requester_id", "i"),
            ("type", "s"),
            ("tags", "a"),
            ("cc_emails", "a"),
            ("source", "i"),
        ],
    );
    assert!(
        sent.get("responder_id").is_none(),
        "unset fields are left out: {sent}"
    );
}

#[tokio::test(start_paused = true)]
async fn create_ticket_with_an_email_requester_makes_the_contact() {
    let fd = Fd::start().await;
    let body = CreateTicket {
        requester_id: None,
        email: Some("new.person@example.com".into()),
        name: Some("New Person".into()),
        ..new_ticket(0, "Hello")
    };
    let ticket = fd.client().create_ticket(&body).await.unwrap();
    let contact = fd
        .emulator
        .contacts()
        .into_iter()
        .find(|c| Some(c.id) == ticket.requester_id);
    assert_eq!(contact.unwrap().name, "New Person");
}

#[tokio::test(start_paused = true)]
async fn create_ticket_with_a_bad_status_reads_as_a_validation_error() {
    let fd = Fd::start().await;
    let body = CreateTicket {
        status: 9,
        ..new_ticket(fd.contact_ids()[0], "x")
    };
    let err = fd.client().create_ticket(&body).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Validation failed: status — It should be one of these values: '2,3,4,5,6,7'"
    );
    assert!(!err.is_transient() && !err.outcome_uncertain());
    assert_eq!(fd.emulator.requests().len(), 1, "a 400 is not repeated");
}

#[tokio::test(start_paused = true)]
async fn update_ticket_puts_only_the_fields_that_are_set() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Partial").await;
    let body = UpdateTicket {
        priority: Some(3),
        tags: Some(vec!["vip".into()]),
        ..UpdateTicket::default()
    };
    let updated = client.update_ticket(t.id, &body).await.unwrap();
    assert_eq!((updated.priority, updated.subject.as_str()), (3, "Partial"));
    assert_eq!(fd.last_line().0, "PUT");
    assert_eq!(fd.last_line().1, format!("/api/v2/tickets/{}", t.id));
    assert_eq!(fd.last_body(), json!({"priority": 3, "tags": ["vip"]}));

    let err = client.update_ticket(9999, &body).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Ticket not found: 9999 (it may have been deleted)"
    );
    assert!(matches!(err, Error::NotFound { .. }));
}

#[tokio::test(start_paused = true)]
async fn assign_ticket_sets_the_agent_and_group_and_names_an_unknown_agent() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Assign me").await;
    let agent = fd.agent_ids()[1];
    let group = client.list_groups().await.unwrap()[0].id;
    let assigned = client
        .assign_ticket(t.id, Some(agent), Some(group))
        .await
        .unwrap();
    assert_eq!(
        (assigned.responder_id, assigned.group_id),
        (Some(agent), Some(group))
    );
    assert_eq!(
        fd.last_body(),
        json!({"responder_id": agent, "group_id": group})
    );

    let err = client
        .assign_ticket(t.id, Some(42), None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Validation failed: responder_id — There is no agent matching the given responder_id"
    );
    let err = client.assign_ticket(t.id, None, None).await.unwrap_err();
    assert!(
        matches!(err, Error::Invalid(_)),
        "refused before sending: {err}"
    );
}

#[tokio::test(start_paused = true)]
async fn change_status_is_a_set_style_put_and_a_bad_status_is_named() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Status").await;
    assert_eq!(client.change_status(t.id, 4).await.unwrap().status, 4);
    assert_eq!(fd.last_body(), json!({"status": 4}));
    let err = client.change_status(t.id, 1).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Validation failed: status — It should be one of these values:"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn get_ticket_with_includes_asks_for_and_decodes_the_embeds() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Embeds").await;
    let include = [
        TicketInclude::Conversations,
        TicketInclude::Requester,
        TicketInclude::Stats,
    ];
    let got = client.get_ticket_with(t.id, &include).await.unwrap();
    let (method, path, query) = fd.last_line();
    assert_eq!(
        (method.as_str(), path),
        ("GET", format!("/api/v2/tickets/{}", t.id))
    );
    assert_eq!(
        query.as_deref(),
        Some("include=conversations%2Crequester%2Cstats")
    );
    assert_eq!(got.requester.unwrap().id, fd.contact_ids()[0]);
    assert!(got.stats.is_some());
    assert_eq!(got.conversations.map(|c| c.len()), Some(0));

    let err = client.get_ticket(777).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Ticket not found: 777 (it may have been deleted)"
    );
}

#[tokio::test(start_paused = true)]
async fn delete_and_restore_are_204s_and_repeats_read_as_their_errors() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Delete me").await;
    client.delete_ticket(t.id).await.unwrap();
    assert_eq!(fd.last_line().0, "DELETE");
    assert_eq!(client.get_ticket(t.id).await.unwrap().deleted, Some(true));

    let again = client.delete_ticket(t.id).await.unwrap_err();
    assert!(
        matches!(again, Error::Http { status: 405, .. }),
        "{again:?}"
    );
    assert!(
        again.to_string().contains("DELETE method is not allowed"),
        "{again}"
    );

    client.restore_ticket(t.id).await.unwrap();
    let r = fd.last();
    assert_eq!((r.method.as_str(), r.body), ("PUT", None));
    assert_eq!(r.path, format!("/api/v2/tickets/{}/restore", t.id));
    assert_eq!(client.get_ticket(t.id).await.unwrap().deleted, None);
    let again = client.restore_ticket(t.id).await.unwrap_err();
    assert_eq!(
        again.to_string(),
        format!("Ticket not found: {} (it may have been deleted)", t.id)
    );
}
