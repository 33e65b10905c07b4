//! Restarts: overdue steps, and crashes between sending and recording.

use ticketsim::clock::format_iso;
use ticketsim::domain::{LifecycleState, Stage};
use ticketsim::freshdesk::types::Reply;

use crate::harness::{MIN, T0, spawn_app};

#[tokio::test]
async fn a_restart_with_steps_overdue_runs_them_once_each_in_order_keeping_their_spacing() {
    let app = spawn_app().await;
    let id = {
        let d = app.daemon().await;
        let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
        app.tick_at(&d, T0).await;
        id
    }; // down from here: every later step becomes overdue
    let back = T0 + 30 * MIN;
    let d = app.daemon().await;
    d.dispatcher.recover().await.unwrap();
    assert_eq!(
        app.tick_at(&d, back).await,
        1,
        "only the first overdue step runs at once"
    );
    assert_eq!(
        app.tick_at(&d, back).await,
        0,
        "the next keeps its 5 min gap"
    );
    for at in [5, 10, 15] {
        assert_eq!(app.tick_at(&d, back + at * MIN).await, 1);
    }
    assert_eq!(app.tick_at(&d, back + 60 * MIN).await, 0);

    let l = d.store.lifecycle(id).await.unwrap();
    assert_eq!(l.state, LifecycleState::Closed);
    let ticket = l.ticket_id.unwrap();
    let times: Vec<String> = app
        .emulator
        .conversations(ticket)
        .iter()
        .map(|c| c.created_at.clone().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            format_iso(back),
            format_iso(back + 5 * MIN),
            format_iso(back + 10 * MIN)
        ]
    );
    let statuses: Vec<i64> = app
        .emulator
        .status_history(ticket)
        .iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(statuses, [2, 4, 5]);
    assert_eq!(app.count_requests("POST", "/reply"), 2);
    assert_eq!(app.count_requests("POST", "/notes"), 1);
    assert_eq!(app.count_requests("POST", "/tickets"), 1);
}

#[tokio::test]
async fn a_reply_sent_just_before_a_crash_is_found_not_sent_again() {
    let app = spawn_app().await;
    let (id, ticket) = {
        let d = app.daemon().await;
        let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
        app.tick_at(&d, T0).await;
        // The crashed process claimed the step, recorded its intent and sent the
        // reply, but died before recording the outcome.
        let claimed = d.store.claim_due(T0 + 5 * MIN, 10).await.unwrap();
        assert_eq!(claimed[0].stage, Stage::AgentReply);
        let l = d.store.lifecycle(id).await.unwrap();
        let m = d.store.message(id, Stage::AgentReply).await.unwrap();
        d.store
            .mark_message_intent(m.id, T0 + 5 * MIN)
            .await
            .unwrap();
        app.clock.set(T0 + 5 * MIN);
        let reply = Reply {
            body: m.body.clone(),
            user_id: Some(m.author_id),
            from_email: None,
            ..Default::default()
        };
        app.client()
            .add_reply(l.ticket_id.unwrap(), &reply)
            .await
            .unwrap();
        (id, l.ticket_id.unwrap())
    };
    let d = app.daemon().await;
    assert_eq!(d.dispatcher.recover().await.unwrap(), 1);
    assert_eq!(app.tick_at(&d, T0 + 6 * MIN).await, 1);
    assert_eq!(
        app.count_requests("POST", "/reply"),
        1,
        "looked before re-sending"
    );
    assert_eq!(app.emulator.conversations(ticket).len(), 1);
    let m = d.store.message(id, Stage::AgentReply).await.unwrap();
    assert_eq!(
        m.fd_conversation_id,
        Some(app.emulator.conversations(ticket)[0].id)
    );
    assert_eq!(m.sent_at, Some(T0 + 5 * MIN), "the time Freshdesk recorded");
}

#[tokio::test]
async fn a_ticket_created_just_before_a_crash_is_adopted_not_created_again() {
    let app = spawn_app().await;
    let id = {
        let d = app.daemon().await;
        let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
        app.tick_at(&d, T0).await;
        id
    };
    // Put the database back in the state of a crash right after POST /tickets
    // returned: intent recorded, ticket not, step still running.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.display()))
        .await
        .unwrap();
    for sql in [
        "UPDATE lifecycles SET ticket_id = NULL, ticket_created_at = NULL, state = 'scheduled'",
        "UPDATE steps SET state = 'running' WHERE seq = 0",
        "UPDATE messages SET sent_at = NULL WHERE stage = 'create'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let d = app.daemon().await;
    d.dispatcher.recover().await.unwrap();
    assert_eq!(app.tick_at(&d, T0 + MIN).await, 1);
    assert_eq!(
        app.count_requests("POST", "/tickets"),
        1,
        "looked before re-sending"
    );
    assert_eq!(app.emulator.tickets().len(), 1);
    let l = d.store.lifecycle(id).await.unwrap();
    assert_eq!(l.ticket_id, Some(app.emulator.tickets()[0].id));
    assert_eq!(l.state, LifecycleState::Open);
}
