//! Plans with their steps and messages: saving, timing, and what each kind of
//! step does to the lifecycle's state.

use super::PlannedStep;
use super::fixtures::{classic_steps, plan};
use super::testutil::temp_store;
use crate::domain::{LifecycleState, Stage, StepParams};

#[tokio::test]
async fn a_saved_plan_adds_its_steps_and_messages_once() {
    let (s, _d) = temp_store().await;
    let id = s.start_slot(1_000, 0, 1).await.unwrap().unwrap();
    assert_eq!(s.lifecycle(id).await.unwrap().plan, None);
    assert_eq!(
        s.open_steps().await.unwrap(),
        1,
        "only creation before the plan"
    );
    assert!(s.save_plan(id, &plan(), &classic_steps(), 1).await.unwrap());
    let l = s.lifecycle(id).await.unwrap();
    assert_eq!(l.plan, Some(plan()));
    let steps = s.steps(id).await.unwrap();
    let kinds: Vec<Stage> = steps.iter().map(|s| s.stage).collect();
    assert_eq!(
        kinds,
        [
            Stage::Create,
            Stage::AgentReply,
            Stage::CustomerReply,
            Stage::Resolve,
            Stage::Close
        ]
    );
    let m = s.message(id, Stage::AgentReply).await.unwrap();
    assert_eq!((m.author_kind.as_str(), m.author_id), ("agent", 22));
    let m = s.message(id, Stage::CustomerReply).await.unwrap();
    assert_eq!(
        (m.author_kind.as_str(), m.author_id, m.step_seq),
        ("customer", 11, 2)
    );
    let mut other = plan();
    other.subject = "changed".into();
    assert!(!s.save_plan(id, &other, &classic_steps(), 2).await.unwrap());
    assert_eq!(s.lifecycle(id).await.unwrap().plan, Some(plan()), "kept");
    assert_eq!(s.steps(id).await.unwrap().len(), 5);
}

#[tokio::test]
async fn later_steps_are_due_at_the_slot_time_plus_their_offset() {
    let (s, _d) = temp_store().await;
    let id = s.start_slot(1_000, 0, 1).await.unwrap().unwrap();
    s.save_plan(id, &plan(), &classic_steps(), 500)
        .await
        .unwrap();
    let due: Vec<String> = s
        .steps(id)
        .await
        .unwrap()
        .iter()
        .map(|s| s.due_at.clone())
        .collect();
    let want: Vec<String> = [1_000, 6_000, 11_000, 16_000, 21_000]
        .map(crate::clock::format_iso)
        .to_vec();
    assert_eq!(due, want);
}

#[tokio::test]
async fn intents_tickets_and_sent_messages_are_recorded() {
    let (s, _d) = temp_store().await;
    let id = s.start_slot(0, 0, 1).await.unwrap().unwrap();
    s.save_plan(id, &plan(), &classic_steps(), 1).await.unwrap();
    s.mark_create_intent(id, 2).await.unwrap();
    assert!(!s.ticket_is_known(7).await.unwrap());
    s.record_ticket(id, 7, 3).await.unwrap();
    assert!(s.ticket_is_known(7).await.unwrap());
    let l = s.find_lifecycle(7).await.unwrap().unwrap();
    assert_eq!(
        (l.id, l.create_intent_at, l.ticket_id),
        (id, Some(2), Some(7))
    );
    let m = s.message(id, Stage::AgentReply).await.unwrap();
    s.mark_message_intent(m.id, 4).await.unwrap();
    s.mark_message_sent(m.id, 900, 5).await.unwrap();
    assert!(s.conversation_is_known(900).await.unwrap());
    let all = s.messages(id).await.unwrap();
    assert_eq!(all[0].stage, Stage::Create);
    assert_eq!(all[0].sent_at, Some(3));
    assert_eq!(all[1].fd_conversation_id, Some(900));
    assert_eq!(all[1].intent_at, Some(4));
    assert_eq!(all[2].sent_at, None);
}

#[tokio::test]
async fn a_step_that_changes_nothing_keeps_the_lifecycle_state() {
    let (s, _d) = temp_store().await;
    let id = s.start_slot(0, 0, 1).await.unwrap().unwrap();
    let mut steps = classic_steps();
    steps.insert(
        2,
        PlannedStep {
            kind: Stage::Status,
            params: StepParams::status(3),
            offset_ms: 7_000,
            message: None,
        },
    );
    s.save_plan(id, &plan(), &steps, 0).await.unwrap();
    for (at, want) in [
        (0, LifecycleState::Open),
        (5_000, LifecycleState::AgentReplied),
        (7_000, LifecycleState::AgentReplied),
    ] {
        let c = s.claim_due(at, 1).await.unwrap();
        assert!(s.complete_step(&c[0], at).await.unwrap());
        assert_eq!(s.lifecycle(id).await.unwrap().state, want, "at {at}");
    }
    let c = s.claim_due(10_000, 1).await.unwrap();
    assert_eq!(c[0].params, StepParams::default());
    assert_eq!((c[0].stage, c[0].seq), (Stage::CustomerReply, 3));
}
