//! Every real Freshdesk record in `tests/fixtures/freshdesk/` (copies of
//! `shared/fixtures/freshdesk/`) deserializes into its wire type.

use serde::de::DeserializeOwned;

use super::types::*;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/freshdesk/",
            $name,
            ".json"
        ))
    };
}

fn parse<T: DeserializeOwned>(name: &str, text: &str) -> Vec<T> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}.json: {e}"))
}

#[test]
fn agents_keep_64_bit_ids_and_null_contact_fields() {
    let agents: Vec<Agent> = parse("agents", fixture!("agents"));
    assert_eq!(agents.len(), 3);
    assert_eq!(agents[0].id, 67_013_469_930);
    assert!(agents[0].occasional && !agents[0].contact.active);
    assert_eq!(agents[0].contact.job_title, None);
    assert_eq!(agents[0].agent_type.as_deref(), Some("support_agent"));
    assert_eq!(
        agents[1].contact.email.as_deref(),
        Some("agent2@example.com")
    );
    assert_eq!(
        agents[1].contact.last_login_at.as_deref(),
        Some("2022-12-29T13:41:44Z")
    );
}

#[test]
fn contacts_keep_ids_emails_and_null_companies() {
    let contacts: Vec<Contact> = parse("contacts", fixture!("contacts"));
    assert_eq!(contacts.len(), 3);
    assert_eq!(contacts[0].id, 67_038_833_123);
    assert_eq!(contacts[0].company_id, None);
    assert_eq!(contacts[0].twitter_id, None);
    assert_eq!(contacts[1].company_id, Some(67_001_265_522));
    assert_eq!(contacts[2].email.as_deref(), Some("customer3@example.com"));
}

#[test]
fn conversations_tell_replies_notes_and_customer_messages_apart() {
    let convs: Vec<Conversation> = parse("conversations", fixture!("conversations"));
    assert_eq!(convs.len(), 4);
    assert_eq!(convs[0].id, 67_105_086_049);
    assert_eq!(convs[0].source, Some(conversation_source::EMAIL));
    assert_eq!(
        convs[0].category,
        Some(conversation_category::AGENT_PUBLIC_RESPONSE)
    );
    assert_eq!(convs[1].private, Some(true));
    assert_eq!(convs[1].source, Some(conversation_source::NOTE));
    assert_eq!(convs[3].incoming, Some(true));
    assert_eq!(convs[3].user_id, Some(67_042_965_499));
    assert_eq!(convs[3].ticket_id, Some(23));
}

#[test]
fn groups_accept_integer_auto_assign_flags() {
    let groups: Vec<Group> = parse("groups", fixture!("groups"));
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].id, 67_000_260_063);
    assert_eq!(groups[0].auto_ticket_assign, Some(IntOrBool::Int(1)));
    assert_eq!(groups[1].escalate_to, None);
}

#[test]
fn ticket_fields_keep_list_and_map_choices() {
    let fields: Vec<TicketField> = parse("ticket_fields", fixture!("ticket_fields"));
    assert_eq!(fields.len(), 4);
    assert!(fields[0].choices.as_ref().is_some_and(|c| c.is_array()));
    let status = fields.iter().find(|f| f.name == "status").unwrap();
    assert!(status.choices.as_ref().unwrap().get("5").is_some());
    assert_eq!(fields[0].id, 67_000_439_406);
}

#[test]
fn tickets_keep_embeds_nulls_and_small_display_ids() {
    let tickets: Vec<Ticket> = parse("tickets", fixture!("tickets"));
    assert_eq!(tickets.len(), 3);
    let t = &tickets[0];
    assert_eq!((t.id, t.status, t.priority), (18, status::OPEN, 2));
    assert_eq!(t.requester_id, Some(67_038_833_126));
    assert_eq!(t.responder_id, None);
    assert_eq!(t.cc_emails, None);
    assert_eq!(t.requester.as_ref().unwrap().id, 67_038_833_126);
    assert!(t.stats.as_ref().unwrap().agent_responded_at.is_none());
    assert_eq!(tickets[2].status, status::CLOSED);
    assert_eq!(tickets[2].company_id, Some(67_001_265_522));
}

#[test]
fn the_newer_ticket_shape_with_unknown_fields_still_parses() {
    let tickets: Vec<Ticket> = parse("ticket_newer_shape", fixture!("ticket_newer_shape"));
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].id, 21);
    assert_eq!(tickets[0].cc_emails, Some(vec![]));
    assert_eq!(tickets[0].email_config_id, Some(67_000_041_667));
}

#[test]
fn time_entries_keep_hours_and_seconds() {
    let entries: Vec<TimeEntry> = parse("time_entries", fixture!("time_entries"));
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].id, 67_011_181_689);
    assert_eq!(entries[0].time_spent.as_deref(), Some("01:30"));
    assert_eq!(entries[0].time_spent_in_seconds, Some(5400));
    assert_eq!(entries[0].company_id, None);
}

/// Parses every record of `text` as `T`; the count of records parsed.
fn count<T: DeserializeOwned>(name: &str, text: &str) -> usize {
    parse::<T>(name, text).len()
}

#[test]
fn every_fixture_file_in_the_directory_deserializes_into_its_wire_type() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/freshdesk");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed = match name.as_str() {
            "agents" => count::<Agent>(&name, &text),
            "contacts" => count::<Contact>(&name, &text),
            "conversations" => count::<Conversation>(&name, &text),
            "groups" => count::<Group>(&name, &text),
            "ticket_fields" => count::<TicketField>(&name, &text),
            "tickets" | "ticket_newer_shape" => count::<Ticket>(&name, &text),
            "time_entries" => count::<TimeEntry>(&name, &text),
            other => panic!("{other}.json has no wire type here; add it to this test"),
        };
        assert!(parsed > 0, "{name}.json holds no records");
        seen += 1;
    }
    assert_eq!(seen, 8, "the eight fixture files");
}
