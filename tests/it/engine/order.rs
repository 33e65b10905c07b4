//! Under a backlog of new slots, the due steps of tickets already in flight
//! go first: none of them waits behind a new ticket.

use ticketsim::dispatcher::DispatcherConfig;
use ticketsim::domain::Stage;

use super::{eventually, fast_pool};
use crate::harness::{MIN, T0, spawn_app};

#[tokio::test]
async fn under_a_backlog_of_new_slots_every_due_step_of_a_ticket_in_flight_is_sent_before_any_new_ticket()
 {
    let app = spawn_app().await;
    let d = app
        .daemon_with(DispatcherConfig {
            workers: 8,
            ..fast_pool()
        })
        .await;
    for i in 0..3 {
        d.triggers.start_slot(T0 + i, T0 + i).await.unwrap();
    }
    assert_eq!(app.tick_at(&d, T0 + 2).await, 3, "three tickets in flight");
    // Each reply looks in Freshdesk first (an earlier attempt recorded its
    // intent), so it reaches its POST later than a new ticket would.
    for id in 1..=3 {
        let m = d.store.step_message(id, 1).await.unwrap();
        d.store.mark_message_intent(m.id, T0).await.unwrap();
    }
    for i in 0..20 {
        d.triggers
            .start_slot(T0 + 1_000 + i, T0 + 1_000)
            .await
            .unwrap();
    }
    let mut faults = app.emulator.faults();
    faults.latency_ms = ticketsim::emulator::Latency::fixed(150);
    app.emulator.set_faults(faults).unwrap();
    let before = app.emulator.requests().len();
    app.clock.set(T0 + 6 * MIN);

    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let dispatcher = d.dispatcher.clone();
    let run = tokio::spawn(async move { dispatcher.run(stop, false).await });
    let opened = eventually(10, || async {
        app.count_requests("POST", "/tickets") >= 3 + 4
    })
    .await;
    stop_tx.send(true).unwrap();
    run.await.unwrap().unwrap();
    assert!(opened, "new tickets were opened after the replies");

    let log = app.emulator.requests();
    let after = &log[before..];
    let first_new = after
        .iter()
        .position(|r| r.method == "POST" && r.path.ends_with("/tickets"))
        .unwrap();
    let replies: Vec<usize> = after
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method == "POST" && r.path.ends_with("/reply"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(replies.len(), 3, "each due reply sent once");
    assert!(
        replies.iter().all(|&i| i < first_new),
        "replies at {replies:?}, first new ticket at {first_new}"
    );
    let steps = d.store.steps(1).await.unwrap();
    assert_eq!(steps[1].stage, Stage::AgentReply);
}
