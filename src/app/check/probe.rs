//! Whether the key's agent may post as the customer, found out by doing it once
//! on a throwaway ticket and removing everything afterwards.
//!
//! Freshdesk exposes neither the "manage users" privilege nor the plan's
//! assume-identity feature through the API, so the only reliable test is a note
//! with `user_id` = a contact. The probe makes its own contact at a reserved
//! address (`example.com`, so no real person is emailed), a ticket for it, posts
//! the note, then soft-deletes the ticket (Freshdesk empties its trash after 30
//! days) and hard-deletes the contact.

use serde::Serialize;

use crate::freshdesk::{
    Client, Contact, CreateTicket, CreatedContact, Error, NewContact, Note, status,
};

pub const PROBE_EMAIL: &str = "ticketsim-check-probe@example.com";
pub const PROBE_TAG: &str = "ticketsim-check";

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    /// `None` when the probe could not tell (another error, or it was skipped).
    pub allowed: Option<bool>,
    pub detail: String,
    /// Cleanup that failed, for the operator to finish by hand.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leftovers: Vec<String>,
}

/// Runs the probe; `tag` is the daemon's ticket tag, so purge tools find it too.
pub async fn acting_as_customer(client: &Client, tag: &str) -> Probe {
    let contact = match probe_contact(client).await {
        Ok(c) => c,
        Err(e) => return unknown(format!("could not create the probe contact: {e}")),
    };
    let body = CreateTicket {
        subject: "ticketsim check: may the key act as the customer? (deleted right away)".into(),
        description: "<p>A probe by <code>ticketsim check</code>; it deletes this ticket.</p>"
            .into(),
        status: status::OPEN,
        priority: 1,
        requester_id: Some(contact.id()),
        tags: vec![tag.to_string(), PROBE_TAG.to_string()],
        ..CreateTicket::default()
    };
    let mut leftovers = Vec::new();
    let mut probe = match client.create_ticket(&body).await {
        Ok(ticket) => {
            let note = Note::from_customer("<p>ticketsim check probe</p>", contact.id());
            let outcome = client.add_note(ticket.id, &note).await;
            if let Err(e) = client.delete_ticket(ticket.id).await {
                leftovers.push(format!("ticket {} (delete it: {e})", ticket.id));
            }
            verdict(outcome.map(|_| ()))
        }
        Err(e) => unknown(format!("could not create the probe ticket: {e}")),
    };
    if let Err(e) = remove_contact(client, contact.id()).await {
        leftovers.push(format!(
            "contact {} {PROBE_EMAIL} (delete it: {e})",
            contact.id()
        ));
    }
    probe.leftovers = leftovers;
    probe
}

/// The probe contact: made now, or the one an interrupted earlier probe left.
async fn probe_contact(client: &Client) -> Result<CreatedContact, Error> {
    let body = NewContact {
        name: "ticketsim check probe".into(),
        email: Some(PROBE_EMAIL.into()),
        description: Some("Made and deleted by `ticketsim check`.".into()),
        tags: vec![PROBE_TAG.into()],
        ..NewContact::default()
    };
    let made = client.create_contact(&body).await?;
    if let CreatedContact::Existing { id } = made {
        let existing: Contact = client.get_contact(id).await?;
        let ours = existing
            .tags
            .unwrap_or_default()
            .iter()
            .any(|t| t == PROBE_TAG);
        if !ours {
            return Err(Error::Invalid(format!(
                "{PROBE_EMAIL} belongs to contact {id}, which ticketsim did not make; not touching it"
            )));
        }
    }
    Ok(made)
}

async fn remove_contact(client: &Client, id: i64) -> Result<(), Error> {
    match client.delete_contact(id).await {
        Ok(()) | Err(Error::Http { status: 405, .. }) => {}
        Err(e) => return Err(e),
    }
    client.hard_delete_contact(id).await
}

fn verdict(outcome: Result<(), Error>) -> Probe {
    match outcome {
        Ok(()) => Probe {
            allowed: Some(true),
            detail: "allowed: a public note posted as a contact went through (probe removed)"
                .into(),
            leftovers: Vec::new(),
        },
        Err(e @ Error::Forbidden { .. }) if is_invalid_user(&e) => Probe {
            allowed: Some(false),
            detail: format!("refused, so the customer-reply step would fail: {e}"),
            leftovers: Vec::new(),
        },
        Err(e) => unknown(format!("the probe note failed: {e}")),
    }
}

fn is_invalid_user(e: &Error) -> bool {
    matches!(e, Error::Forbidden { code, .. } if code == "invalid_user")
}

fn unknown(detail: String) -> Probe {
    Probe {
        allowed: None,
        detail,
        leftovers: Vec::new(),
    }
}
