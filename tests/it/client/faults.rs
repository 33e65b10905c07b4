//! Every action under the emulator's faults (`/_emulator/faults`): a 429 burst
//! is waited out for `Retry-After` plus the margin and the action succeeds; a
//! 5xx and a hang (a timeout) are retried until success by the actions that may
//! be repeated, and come back as uncertain, sent once, from the ones that may not
//! (creates, replies, notes, time entries: Freshdesk has no idempotency keys).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use ticketsim::clock::parse_iso;
use ticketsim::emulator::Faults;
use ticketsim::freshdesk::{
    BulkUpdate, Client, ContactUpdate, Error, NewContact, NewTimeEntry, Note, Reply, SearchQuery,
    TicketInclude, TicketQuery, TimeSpent, UpdateTicket,
};

use super::{Fd, new_ticket};

/// What the actions work on: made before the fault is set.
#[derive(Clone, Copy)]
struct Ctx {
    ticket: i64,
    deleted_ticket: i64,
    contact: i64,
    agent: i64,
}

type Run = fn(Client, Ctx) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

/// An action, and whether the client may send it again after a failure.
struct Case(&'static str, bool, Run);

macro_rules! case {
    ($name:literal, $repeat:expr, |$c:ident, $x:ident| $body:expr) => {
        Case($name, $repeat, |$c: Client, $x: Ctx| {
            Box::pin(async move { $body.await.map(|_| ()) })
        })
    };
}

fn cases() -> Vec<Case> {
    vec![
        case!("create_ticket", false, |c, x| c
            .create_ticket(&new_ticket(x.contact, "f"))),
        case!("update_ticket", true, |c, x| c.update_ticket(
            x.ticket,
            &UpdateTicket {
                priority: Some(2),
                ..Default::default()
            }
        )),
        case!("assign_ticket", true, |c, x| c.assign_ticket(
            x.ticket,
            Some(x.agent),
            None
        )),
        case!("change_status", true, |c, x| c.change_status(x.ticket, 3)),
        case!("get_ticket_with", true, |c, x| c
            .get_ticket_with(x.ticket, &[TicketInclude::Stats])),
        case!("delete_ticket", true, |c, x| c.delete_ticket(x.ticket)),
        case!("restore_ticket", true, |c, x| c
            .restore_ticket(x.deleted_ticket)),
        case!("list_tickets", true, |c, x| c.list_tickets(&TicketQuery {
            requester_id: Some(x.contact),
            ..Default::default()
        })),
        case!("add_reply", false, |c, x| c.add_reply(
            x.ticket,
            &Reply {
                body: "r".into(),
                ..Default::default()
            }
        )),
        case!("add_note", false, |c, x| c
            .add_note(x.ticket, &Note::private("n"))),
        case!("list_conversations", true, |c, x| c
            .list_conversations(x.ticket)),
        case!("add_time_entry", false, |c, x| c.add_time_entry(
            x.ticket,
            &NewTimeEntry::spent(TimeSpent::from_minutes(3))
        )),
        case!("list_time_entries", true, |c, x| c
            .list_time_entries(x.ticket)),
        case!("create_contact", true, |c, _x| c.create_contact(
            &NewContact {
                name: "F".into(),
                email: Some("f@example.com".into()),
                ..Default::default()
            }
        )),
        case!("update_contact", true, |c, x| c.update_contact(
            x.contact,
            &ContactUpdate {
                job_title: Some("x".into()),
                ..Default::default()
            }
        )),
        case!("get_contact", true, |c, x| c.get_contact(x.contact)),
        case!("list_contacts", true, |c, _x| c.list_contacts()),
        case!("list_agents", true, |c, _x| c.list_agents()),
        case!("me", true, |c, _x| c.me()),
        case!("list_groups", true, |c, _x| c.list_groups()),
        case!("search_tickets", true, |c, _x| c
            .search_tickets(&SearchQuery::is("status", 2))),
        case!("search_contacts", true, |c, _x| c
            .search_contacts(&SearchQuery::is("active", true))),
        case!("bulk_update_tickets", true, |c, x| c.bulk_update_tickets(
            &BulkUpdate {
                ids: vec![x.ticket],
                properties: UpdateTicket {
                    priority: Some(4),
                    ..Default::default()
                },
                reply: None
            }
        )),
        case!("list_ticket_fields", true, |c, _x| c.list_ticket_fields()),
        case!("delete_contact", true, |c, x| c.delete_contact(x.contact)),
        case!("hard_delete_contact", true, |c, x| c
            .hard_delete_contact(x.contact)),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    TooMany,
    ServerError,
    Hang,
}

/// A fresh account with a ticket, a deleted ticket and a contact; then `fault`
/// on the next request, then `case`. Returns the outcome and the log entries of
/// the action (everything after the setup).
async fn under(
    fault: Fault,
    case: &Case,
) -> (Result<(), Error>, Vec<ticketsim::emulator::RequestLogEntry>) {
    let fd = Fd::start().await;
    let mut cfg = fd.config();
    cfg.request_timeout = Duration::from_secs(2);
    let client = Client::new(cfg).unwrap();
    let contact = fd.contact_ids()[1];
    let ticket = client
        .create_ticket(&new_ticket(contact, "target"))
        .await
        .unwrap()
        .id;
    let deleted_ticket = client
        .create_ticket(&new_ticket(contact, "gone"))
        .await
        .unwrap()
        .id;
    assert!(fd.emulator.delete_ticket_as_someone(deleted_ticket));
    let ctx = Ctx {
        ticket,
        deleted_ticket,
        contact,
        agent: fd.agent_ids()[2],
    };
    let faults = match fault {
        Fault::TooMany => Faults {
            burst_429: 1,
            retry_after_secs: 3,
            ..Faults::default()
        },
        Fault::ServerError => Faults {
            fail_next: 1,
            fail_status: 503,
            ..Faults::default()
        },
        Fault::Hang => Faults {
            hang_next: 1,
            ..Faults::default()
        },
    };
    fd.emulator.set_faults(faults).unwrap();
    let before = fd.emulator.requests().len();
    let outcome = (case.2)(client, ctx).await;
    (outcome, fd.emulator.requests().split_off(before))
}

fn ms(at: &str) -> i64 {
    parse_iso(at).unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_429_burst_is_waited_out_for_retry_after_by_every_action() {
    for case in cases() {
        let (outcome, log) = under(Fault::TooMany, &case).await;
        outcome.unwrap_or_else(|e| panic!("{}: {e}", case.0));
        assert_eq!(log[0].status, 429, "{}", case.0);
        assert_eq!(
            (&log[1].method, &log[1].path),
            (&log[0].method, &log[0].path),
            "{}",
            case.0
        );
        let waited = ms(&log[1].at) - ms(&log[0].at);
        assert!(
            (4_000..5_000).contains(&waited),
            "{}: retried after {waited} ms, Retry-After 3 s + 1 s",
            case.0
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_5xx_is_retried_to_success_or_returned_as_uncertain_and_not_resent() {
    for case in cases() {
        let (outcome, log) = under(Fault::ServerError, &case).await;
        assert_eq!(log[0].status, 503, "{}", case.0);
        if case.1 {
            outcome.unwrap_or_else(|e| panic!("{}: {e}", case.0));
            assert_eq!(
                (&log[1].method, &log[1].path),
                (&log[0].method, &log[0].path),
                "{}",
                case.0
            );
            assert!(log[1].status < 300, "{}: {}", case.0, log[1].status);
        } else {
            let err = outcome.unwrap_err();
            assert!(
                matches!(err, Error::Server { status: 503 }),
                "{}: {err:?}",
                case.0
            );
            assert!(err.outcome_uncertain() && err.is_transient(), "{}", case.0);
            assert_eq!(log.len(), 1, "{}: a POST is not sent again", case.0);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_timeout_is_retried_to_success_or_returned_as_uncertain_and_not_resent() {
    for case in cases() {
        let (outcome, log) = under(Fault::Hang, &case).await;
        assert_eq!(log[0].fault.as_deref(), Some("hang"), "{}", case.0);
        if case.1 {
            outcome.unwrap_or_else(|e| panic!("{}: {e}", case.0));
            assert_eq!(
                (&log[1].method, &log[1].path),
                (&log[0].method, &log[0].path),
                "{}",
                case.0
            );
            assert!(
                ms(&log[1].at) - ms(&log[0].at) >= 2_000,
                "{}: after the 2 s timeout",
                case.0
            );
        } else {
            let err = outcome.unwrap_err();
            assert!(matches!(err, Error::Timeout), "{}: {err:?}", case.0);
            assert!(err.outcome_uncertain(), "{}", case.0);
            assert_eq!(log.len(), 1, "{}: a POST is not sent again", case.0);
        }
    }
}
