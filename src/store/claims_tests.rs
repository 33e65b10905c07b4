//! Claims under a lease: indexed walks, expiry, fences.

use super::claims::{INFLIGHT_SQL, NEW_SQL};
use super::fixtures::{classic_steps, plan};
use super::testutil::temp_store;
use super::{ClaimOptions, Store, Written};
use crate::clock::UnixMs;

async fn planned_slot(s: &Store, at: UnixMs) -> i64 {
    let id = s.start_slot(at, at, 1).await.unwrap().unwrap();
    s.save_plan(id, &plan(), &classic_steps(), at)
        .await
        .unwrap();
    id
}

async fn plan_of(s: &Store, sql: &str) -> String {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .bind(0_i64)
        .bind(10_i64)
        .bind(true)
        .fetch_all(&s.pool)
        .await
        .unwrap();
    rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn both_claim_queries_walk_an_index_and_never_sort_the_backlog() {
    let (s, _d) = temp_store().await;
    for sql in [INFLIGHT_SQL, NEW_SQL] {
        let plan = plan_of(&s, sql).await;
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        assert!(plan.contains("steps_open_"), "{plan}");
    }
    let plan = plan_of(&s, "SELECT COUNT(*) FROM steps WHERE fd_object_id = ?1").await;
    assert!(plan.contains("steps_fd_object"), "{plan}");
}

#[tokio::test]
async fn an_expired_lease_is_taken_back_and_its_old_holder_can_no_longer_commit() {
    let (s, _d) = temp_store().await;
    s.start_slot(0, 0, 1).await.unwrap();
    let opts = ClaimOptions {
        lease_ms: 1_000,
        ..ClaimOptions::default()
    };
    let first = s.claim(0, 10, opts).await.unwrap().remove(0);
    assert_eq!(first.lease_until, 1_000);
    assert_eq!(s.next_lease_end().await.unwrap(), Some(1_000));
    assert_eq!(s.take_back_expired(999).await.unwrap(), 0);
    assert!(s.leased_steps(999).await.unwrap()[0].expired.eq(&false));
    assert!(s.leased_steps(1_000).await.unwrap()[0].expired);
    assert_eq!(s.take_back_expired(1_000).await.unwrap(), 1);
    let second = s.claim(1_000, 10, opts).await.unwrap().remove(0);
    assert_eq!((second.step_id, second.attempts), (first.step_id, 2));
    assert!(!s.complete_step(&first, 1_500).await.unwrap(), "fenced out");
    assert!(!s.release_step(&first, true).await.unwrap(), "fenced out");
    assert!(s.complete_step(&second, 1_500).await.unwrap());
}

#[tokio::test]
async fn a_released_step_is_pending_again_with_its_attempt_not_counted() {
    let (s, _d) = temp_store().await;
    s.start_slot(0, 0, 1).await.unwrap();
    let c = s.claim_due(0, 10).await.unwrap().remove(0);
    assert!(s.release_step(&c, true).await.unwrap());
    assert_eq!(s.claim_due(0, 10).await.unwrap()[0].attempts, 1);
}

#[tokio::test]
async fn a_drain_claims_no_creation_whose_ticket_was_never_attempted() {
    let (s, _d) = temp_store().await;
    let started = planned_slot(&s, 0).await;
    s.mark_create_intent(started, 0).await.unwrap();
    s.start_slot(1_000, 1_000, 1).await.unwrap();
    let drain = ClaimOptions {
        start_new: false,
        ..ClaimOptions::default()
    };
    let c = s.claim(5_000, 10, drain).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].lifecycle_id, started);
    assert!(s.complete_step(&c[0], 5_000).await.unwrap());
    assert_eq!(s.open_started_steps().await.unwrap(), 4);
    assert_eq!(s.open_steps().await.unwrap(), 5, "the unstarted slot stays");
}

#[tokio::test]
async fn in_flight_steps_fill_a_claim_before_any_new_ticket() {
    let (s, _d) = temp_store().await;
    for at in 0..3 {
        let id = planned_slot(&s, at).await;
        let c = s.claim_due(at, 1).await.unwrap();
        assert_eq!(c[0].lifecycle_id, id);
        s.complete_step(&c[0], at).await.unwrap();
    }
    for at in 10..20 {
        s.start_slot(at, at, 1).await.unwrap();
    }
    let c = s.claim_due(1_000_000, 4).await.unwrap();
    let seqs: Vec<i64> = c.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [1, 1, 1, 0]);
}

#[tokio::test]
async fn a_batch_commits_each_outcome_alone_a_failing_or_fenced_one_changes_nothing() {
    use super::StepWrite;
    let (s, _d) = temp_store().await;
    for at in 0..3 {
        s.start_slot(at, at, 1).await.unwrap();
    }
    let c = s.claim_due(10, 10).await.unwrap();
    assert_eq!(c.len(), 3);
    sqlx::query(
        "CREATE TEMP TRIGGER refuse BEFORE UPDATE OF state ON steps
         WHEN NEW.state = 'retry' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .execute(&s.pool)
    .await
    .unwrap();
    let mut stale = c[2].clone();
    stale.lease_until += 1;
    let writes = [
        StepWrite::Complete {
            step: c[0].clone(),
            now: 20,
            chain: None,
        },
        StepWrite::Retry {
            step: c[1].clone(),
            due_at: 30,
            error: "503".into(),
        },
        StepWrite::Complete {
            step: stale,
            now: 20,
            chain: None,
        },
    ];
    let results = s
        .apply_batch(&writes.iter().collect::<Vec<_>>())
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(Written { ours: true, .. })));
    assert!(results[1].is_err(), "the trigger refused it");
    assert!(
        matches!(results[2], Ok(Written { ours: false, .. })),
        "fenced out"
    );
    let st = s.status(20).await.unwrap();
    assert!(
        st.retrying.is_empty(),
        "the refused retry left nothing behind"
    );
    assert_eq!(s.leased_steps(20).await.unwrap().len(), 2);
    assert_eq!(s.open_steps().await.unwrap(), 2);
}

#[tokio::test]
async fn overdue_steps_are_counted_up_to_a_cap() {
    let (s, _d) = temp_store().await;
    for at in 0..5 {
        s.start_slot(at * 1_000, at * 1_000, 1).await.unwrap();
    }
    assert_eq!(s.overdue_steps(2_000, 100).await.unwrap(), 3);
    assert_eq!(s.overdue_steps(10_000, 2).await.unwrap(), 2);
}
