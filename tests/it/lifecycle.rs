//! One lifecycle driven by a manual clock through the dispatcher and the real
//! client against the emulator, checked in the emulator's own state.

use ticketsim::clock::format_iso;
use ticketsim::domain::LifecycleState;

use crate::harness::{MIN, T0, spawn_app};

#[tokio::test]
async fn one_lifecycle_runs_every_step_at_its_offset_as_the_right_people() {
    let app = spawn_app().await;
    let d = app.daemon().await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();

    assert_eq!(
        app.tick_at(&d, T0).await,
        1,
        "creation runs at the slot time"
    );
    let l = d.store.lifecycle(id).await.unwrap();
    let plan = l.plan.clone().unwrap();
    let ticket_id = l.ticket_id.unwrap();
    let ticket = app
        .emulator
        .tickets()
        .into_iter()
        .find(|t| t.id == ticket_id)
        .unwrap();
    assert_eq!(ticket.requester_id, Some(plan.contact_id));
    assert_eq!(
        ticket.responder_id,
        Some(plan.agent_id),
        "assigned to the chosen agent"
    );
    assert_eq!(ticket.subject, plan.subject);
    assert!(ticket.tags.unwrap().contains(&"ticketsim".to_string()));
    assert_eq!(ticket.created_at.as_deref(), Some(format_iso(T0).as_str()));

    assert_eq!(
        app.tick_at(&d, T0 + 5 * MIN - 1).await,
        0,
        "nothing before +5 min"
    );
    for at in [5, 10, 15, 20] {
        assert_eq!(
            app.tick_at(&d, T0 + at * MIN).await,
            1,
            "a step at +{at} min"
        );
    }
    assert_eq!(
        app.tick_at(&d, T0 + 60 * MIN).await,
        0,
        "nothing after the close"
    );

    let convs = app.emulator.conversations(ticket_id);
    assert_eq!(convs.len(), 3);
    let (agent, customer, resolution) = (&convs[0], &convs[1], &convs[2]);
    assert_eq!(
        agent.user_id,
        Some(plan.agent_id),
        "the reply is posted as the agent"
    );
    assert_eq!(
        agent.created_at.as_deref(),
        Some(format_iso(T0 + 5 * MIN).as_str())
    );
    assert_eq!(
        customer.user_id,
        Some(plan.contact_id),
        "the note is posted as the requester"
    );
    assert_eq!(customer.private, Some(false));
    assert_eq!(customer.incoming, Some(true));
    assert_eq!(
        customer.created_at.as_deref(),
        Some(format_iso(T0 + 10 * MIN).as_str())
    );
    assert_eq!(resolution.user_id, Some(plan.agent_id));
    assert_eq!(
        resolution.created_at.as_deref(),
        Some(format_iso(T0 + 15 * MIN).as_str())
    );

    let statuses: Vec<(String, i64)> = app.emulator.status_history(ticket_id);
    let expected = vec![
        (format_iso(T0), 2),
        (format_iso(T0 + 15 * MIN), 4),
        (format_iso(T0 + 20 * MIN), 5),
    ];
    assert_eq!(
        statuses, expected,
        "open, then resolved at +15, closed at +20"
    );

    let l = d.store.lifecycle(id).await.unwrap();
    assert_eq!(l.state, LifecycleState::Closed);
    let rec = d.store.export_record(&l).await.unwrap();
    let authors: Vec<&str> = rec.messages.iter().map(|m| m.author.as_str()).collect();
    assert_eq!(authors, ["customer", "agent", "customer", "agent"]);
    let ids: Vec<i64> = rec.messages.iter().map(|m| m.author_id).collect();
    assert_eq!(
        ids,
        [
            plan.contact_id,
            plan.agent_id,
            plan.contact_id,
            plan.agent_id
        ]
    );
}

#[tokio::test]
async fn a_ticket_deleted_by_someone_stops_only_its_own_lifecycle() {
    let app = spawn_app().await;
    let d = app.daemon().await;
    let gone = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    let kept = d
        .triggers
        .start_slot(T0 + 1_000, T0)
        .await
        .unwrap()
        .unwrap();
    app.tick_at(&d, T0 + 1_000).await;
    let ticket = d.store.lifecycle(gone).await.unwrap().ticket_id.unwrap();
    assert!(app.emulator.delete_ticket_as_someone(ticket));
    for at in [5, 10, 15, 20] {
        app.tick_at(&d, T0 + at * MIN + 1_000).await;
    }
    let l = d.store.lifecycle(gone).await.unwrap();
    assert_eq!(l.state, LifecycleState::Cancelled);
    assert!(l.last_error.unwrap().contains(&ticket.to_string()));
    assert_eq!(
        d.store.lifecycle(kept).await.unwrap().state,
        LifecycleState::Closed
    );
}

#[tokio::test]
async fn a_refused_customer_note_fails_the_lifecycle_with_the_remedy() {
    let mut cfg = crate::harness::emulator_config();
    cfg.allow_assume_identity = false;
    let app = crate::harness::spawn_app_with(cfg).await;
    let d = app.daemon().await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    for at in [0, 5, 10, 15] {
        app.tick_at(&d, T0 + at * MIN).await;
    }
    let l = d.store.lifecycle(id).await.unwrap();
    assert_eq!(l.state, LifecycleState::Failed);
    let reason = l.last_error.unwrap();
    assert!(
        reason.contains("invalid_user") || reason.contains("act as the customer"),
        "{reason}"
    );
    let st = d.store.status(T0).await.unwrap();
    assert_eq!(st.failed[0].lifecycle_id, id, "visible in status");
}
