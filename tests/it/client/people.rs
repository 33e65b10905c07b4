//! Contacts, agents and groups.

use ticketsim::freshdesk::{ApiKey, Client, ContactQuery, CreatedContact, Error, NewContact};

use super::{Fd, assert_types};

fn new_contact(email: &str) -> NewContact {
    NewContact {
        name: "Ada Example".into(),
        email: Some(email.into()),
        job_title: Some("Engineer".into()),
        tags: vec!["ticketsim".into()],
        ..NewContact::default()
    }
}

#[tokio::test(start_paused = true)]
async fn create_contact_returns_the_new_contact_then_the_existing_id_on_a_duplicate() {
    let fd = Fd::start().await;
    let client = fd.client();
    let created = client
        .create_contact(&new_contact("ada@example.com"))
        .await
        .unwrap();
    let CreatedContact::Created(contact) = &created else {
        panic!("expected a new contact, got {created:?}");
    };
    assert_eq!(
        (contact.name.as_str(), contact.email.as_deref()),
        ("Ada Example", Some("ada@example.com"))
    );
    let (method, path, _) = fd.last_line();
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/api/v2/contacts")
    );
    assert_types(
        &fd.last_body(),
        &[
            ("name", "s"),
            ("email", "s"),
            ("job_title", "s"),
            ("tags", "a"),
        ],
    );

    let again = client
        .create_contact(&new_contact("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(again, CreatedContact::Existing { id: created.id() });
    assert!(!again.was_created());
    assert_eq!(fd.last().status, 409);
}

#[tokio::test(start_paused = true)]
async fn create_contact_without_a_name_reads_as_a_validation_error() {
    let fd = Fd::start().await;
    let body = NewContact {
        name: String::new(),
        ..new_contact("x@example.com")
    };
    let err = fd.client().create_contact(&body).await.unwrap_err();
    assert!(
        err.to_string().starts_with("Validation failed: name — "),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn contacts_are_listed_filtered_and_fetched_by_id() {
    let fd = Fd::start().await;
    let client = fd.client();
    let all = client.list_contacts().await.unwrap();
    assert_eq!(all.len(), fd.emulator.contacts().len());
    assert_eq!(fd.last_line().2.as_deref(), Some("per_page=100"));

    let email = all[2].email.clone().unwrap();
    let query = ContactQuery {
        email: Some(email.clone()),
        ..ContactQuery::default()
    };
    let found = client.list_contacts_where(&query).await.unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), [all[2].id]);
    assert!(fd.last_line().2.unwrap().contains("email="));

    assert_eq!(
        client.get_contact(all[2].id).await.unwrap().email,
        Some(email)
    );
    let err = client.get_contact(1).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Contact not found: 1 (it may have been deleted)"
    );
}

#[tokio::test(start_paused = true)]
async fn agents_groups_and_me_decode_with_64_bit_ids() {
    let fd = Fd::start().await;
    let client = fd.client();
    let agents = client.list_agents().await.unwrap();
    let mut ids: Vec<i64> = agents.iter().map(|a| a.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, fd.agent_ids());
    assert!(agents.iter().all(|a| a.id > i64::from(u32::MAX)));
    assert_eq!(client.me().await.unwrap().id, fd.agent_ids()[0]);
    assert_eq!(fd.last_line().1, "/api/v2/agents/me");
    let groups = client.list_groups().await.unwrap();
    assert!(!groups.is_empty());
    assert_eq!(fd.last_line().1, "/api/v2/groups");
}

#[tokio::test(start_paused = true)]
async fn a_wrong_key_reads_as_an_authentication_error_naming_the_url() {
    let fd = Fd::start().await;
    let mut cfg = fd.config();
    cfg.api_key = ApiKey::new("wrong-key-123");
    let client = Client::new(cfg).unwrap();
    let err = client.me().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }));
    let expected = format!(
        "Authentication failed: invalid API key for {} (401 invalid_credentials)",
        fd.url
    );
    assert!(err.to_string().starts_with(&expected), "{err}");
    assert!(!err.to_string().contains("wrong-key-123"));
    assert_eq!(fd.emulator.requests().len(), 1, "a 401 is not repeated");
}
