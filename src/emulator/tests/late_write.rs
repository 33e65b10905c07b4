//! The late-write fault through the real client: the write is not there when
//! the client gives up (timeout or dropped connection), and lands afterwards,
//! `late_write_ms` after it arrived.

use std::time::{Duration, Instant};

use serde_json::json;

use super::faults::{client, new_ticket, seen, set};
use super::{Server, start, status_json};
use crate::emulator::{Faults, LateWriteMode};
use crate::freshdesk::{Error, UpdateTicket};

/// Waits (at most 3 s, in 10 ms steps) until the emulator holds `n` tickets.
async fn until_tickets(s: &Server, n: usize) {
    for _ in 0..300 {
        if s.emu.tickets().len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{n} tickets expected, {} there", s.emu.tickets().len());
}

fn late(next: u32, ms: u64, mode: LateWriteMode) -> Faults {
    Faults {
        late_write_next: next,
        late_write_ms: ms,
        late_write_mode: mode,
        ..Faults::default()
    }
}

#[tokio::test]
async fn a_late_write_lands_after_its_hanging_response_timed_out() {
    let s = start().await;
    let c = client(&s);
    set(&s, late(1, 700, LateWriteMode::Hang));
    let started = Instant::now();
    let err = c.create_ticket(&new_ticket(&s)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.outcome_uncertain());
    assert!(
        s.emu.tickets().is_empty(),
        "not there when the client gave up"
    );
    assert!(s.emu.requests().is_empty(), "logged when it lands");
    until_tickets(&s, 1).await;
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert_eq!(seen(&s), [(201, Some("late_write_hang".into()))]);
}

#[tokio::test]
async fn a_late_write_after_a_dropped_connection_lands_later() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let c = client(&s);
    set(&s, late(1, 300, LateWriteMode::Drop));
    let started = Instant::now();
    let close = UpdateTicket {
        status: Some(5),
        ..UpdateTicket::default()
    };
    // A PUT is repeated after a dropped connection: the repeat is answered
    // at once, and the late first attempt lands after it.
    assert_eq!(c.update_ticket(1, &close).await.unwrap().status, 5);
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(seen(&s)[1..], [(200, None)]);
    for _ in 0..300 {
        if s.emu.requests().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        seen(&s)[1..],
        [(200, None), (200, Some("late_write_drop".into()))]
    );
    let statuses: Vec<i64> = s
        .emu
        .status_history(1)
        .into_iter()
        .map(|(_, st)| st)
        .collect();
    assert_eq!(statuses, [2, 5], "the late PUT set what was set already");
}

#[tokio::test]
async fn gets_are_never_late_and_late_writes_are_set_through_the_admin_route() {
    let s = start().await;
    s.create_ticket(json!({})).await;
    let url = format!("{}/_emulator/faults", s.base);
    let http = reqwest::Client::new();
    let patch = json!({"late_write_rate": 1.0, "late_write_ms": 50, "late_write_mode": "drop"});
    let (status, shown) = status_json(http.post(&url).json(&patch).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            shown["late_write_rate"].as_f64(),
            shown["late_write_mode"].as_str()
        ),
        (Some(1.0), Some("drop"))
    );
    assert_eq!(client(&s).get_ticket(1).await.unwrap().id, 1);
    assert_eq!(seen(&s)[1..], [(200, None)], "a GET is never late");
    let bad = json!({"late_write_mode": "sideways"});
    let (status, body) = status_json(http.put(&url).json(&bad).send().await.unwrap()).await;
    assert_eq!(status, 400);
    let msg = body["message"].as_str().unwrap();
    assert!(msg.contains("use hang or drop"), "{msg}");
    let (status, body) = status_json(http.delete(&url).send().await.unwrap()).await;
    assert_eq!((status, body["late_write_rate"].as_f64()), (200, Some(0.0)));
}
