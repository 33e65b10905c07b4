//! Defect 1: a commit that fails leaves its step `running`; the running daemon
//! takes it back when its lease expires, and a drain still ends.

use std::time::Duration;

use sqlx::sqlite::SqlitePoolOptions;
use ticketsim::domain::LifecycleState;

use super::{eventually, fast_pool};
use crate::harness::{MIN, T0, spawn_app};

#[tokio::test]
async fn a_step_whose_commit_failed_is_taken_back_at_lease_expiry_and_a_drain_still_ends() {
    let app = spawn_app().await;
    let d = app.daemon_with(fast_pool()).await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    app.tick_at(&d, T0).await;
    let ticket = d.store.lifecycle(id).await.unwrap().ticket_id.unwrap();

    // Another connection makes the agent reply's commit fail, once.
    let url = format!("sqlite://{}", app.db.display());
    let other = SqlitePoolOptions::new().connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER fail_once BEFORE UPDATE OF state ON steps
         WHEN NEW.state = 'done' AND OLD.seq = 1
         BEGIN SELECT RAISE(ABORT, 'injected commit failure'); END",
    )
    .execute(&other)
    .await
    .unwrap();

    app.clock.set(T0 + 5 * MIN);
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let dispatcher = d.dispatcher.clone();
    let run = tokio::spawn(async move { dispatcher.run(stop, true).await });

    let store = d.store.clone();
    let stuck = eventually(5, || async {
        let leased = store.leased_steps(T0 + 5 * MIN).await.unwrap();
        app.emulator.conversations(ticket).len() == 1 && leased.len() == 1
    })
    .await;
    assert!(stuck, "the reply was sent but its commit failed");
    assert!(!run.is_finished(), "the daemon goes on");
    let dir = app.db.parent().unwrap();
    let out = crate::process::ticketsim(dir, &[])
        .args(["--db", app.db.to_str().unwrap(), "status"])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("lifecycle {id} (ticket {ticket}) agent_reply")),
        "status lists the step in hand:\n{text}"
    );
    sqlx::query("DROP TRIGGER fail_once")
        .execute(&other)
        .await
        .unwrap();

    // The lease ends one minute later; then the remaining steps come due.
    // The clock moves on only once no step is in hand: a jump past a lease
    // while a worker still sends would take the step from a live worker,
    // which the real clock never does (a worker gives a step up first).
    let mut now = T0 + 6 * MIN;
    for _ in 0..200 {
        app.clock.set(now);
        if run.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        let idle = eventually(5, || async {
            let running: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM steps WHERE state = 'running'")
                    .fetch_one(&other)
                    .await
                    .unwrap();
            running == 0 || run.is_finished()
        })
        .await;
        assert!(idle, "the steps in hand end");
        now += MIN;
    }
    assert!(run.is_finished(), "the drain ended");
    run.await.unwrap().unwrap();
    let l = d.store.lifecycle(id).await.unwrap();
    assert_eq!(l.state, LifecycleState::Closed);
    assert_eq!(
        app.emulator.conversations(ticket).len(),
        3,
        "no message sent twice"
    );
}
