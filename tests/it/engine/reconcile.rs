//! Defect 3: a write whose outcome is unknown is looked for (or repeated) no
//! sooner than `reconcile_after_ms` after the client gave up, so a write that
//! Freshdesk applies late has landed before anyone looks.

use std::sync::Arc;
use std::time::Duration;

use ticketsim::app::{Daemon, Schedule};
use ticketsim::clock::{Clock, format_iso};
use ticketsim::dispatcher::DispatcherConfig;
use ticketsim::domain::{Stage, StageOffsets, StepState};
use ticketsim::freshdesk::{ApiKey, Client, ClientConfig};

use crate::harness::{API_KEY, MIN, T0, TestApp, spawn_app};

const RECONCILE_AFTER: i64 = 60_000;

/// A daemon whose client gives up after 300 ms (step backoff 1 s doubling to 10 s).
async fn impatient_daemon(app: &TestApp) -> Daemon {
    impatient_daemon_with_backoff(app, 1_000, 10_000).await
}

async fn impatient_daemon_with_backoff(app: &TestApp, base_ms: i64, cap_ms: i64) -> Daemon {
    let mut cc = ClientConfig::new(&app.url, ApiKey::new(API_KEY));
    cc.rate_per_min = 100_000;
    cc.request_timeout = Duration::from_millis(300);
    let schedule = Schedule {
        cron: "0 0 * * * *".into(),
        seed: 42,
        offsets: StageOffsets::DEFAULT,
    };
    let dcfg = DispatcherConfig {
        backoff_base_ms: base_ms,
        backoff_cap_ms: cap_ms,
        reconcile_after_ms: RECONCILE_AFTER,
        ..Default::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(app.clock.clone());
    let client = Client::new(cc).unwrap();
    Daemon::build(&app.db, client, clock, &schedule, dcfg, None)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_timed_out_reply_is_looked_for_only_after_the_reconciliation_delay_and_never_resent() {
    let app = spawn_app().await;
    let d = impatient_daemon(&app).await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    app.tick_at(&d, T0).await;
    let ticket = d.store.lifecycle(id).await.unwrap().ticket_id.unwrap();

    // The reply takes effect, but its answer never comes: the client times out.
    let mut faults = app.emulator.faults();
    faults.hang_next = 1;
    app.emulator.set_faults(faults).unwrap();
    let gave_up = T0 + 5 * MIN;
    assert_eq!(app.tick_at(&d, gave_up).await, 1);
    let reply = &d.store.steps(id).await.unwrap()[1];
    assert_eq!(reply.state, StepState::Retry, "{:?}", reply.last_error);
    assert!(
        reply.due_at >= format_iso(gave_up + RECONCILE_AFTER),
        "retried at {} although the write may land until {}",
        reply.due_at,
        format_iso(gave_up + RECONCILE_AFTER)
    );

    assert_eq!(
        app.tick_at(&d, gave_up + RECONCILE_AFTER - 1).await,
        0,
        "nothing looks before the delay"
    );
    let next = d.store.next_due_at().await.unwrap().unwrap();
    assert_eq!(app.tick_at(&d, next).await, 1);
    assert_eq!(d.store.steps(id).await.unwrap()[1].state, StepState::Done);
    assert_eq!(app.emulator.conversations(ticket).len(), 1, "not re-sent");
    assert_eq!(app.count_requests("POST", "/reply"), 1);
}

#[tokio::test]
async fn a_step_taken_back_right_after_its_intent_waits_for_a_late_write_before_looking() {
    let app = spawn_app().await;
    let d = impatient_daemon(&app).await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    app.tick_at(&d, T0).await;
    // A crashed process recorded the reply's intent at +5 min, then died.
    let claimed = d.store.claim_due(T0 + 5 * MIN, 10).await.unwrap();
    assert_eq!(claimed[0].stage, Stage::AgentReply);
    let m = d.store.message(id, Stage::AgentReply).await.unwrap();
    d.store
        .mark_message_intent(m.id, T0 + 5 * MIN)
        .await
        .unwrap();
    d.store.recover_running(T0 + 5 * MIN + 1_000).await.unwrap();

    assert_eq!(app.tick_at(&d, T0 + 5 * MIN + 1_000).await, 1);
    let reply = &d.store.steps(id).await.unwrap()[1];
    assert_eq!(reply.state, StepState::Retry);
    assert!(reply.due_at >= format_iso(T0 + 5 * MIN + RECONCILE_AFTER));
    let requests = app.emulator.requests().len();
    assert_eq!(
        app.count_requests("POST", "/reply"),
        0,
        "nothing sent early"
    );

    let next = d.store.next_due_at().await.unwrap().unwrap();
    assert_eq!(app.tick_at(&d, next).await, 1);
    assert_eq!(d.store.steps(id).await.unwrap()[1].state, StepState::Done);
    assert_eq!(
        app.count_requests("POST", "/reply"),
        1,
        "sent once, after the look"
    );
    assert!(app.emulator.requests().len() > requests);
}

#[tokio::test]
async fn a_look_that_must_wait_goes_at_its_time_whatever_the_attempts_before() {
    let app = spawn_app().await;
    // A failure after 8 attempts would wait at least 100 s.
    let d = impatient_daemon_with_backoff(&app, 200_000, 300_000).await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    app.tick_at(&d, T0).await;
    let intent = T0 + 5 * MIN;
    let m = d.store.message(id, Stage::AgentReply).await.unwrap();
    // Seven processes claimed the reply and were killed; one had recorded
    // the intent.
    for _ in 0..7 {
        assert_eq!(d.store.claim_due(intent, 10).await.unwrap().len(), 1);
        d.store.mark_message_intent(m.id, intent).await.unwrap();
        d.store.recover_running(intent).await.unwrap();
    }
    assert_eq!(app.tick_at(&d, intent + 1_000).await, 1);
    let reply = &d.store.steps(id).await.unwrap()[1];
    assert_eq!(reply.state, StepState::Retry, "{:?}", reply.last_error);
    assert_eq!(
        reply.due_at,
        format_iso(intent + RECONCILE_AFTER),
        "the look is due when the late write may have landed, not a backoff later"
    );
    assert_eq!(app.count_requests("POST", "/reply"), 0);
}

#[tokio::test]
async fn a_429_whose_retry_after_is_too_long_to_wait_in_place_sets_the_steps_next_attempt() {
    let app = spawn_app().await;
    let d = impatient_daemon(&app).await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    app.tick_at(&d, T0).await;
    let mut faults = app.emulator.faults();
    faults.burst_429 = 1;
    faults.retry_after_secs = 7_200;
    app.emulator.set_faults(faults).unwrap();
    let at = T0 + 5 * MIN;
    assert_eq!(app.tick_at(&d, at).await, 1);
    let reply = &d.store.steps(id).await.unwrap()[1];
    assert_eq!(reply.state, StepState::Retry, "{:?}", reply.last_error);
    assert!(
        reply.due_at >= format_iso(at + 7_200_000),
        "due at {}, before Retry-After",
        reply.due_at
    );
}

#[tokio::test]
async fn a_status_update_repeated_after_an_uncertain_failure_reads_the_ticket_first_and_sends_only_what_is_missing()
 {
    let app = spawn_app().await;
    let d = impatient_daemon(&app).await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    for at in [0, 5, 10, 15] {
        assert_eq!(app.tick_at(&d, T0 + at * MIN).await, 1);
    }
    let ticket = d.store.lifecycle(id).await.unwrap().ticket_id.unwrap();
    let mut faults = app.emulator.faults();
    faults.fail_next = 20;
    app.emulator.set_faults(faults).unwrap();
    assert_eq!(app.tick_at(&d, T0 + 20 * MIN).await, 1);
    let close = &d.store.steps(id).await.unwrap()[4];
    assert_eq!(close.state, StepState::Retry, "{:?}", close.last_error);
    assert!(close.due_at >= format_iso(T0 + 20 * MIN + RECONCILE_AFTER));

    let mut faults = app.emulator.faults();
    faults.fail_next = 0;
    app.emulator.set_faults(faults).unwrap();
    let next = d.store.next_due_at().await.unwrap().unwrap();
    assert_eq!(app.tick_at(&d, next).await, 1);
    assert_eq!(d.store.steps(id).await.unwrap()[4].state, StepState::Done);
    let log = app.emulator.requests();
    let path = format!("/tickets/{ticket}");
    let last: Vec<&str> = log
        .iter()
        .filter(|r| r.path.ends_with(&path))
        .map(|r| r.method.as_str())
        .collect();
    // the failed PUTs never ran (5xx before running): the read shows status
    // 4, so the close is sent; had a late PUT landed, the read would end it
    // (tests/it/late_write.rs)
    assert_eq!(
        &last[last.len() - 2..],
        ["GET", "PUT"],
        "the ticket is read before the update is sent again"
    );
}
