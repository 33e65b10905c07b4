//! Each fault mode, seen through the real ticketsim client: the retry and
//! timeout paths fire as they should, and POSTs whose outcome is unknown come
//! back as uncertain instead of being sent twice.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{Server, start};
use crate::emulator::Faults;
use crate::freshdesk::{ApiKey, Client, ClientConfig, CreateTicket, Error, UpdateTicket};

/// The real client with short timeouts and fast retries.
pub(super) fn client(s: &Server) -> Client {
    let mut cfg = ClientConfig::new(s.base.clone(), ApiKey::new(s.emu.api_key()));
    cfg.rate_per_min = 100_000;
    cfg.request_timeout = Duration::from_millis(400);
    cfg.connect_timeout = Duration::from_millis(400);
    cfg.max_attempts = 4;
    cfg.backoff_base = Duration::from_millis(1);
    cfg.backoff_cap = Duration::from_millis(5);
    Client::new(cfg).unwrap()
}

pub(super) fn new_ticket(s: &Server) -> CreateTicket {
    CreateTicket {
        subject: "Printer on fire".into(),
        description: "<p>Really.</p>".into(),
        status: 2,
        priority: 1,
        requester_id: Some(s.customer().id),
        ..CreateTicket::default()
    }
}

/// `(status, fault)` of every request the emulator saw.
pub(super) fn seen(s: &Server) -> Vec<(u16, Option<String>)> {
    s.emu
        .requests()
        .into_iter()
        .map(|r| (r.status, r.fault))
        .collect()
}

pub(super) fn set(s: &Server, faults: Faults) {
    s.emu.set_faults(faults).unwrap();
}

#[tokio::test]
async fn server_errors_are_retried_for_gets_and_puts_until_they_succeed() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let c = client(&s);
    set(
        &s,
        Faults {
            fail_next: 2,
            ..Faults::default()
        },
    );
    let t = c.get_ticket(1).await.unwrap();
    assert_eq!(t.id, 1);
    set(
        &s,
        Faults {
            fail_next: 1,
            fail_status: 503,
            ..Faults::default()
        },
    );
    let update = UpdateTicket {
        priority: Some(3),
        ..UpdateTicket::default()
    };
    assert_eq!(c.update_ticket(1, &update).await.unwrap().priority, 3);
    let five = Some("500".to_owned());
    assert_eq!(
        seen(&s)[1..],
        [
            (500, five.clone()),
            (500, five),
            (200, None),
            (503, Some("503".into())),
            (200, None)
        ]
    );
}

#[tokio::test]
async fn a_server_error_on_a_post_comes_back_uncertain_and_is_not_repeated() {
    let s = start().await;
    let c = client(&s);
    set(
        &s,
        Faults {
            fail_next: 1,
            ..Faults::default()
        },
    );
    let err = c.create_ticket(&new_ticket(&s)).await.unwrap_err();
    assert!(matches!(err, Error::Server { status: 500 }), "{err:?}");
    assert!(err.outcome_uncertain());
    assert_eq!(seen(&s).len(), 1, "sent once");
    assert!(
        s.emu.tickets().is_empty(),
        "a 5xx fault answers before the request runs"
    );
}

#[tokio::test]
async fn a_hanging_response_is_a_timeout_and_the_request_did_take_effect() {
    let s = start().await;
    let c = client(&s);
    set(
        &s,
        Faults {
            hang_next: 1,
            ..Faults::default()
        },
    );
    let started = Instant::now();
    let err = c.create_ticket(&new_ticket(&s)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.outcome_uncertain());
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(s.emu.tickets().len(), 1, "the create ran before the hang");
    // A GET that hangs once is repeated and succeeds.
    set(
        &s,
        Faults {
            hang_next: 1,
            ..Faults::default()
        },
    );
    assert_eq!(c.get_ticket(1).await.unwrap().id, 1);
    let faults: Vec<Option<String>> = seen(&s).into_iter().map(|(_, f)| f).collect();
    assert_eq!(faults, [Some("hang".into()), Some("hang".into()), None]);
}

#[tokio::test]
async fn a_dropped_connection_is_a_transient_transport_error() {
    let s = start().await;
    let c = client(&s);
    set(
        &s,
        Faults {
            drop_next: 1,
            ..Faults::default()
        },
    );
    let err = c.create_ticket(&new_ticket(&s)).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_transient() && err.outcome_uncertain());
    assert_eq!(s.emu.tickets().len(), 1);
    set(
        &s,
        Faults {
            drop_next: 1,
            ..Faults::default()
        },
    );
    assert_eq!(c.get_ticket(1).await.unwrap().id, 1, "a GET is repeated");
    assert_eq!(
        seen(&s)
            .iter()
            .filter(|(_, f)| f.as_deref() == Some("drop"))
            .count(),
        2
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_decode_error() {
    let s = start().await;
    let c = client(&s);
    set(
        &s,
        Faults {
            malformed_next: 1,
            ..Faults::default()
        },
    );
    let err = c.create_ticket(&new_ticket(&s)).await.unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert!(err.outcome_uncertain());
    assert_eq!(s.emu.tickets().len(), 1, "the create took effect");
    set(
        &s,
        Faults {
            malformed_next: 1,
            ..Faults::default()
        },
    );
    assert_eq!(c.get_ticket(1).await.unwrap().id, 1, "a GET is repeated");
}

#[tokio::test]
async fn a_burst_of_429s_is_waited_out() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let c = client(&s);
    set(
        &s,
        Faults {
            burst_429: 2,
            retry_after_secs: 0,
            ..Faults::default()
        },
    );
    assert_eq!(c.get_ticket(1).await.unwrap().id, 1);
    let statuses: Vec<u16> = seen(&s)[1..].iter().map(|(st, _)| *st).collect();
    assert_eq!(statuses, [429, 429, 200]);
    let log = s.emu.requests();
    assert_eq!(log[1].fault.as_deref(), Some("429"));
}

#[tokio::test]
async fn a_ticket_deleted_by_someone_is_405_on_update_and_still_viewable() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let c = client(&s);
    assert!(s.emu.delete_ticket_as_someone(1));
    let update = UpdateTicket {
        status: Some(4),
        ..UpdateTicket::default()
    };
    let err = c.update_ticket(1, &update).await.unwrap_err();
    assert_eq!(err.status(), Some(405), "{err:?}");
    assert!(!err.is_transient());
    assert_eq!(c.get_ticket(1).await.unwrap().deleted, Some(true));
    let err = c.get_ticket(99).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn added_latency_holds_every_answer_back() {
    let s = start().await;
    let c = client(&s);
    set(
        &s,
        Faults {
            latency_ms: "150..250".parse().unwrap(),
            ..Faults::default()
        },
    );
    let started = Instant::now();
    c.me().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
}
