//! Training tables: events deduplicated by key, trainee tickets adopted once,
//! a reply answered once, an ended lifecycle no longer chased.

use super::fixtures::{classic_steps, plan};
use super::testutil::temp_store;
use super::{InboxEvent, PlannedMessage, PlannedStep, ReactionWrite, Store, TrainingTicket};
use crate::domain::{Stage, StepParams};

async fn trainee(s: &Store) -> i64 {
    let id = s.start_slot(1_000, 0, 1).await.unwrap().unwrap();
    let mut p = plan();
    p.training = Some("{}".into());
    assert!(s.save_plan(id, &p, &classic_steps(), 1).await.unwrap());
    s.record_ticket(id, 77, 5).await.unwrap();
    id
}

fn reaction(lifecycle_id: i64, conversation: Option<i64>) -> ReactionWrite {
    let step = PlannedStep {
        kind: Stage::CustomerReply,
        params: StepParams::default(),
        offset_ms: 9_000,
        message: Some(PlannedMessage {
            author_kind: "customer".into(),
            author_id: 11,
            body: "<p>It's still broken.</p>".into(),
            private: false,
        }),
    };
    ReactionWrite {
        lifecycle_id,
        conversation_id: conversation,
        agent_id: Some(22),
        reaction: "still_broken".into(),
        steps: vec![step],
        state: r#"{"exchanges":1}"#.into(),
        chase_due_at: Some(50_000),
        closed_at: None,
        grade: None,
    }
}

#[tokio::test]
async fn an_event_key_is_recorded_once_and_finished_events_leave_the_queue() {
    let (s, _d) = temp_store().await;
    let e = InboxEvent {
        event_key: "77:0:ticket_updated:abc".into(),
        ticket_id: 77,
        event: "ticket_updated".into(),
        source: "webhook".into(),
        status: Some(4),
    };
    assert!(s.record_event(&e, 1).await.unwrap());
    assert!(!s.record_event(&e, 2).await.unwrap());
    let pending = s.pending_events(10).await.unwrap();
    assert_eq!((pending.len(), pending[0].status), (1, Some(4)));
    s.finish_event(pending[0].id, 3, "done").await.unwrap();
    assert!(s.pending_events(10).await.unwrap().is_empty());
    assert_eq!(s.event_count().await.unwrap(), 1);
}

#[tokio::test]
async fn a_trainee_ticket_is_adopted_once_and_a_reply_answered_once() {
    let (s, _d) = temp_store().await;
    let id = trainee(&s).await;
    let found = s.unadopted_trainees(10).await.unwrap();
    assert_eq!(found.len(), 1);
    let t = TrainingTicket {
        lifecycle_id: id,
        ticket_id: 77,
        scenario: "double-charge".into(),
        state: "{}".into(),
        chase_due_at: Some(10),
        closed_at: None,
        grade: None,
    };
    assert!(s.adopt_trainee(&t).await.unwrap());
    assert!(!s.adopt_trainee(&t).await.unwrap());
    assert!(s.unadopted_trainees(10).await.unwrap().is_empty());
    let before = s.steps(id).await.unwrap().len();
    assert!(s.apply_reaction(&reaction(id, Some(500)), 2).await.unwrap());
    assert!(!s.apply_reaction(&reaction(id, Some(500)), 3).await.unwrap());
    let steps = s.steps(id).await.unwrap();
    assert_eq!(steps.len(), before + 1, "one answer step");
    let last = steps.last().unwrap();
    assert_eq!(last.stage, Stage::CustomerReply);
    assert_eq!(
        last.due_at,
        crate::clock::format_iso(9_000),
        "at the due time asked for"
    );
    assert!(s.reply_is_seen(500).await.unwrap());
    let row = s.training_ticket(77).await.unwrap().unwrap();
    assert_eq!(
        (row.chase_due_at, row.state.as_str()),
        (Some(50_000), r#"{"exchanges":1}"#)
    );
    assert_eq!(s.due_chases(60_000, 10).await.unwrap().len(), 1);
    sqlx::query("UPDATE lifecycles SET state = 'failed' WHERE id = ?1")
        .bind(id)
        .execute(&s.pool)
        .await
        .unwrap();
    assert!(!s.apply_reaction(&reaction(id, None), 4).await.unwrap());
    let row = s.training_ticket(77).await.unwrap().unwrap();
    assert_eq!((row.chase_due_at, row.closed_at), (None, Some(4)));
    assert!(s.due_chases(60_000, 10).await.unwrap().is_empty());
}
