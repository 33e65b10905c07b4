//! Crash safety of the POSTs playbooks add: a private note or a time entry sent
//! just before a crash is found after the restart, not sent again; one whose
//! intent was recorded but never sent is sent exactly once.

use ticketsim::domain::Stage;
use ticketsim::freshdesk::types::{NewTimeEntry, Note, TimeSpent};
use ticketsim::store::ClaimedStep;

use super::{closed_ticket, daemon_with, run_to_end};
use crate::harness::{MIN, T0, TestApp, spawn_app};

/// Runs a lifecycle of `playbook` up to the first step of `kind`, then claims it
/// as the crashed process did. Returns the lifecycle id, its ticket and the step.
async fn claimed_before_crash(
    app: &TestApp,
    playbook: &str,
    kind: Stage,
) -> (i64, i64, ClaimedStep) {
    let d = daemon_with(app, playbook).await;
    let id = d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    for _ in 0..20 {
        let next = d.store.next_due_at().await.unwrap().unwrap();
        app.clock.set(next);
        let claimed = d.store.claim_due(next, 10).await.unwrap();
        let step = claimed.into_iter().next().unwrap();
        if step.stage == kind {
            let ticket = d.store.lifecycle(id).await.unwrap().ticket_id.unwrap();
            return (id, ticket, step);
        }
        // not the step we crash in: give it back and run it for real
        d.store.retry_step(&step, next, "test").await.unwrap();
        app.tick_at(&d, next).await;
    }
    panic!("no {kind} step in {playbook}");
}

#[tokio::test]
async fn a_private_note_sent_just_before_a_crash_is_found_not_sent_again() {
    let app = spawn_app().await;
    let (id, ticket, step) = claimed_before_crash(&app, "escalation", Stage::PrivateNote).await;
    {
        // The crashed process recorded its intent and sent the note, then died.
        let d = daemon_with(&app, "escalation").await;
        let m = d.store.step_message(id, step.seq).await.unwrap();
        assert!(m.private);
        d.store
            .mark_message_intent(m.id, T0 + 11 * MIN)
            .await
            .unwrap();
        let note = Note {
            body: m.body.clone(),
            private: Some(true),
            incoming: None,
            user_id: Some(m.author_id),
            ..Default::default()
        };
        app.client().add_note(ticket, &note).await.unwrap();
    }
    let notes_before = app.count_requests("POST", "/notes");
    let d = daemon_with(&app, "escalation").await;
    assert_eq!(d.dispatcher.recover().await.unwrap(), 1);
    run_to_end(&app, &d).await;
    closed_ticket(&app, &d, id).await;
    assert_eq!(
        app.count_requests("POST", "/notes"),
        notes_before,
        "looked before re-sending"
    );
    let private: Vec<i64> = app
        .emulator
        .conversations(ticket)
        .iter()
        .filter(|c| c.private == Some(true))
        .map(|c| c.id)
        .collect();
    assert_eq!(private.len(), 1, "one private note");
    let m = d.store.step_message(id, step.seq).await.unwrap();
    assert_eq!(m.fd_conversation_id, Some(private[0]));
}

/// The time entry the dispatcher would log for `step`.
fn entry_of(step: &ClaimedStep) -> NewTimeEntry {
    let p = &step.params;
    NewTimeEntry {
        time_spent: Some(TimeSpent::from_minutes(p.minutes.unwrap() as u32)),
        billable: p.billable,
        note: p.note.clone(),
        agent_id: p.agent_id,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_time_entry_logged_just_before_a_crash_is_found_not_logged_again() {
    let app = spawn_app().await;
    let (id, ticket, step) = claimed_before_crash(&app, "time-logged", Stage::TimeEntry).await;
    {
        let d = daemon_with(&app, "time-logged").await;
        d.store
            .mark_step_intent(step.step_id, T0 + 13 * MIN)
            .await
            .unwrap();
        app.client()
            .add_time_entry(ticket, &entry_of(&step))
            .await
            .unwrap();
    }
    let d = daemon_with(&app, "time-logged").await;
    assert_eq!(d.dispatcher.recover().await.unwrap(), 1);
    run_to_end(&app, &d).await;
    closed_ticket(&app, &d, id).await;
    assert_eq!(
        app.count_requests("POST", "/time_entries"),
        1,
        "looked before re-sending"
    );
    let entries = app.client().list_time_entries(ticket).await.unwrap();
    assert_eq!(entries.len(), 1);
    let (_, object) = d.store.step_intent(step.step_id).await.unwrap();
    assert_eq!(object, Some(entries[0].id), "the found entry is recorded");
}

#[tokio::test]
async fn a_time_entry_whose_intent_was_recorded_but_never_sent_is_logged_once() {
    let app = spawn_app().await;
    let (id, ticket, step) = claimed_before_crash(&app, "time-logged", Stage::TimeEntry).await;
    {
        // died between recording the intent and sending
        let d = daemon_with(&app, "time-logged").await;
        d.store
            .mark_step_intent(step.step_id, T0 + 13 * MIN)
            .await
            .unwrap();
    }
    let d = daemon_with(&app, "time-logged").await;
    d.dispatcher.recover().await.unwrap();
    run_to_end(&app, &d).await;
    closed_ticket(&app, &d, id).await;
    assert_eq!(app.count_requests("POST", "/time_entries"), 1);
    assert_eq!(
        app.client().list_time_entries(ticket).await.unwrap().len(),
        1
    );
}
