//! Defect 2: a database locked by another connection for longer than the busy
//! timeout, while a step is in hand, delays the lifecycle but never fails it.

use std::time::Duration;

use sqlx::sqlite::SqlitePoolOptions;
use ticketsim::domain::LifecycleState;
use ticketsim::emulator::Latency;

use super::{eventually, fast_pool};
use crate::harness::{MIN, T0, spawn_app};

#[tokio::test]
async fn a_database_locked_longer_than_the_busy_timeout_delays_a_step_but_never_fails_it() {
    let app = spawn_app().await;
    let d = app.daemon_with(fast_pool()).await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    app.tick_at(&d, T0).await;
    let ticket = d.store.lifecycle(id).await.unwrap().ticket_id.unwrap();
    let mut faults = app.emulator.faults();
    faults.latency_ms = Latency::fixed(300);
    app.emulator.set_faults(faults).unwrap();

    app.clock.set(T0 + 5 * MIN);
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let dispatcher = d.dispatcher.clone();
    let run = tokio::spawn(async move { dispatcher.run(stop, true).await });
    let store = d.store.clone();
    let claimed = eventually(5, || async {
        !store.leased_steps(T0 + 5 * MIN).await.unwrap().is_empty()
    })
    .await;
    assert!(claimed, "the agent reply was claimed");

    // Another process holds the write lock for 6 s (busy_timeout is 5 s).
    let url = format!("sqlite://{}", app.db.display());
    let other = SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let mut conn = other.acquire().await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut *conn)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;

    sqlx::query("COMMIT").execute(&mut *conn).await.unwrap();
    drop(conn);

    // Time moves on only while no step is in hand, so no lease ends early.
    let mut now = T0 + 5 * MIN;
    for _ in 0..500 {
        if run.is_finished() {
            break;
        }
        if store.leased_steps(now).await.unwrap().is_empty() {
            now += MIN;
            app.clock.set(now);
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert!(
        run.is_finished(),
        "the drain ended: {:?} {:?}",
        d.store.steps(id).await.unwrap(),
        d.store.lifecycle(id).await.unwrap()
    );
    run.await.unwrap().unwrap();
    let l = d.store.lifecycle(id).await.unwrap();
    assert_eq!(l.state, LifecycleState::Closed, "{:?}", l.last_error);
    assert_eq!(app.emulator.conversations(ticket).len(), 3);
}
