//! Replies, notes and the conversation list.

use serde_json::json;
use ticketsim::emulator::EmulatorConfig;
use ticketsim::freshdesk::{Error, Note, Reply, conversation_category};

use super::{Fd, assert_types};
use crate::harness::emulator_config;

#[tokio::test(start_paused = true)]
async fn add_reply_posts_cc_bcc_sender_and_agent_and_returns_the_reply() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Reply").await;
    let agent = fd.agent_ids()[1];
    let reply = Reply {
        body: "<p>On it.</p>".into(),
        from_email: Some("support@localhost".into()),
        user_id: Some(agent),
        cc_emails: vec!["cc@example.com".into()],
        bcc_emails: vec!["bcc@example.com".into()],
    };
    let sent = client.add_reply(t.id, &reply).await.unwrap();
    assert_eq!((sent.user_id, sent.ticket_id), (Some(agent), Some(t.id)));
    assert_eq!(
        sent.cc_emails.as_deref(),
        Some(&["cc@example.com".to_string()][..])
    );
    let (method, path, _) = fd.last_line();
    assert_eq!(
        (method, path),
        ("POST".into(), format!("/api/v2/tickets/{}/reply", t.id))
    );
    assert_types(
        &fd.last_body(),
        &[
            ("body", "s"),
            ("from_email", "s"),
            ("user_id", "i"),
            ("cc_emails", "a"),
            ("bcc_emails", "a"),
        ],
    );

    let bad = Reply {
        from_email: Some("nobody@elsewhere.test".into()),
        ..Reply::default()
    };
    let err = client
        .add_reply(
            t.id,
            &Reply {
                body: "x".into(),
                ..bad
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Validation failed: from_email — There is no active email_config matching the given from_email"
    );
}

#[tokio::test(start_paused = true)]
async fn the_daemons_reply_request_still_goes_through_reply() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Reply").await;
    let body = Reply {
        body: "Hi".into(),
        user_id: Some(fd.agent_ids()[0]),
        from_email: None,
        ..Default::default()
    };
    client.add_reply(t.id, &body).await.unwrap();
    assert_eq!(
        fd.last_body(),
        json!({"body": "Hi", "user_id": fd.agent_ids()[0]})
    );
    let err = client.add_reply(4242, &body).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Ticket not found: 4242 (it may have been deleted)"
    );
}

#[tokio::test(start_paused = true)]
async fn add_note_posts_private_and_customer_notes_with_their_flags() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Notes").await;
    let agent_email = fd.emulator.agents()[1].contact.email.clone().unwrap();
    let private = Note {
        notify_emails: vec![agent_email],
        ..Note::private("<p>internal</p>")
    };
    let note = client.add_note(t.id, &private).await.unwrap();
    assert_eq!((note.private, note.incoming), (Some(true), Some(false)));
    assert_types(
        &fd.last_body(),
        &[("body", "s"), ("private", "b"), ("notify_emails", "a")],
    );

    let customer = fd.contact_ids()[0];
    let note = client
        .add_note(t.id, &Note::from_customer("<p>thanks</p>", customer))
        .await
        .unwrap();
    assert_eq!(
        (note.user_id, note.private, note.incoming),
        (Some(customer), Some(false), Some(true))
    );
    assert_eq!(
        fd.last_body(),
        json!({"body": "<p>thanks</p>", "private": false, "incoming": true, "user_id": customer})
    );
    let listed = client.list_conversations(t.id).await.unwrap();
    assert_eq!(
        listed.last().unwrap().category,
        Some(conversation_category::CUSTOMER_RESPONSE)
    );

    let to_customer = Note {
        notify_emails: vec!["customer@example.com".into()],
        ..Note::private("x")
    };
    let err = client.add_note(t.id, &to_customer).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Validation failed: notify_emails — "),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_note_as_the_customer_on_a_refusing_account_names_the_remedy() {
    let fd = Fd::start_with(EmulatorConfig {
        allow_assume_identity: false,
        ..emulator_config()
    })
    .await;
    let client = fd.client();
    let t = fd.ticket(&client, "Refused").await;
    let note = Note::from_customer("hi", fd.contact_ids()[0]);
    let err = client.add_note(t.id, &note).await.unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("Forbidden (403 invalid_user): You are not authorized"),
        "{text}"
    );
    assert!(text.contains("may not act as the customer"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn list_conversations_reads_the_thread_oldest_first() {
    let fd = Fd::start().await;
    let client = fd.client();
    let t = fd.ticket(&client, "Thread").await;
    for body in ["first", "second", "third"] {
        client.add_note(t.id, &Note::private(body)).await.unwrap();
    }
    let thread = client.list_conversations(t.id).await.unwrap();
    let bodies: Vec<&str> = thread
        .iter()
        .filter_map(|c| c.body_text.as_deref())
        .collect();
    assert_eq!(bodies, ["first", "second", "third"]);
    let (method, path, query) = fd.last_line();
    assert_eq!(
        (method, path),
        (
            "GET".into(),
            format!("/api/v2/tickets/{}/conversations", t.id)
        )
    );
    assert_eq!(query.as_deref(), Some("per_page=100"));
    let err = client.list_conversations(5150).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Ticket not found: 5150 (it may have been deleted)"
    );
}
