//! Adoption after an uncertain create: only a ticket made after the create
//! intent (less a small clock skew) is taken as the one the attempt made.

use ticketsim::domain::LifecycleState;

use crate::harness::{MIN, T0, TestApp, spawn_app};

/// Puts the database back in the state of a crash right after `POST
/// /tickets` was sent with its intent recorded at `intent_at`: no ticket
/// recorded, creation step still running.
async fn crash_after_create_intent(app: &TestApp, intent_at: i64) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", app.db.display()))
        .await
        .unwrap();
    let intent = format!(
        "UPDATE lifecycles SET ticket_id = NULL, ticket_created_at = NULL, \
         state = 'scheduled', create_intent_at = {intent_at}"
    );
    for sql in [
        intent.as_str(),
        "UPDATE steps SET state = 'running' WHERE seq = 0",
        "UPDATE messages SET sent_at = NULL WHERE stage = 'create'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn a_matching_ticket_created_before_the_create_intent_is_not_adopted() {
    let app = spawn_app().await;
    let id = {
        let d = app.daemon().await;
        let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
        app.tick_at(&d, T0).await;
        id
    };
    // Same requester, subject and tag, but made 10 minutes before the intent
    // (say by an earlier run of the same seed): not ours.
    let older = app.emulator.tickets()[0].id;
    crash_after_create_intent(&app, T0 + 10 * MIN).await;

    let d = app.daemon().await;
    d.dispatcher.recover().await.unwrap();
    app.clock.set(T0 + 10 * MIN);
    for at in [11, 12, 13] {
        app.tick_at(&d, T0 + at * MIN).await;
    }
    assert_eq!(
        app.count_requests("POST", "/tickets"),
        2,
        "the older ticket did not stop the create"
    );
    let l = d.store.lifecycle(id).await.unwrap();
    assert_ne!(l.ticket_id, Some(older), "the older ticket is not adopted");
    assert!(l.ticket_id.is_some());
    assert_eq!(l.state, LifecycleState::Open);
    let lists: Vec<_> = app
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/tickets"))
        .collect();
    assert_eq!(lists.len(), 1, "one page of the requester's tickets");
    let query = lists[0].query.as_deref().unwrap_or("");
    assert!(
        query.contains("order_by=created_at")
            && query.contains("order_type=desc")
            && query.contains("per_page=100"),
        "{query}"
    );
}

#[tokio::test]
async fn a_ticket_created_within_the_clock_skew_before_the_intent_is_adopted() {
    let app = spawn_app().await;
    let id = {
        let d = app.daemon().await;
        let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
        app.tick_at(&d, T0).await;
        id
    };
    // Freshdesk's clock may run a little behind ours.
    crash_after_create_intent(&app, T0 + 30_000).await;
    let d = app.daemon().await;
    d.dispatcher.recover().await.unwrap();
    for at in [1, 2, 3] {
        app.tick_at(&d, T0 + at * MIN).await;
    }
    assert_eq!(app.count_requests("POST", "/tickets"), 1);
    let l = d.store.lifecycle(id).await.unwrap();
    assert_eq!(l.ticket_id, Some(app.emulator.tickets()[0].id));
}
