//! Chained completions (`load`): the step after a completed one is claimed in
//! the same commit when it is due, with its message's intent; otherwise it is
//! only moved, as a plain completion moves it. Plans that carry the create
//! intent.

use super::fixtures::{classic_steps, plan};
use super::testutil::temp_store;
use super::{ClaimedStep, StepWrite, Store, Written};
use crate::clock::UnixMs;
use crate::domain::{Stage, StepState};

const LEASE: i64 = 60_000;

/// A planned lifecycle of slot time `at` whose steps are `gap` ms apart, its
/// creation step claimed at `now`.
async fn created(s: &Store, at: UnixMs, gap: i64, now: UnixMs) -> (i64, ClaimedStep) {
    let id = s.start_slot(at, at, 1).await.unwrap().unwrap();
    let mut steps = classic_steps();
    for (i, step) in steps.iter_mut().enumerate() {
        step.offset_ms = i as i64 * gap;
    }
    s.save_plan(id, &plan(), &steps, at).await.unwrap();
    let claimed = s.claim_due(now, 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    (id, claimed.into_iter().next().unwrap())
}

async fn complete(s: &Store, step: &ClaimedStep, now: UnixMs, chain: Option<i64>) -> Written {
    let write = StepWrite::Complete {
        step: step.clone(),
        now,
        chain,
    };
    let mut out = s.apply_batch(&[&write]).await.unwrap();
    out.remove(0).unwrap()
}

#[tokio::test]
async fn a_due_next_step_is_claimed_with_the_completion_and_its_message_intent() {
    let (s, _d) = temp_store().await;
    // Zero offsets (a load run's): the next step is due once this one is done.
    let (id, create) = created(&s, 0, 0, 1_000_000).await;
    let w = complete(&s, &create, 1_000_000, Some(LEASE)).await;
    assert!(w.ours);
    let next = w.next.expect("the agent reply was due and claimed");
    assert_eq!((next.lifecycle_id, next.seq), (id, 1));
    assert_eq!(next.stage, Stage::AgentReply);
    assert_eq!((next.attempts, next.lease_until), (1, 1_000_000 + LEASE));
    let m = next.message.as_deref().expect("its message came with it");
    assert_eq!(m.intent_at, Some(1_000_000));
    assert_eq!(m.step_seq, 1);
    let steps = s.steps(id).await.unwrap();
    assert_eq!(steps[0].state, StepState::Done);
    assert_eq!(steps[1].state, StepState::Running);
    assert_eq!(steps[2].state, StepState::Pending);
    let stored = s.message(id, Stage::AgentReply).await.unwrap();
    assert_eq!(stored.intent_at, Some(1_000_000), "the intent is committed");
    assert!(
        s.claim_due(1_000_000, 10).await.unwrap().is_empty(),
        "a claim finds nothing more of this lifecycle"
    );
}

#[tokio::test]
async fn a_next_step_not_yet_due_is_moved_as_a_plain_completion_moves_it() {
    let (s, _d) = temp_store().await;
    // Done at 2,000: the agent reply (planned 5 s after creation) moves to 7,000.
    let (id, create) = created(&s, 0, 5_000, 0).await;
    let w = complete(&s, &create, 2_000, Some(LEASE)).await;
    assert!(w.ours);
    assert!(w.next.is_none(), "not due yet");
    let (plain_id, plain) = created(&s, 1, 5_000, 1).await;
    assert!(complete(&s, &plain, 2_000, None).await.ours);
    let chained = s.steps(id).await.unwrap();
    let moved = s.steps(plain_id).await.unwrap();
    assert_eq!(chained[1].state, StepState::Pending);
    assert_eq!(chained[1].due_at, moved[1].due_at, "moved the same way");
    assert_eq!(chained[1].due_at, crate::clock::format_iso(7_000));
    let m = s.message(id, Stage::AgentReply).await.unwrap();
    assert_eq!(m.intent_at, None, "no intent for a step not claimed");
}

#[tokio::test]
async fn an_earlier_attempts_intent_is_kept_and_the_step_told_to_look_first() {
    let (s, _d) = temp_store().await;
    let (id, create) = created(&s, 0, 0, 1_000_000).await;
    sqlx::query("UPDATE messages SET intent_at = 5 WHERE lifecycle_id = ?1 AND step_seq = 1")
        .bind(id)
        .execute(&s.pool)
        .await
        .unwrap();
    let next = complete(&s, &create, 1_000_000, Some(LEASE))
        .await
        .next
        .expect("claimed all the same");
    assert!(
        next.message.is_none(),
        "not this claim's intent: the step looks before sending"
    );
    let m = s.message(id, Stage::AgentReply).await.unwrap();
    assert_eq!(m.intent_at, Some(5), "the earlier intent stays");
}

#[tokio::test]
async fn a_fenced_out_completion_chains_nothing() {
    let (s, _d) = temp_store().await;
    let (id, create) = created(&s, 0, 0, 1_000_000).await;
    let mut stale = create.clone();
    stale.lease_until += 1;
    let w = complete(&s, &stale, 1_000_000, Some(LEASE)).await;
    assert!(!w.ours && w.next.is_none());
    let steps = s.steps(id).await.unwrap();
    assert_eq!(steps[0].state, StepState::Running, "still the claim's");
    assert_eq!(steps[1].state, StepState::Pending);
}

#[tokio::test]
async fn a_plan_can_carry_the_create_intent_into_its_commit() {
    let (s, _d) = temp_store().await;
    let id = s.start_slot(0, 0, 1).await.unwrap().unwrap();
    let write = StepWrite::Plan {
        lifecycle_id: id,
        plan: Box::new(plan()),
        steps: classic_steps(),
        now: 42,
        create_intent: true,
    };
    let out = s.apply_batch(&[&write]).await.unwrap();
    assert!(out[0].as_ref().unwrap().ours);
    let l = s.lifecycle(id).await.unwrap();
    assert_eq!((l.plan, l.create_intent_at), (Some(plan()), Some(42)));
    let again = StepWrite::Plan {
        lifecycle_id: id,
        plan: Box::new(plan()),
        steps: classic_steps(),
        now: 99,
        create_intent: true,
    };
    let out = s.apply_batch(&[&again]).await.unwrap();
    assert!(!out[0].as_ref().unwrap().ours, "a second plan is refused");
    let l = s.lifecycle(id).await.unwrap();
    assert_eq!(l.create_intent_at, Some(42), "and leaves the intent alone");
}
