//! Slots, steps and the dispatcher's claim/commit statements.

use super::slots::{SlotRequest, SlotSource, SlotStart};
use super::{Result, Store, StoreError};
use crate::clock::UnixMs;
use crate::domain::StepParams;

impl Store {
    /// Inserts the cron slot for time `at` with its lifecycle and its creation
    /// step, all in one transaction, with no cap. The steps after creation
    /// depend on the playbook, so the plan adds them ([`Store::save_plan`])
    /// before the first request. Returns the lifecycle id, or `None` when the
    /// slot already exists (a slot never starts twice).
    pub async fn start_slot(&self, at: UnixMs, now: UnixMs, run_seed: u64) -> Result<Option<i64>> {
        let req = SlotRequest {
            at,
            now,
            run_seed,
            source: SlotSource::Cron,
            playbook: None,
            daily_cap: None,
            lifecycles: 1,
        };
        Ok(match self.start_slot_with(&req).await? {
            SlotStart::Started(ids) => ids.first().copied(),
            SlotStart::Exists | SlotStart::Capped(_) => None,
        })
    }

    /// Records a missed slot that is not run, so it is neither run nor counted again.
    pub async fn skip_slot(&self, at: UnixMs, now: UnixMs, note: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO slots (scheduled_at, state, inserted_at, note) VALUES (?1, 'skipped', ?2, ?3)
             ON CONFLICT (scheduled_at) DO NOTHING",
        )
        .bind(at)
        .bind(now)
        .bind(note)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The most recent cron slot time recorded, run or skipped (spawned slots
    /// are not cron times). Walks the `scheduled_at` index from the end.
    pub async fn last_slot_at(&self) -> Result<Option<UnixMs>> {
        Ok(sqlx::query_scalar(
            "SELECT scheduled_at FROM slots WHERE source = 'cron' ORDER BY scheduled_at DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }
}

/// Reads `steps.params` (JSON, or NULL for none).
pub(super) fn parse_params(raw: Option<String>) -> Result<StepParams> {
    match raw {
        None => Ok(StepParams::default()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| StoreError::Data(format!("step parameters {text:?}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LifecycleState, Stage};
    use crate::store::fixtures::{classic_steps, plan};
    use crate::store::testutil::temp_store;

    /// A slot at `at` whose lifecycle is planned with the classic steps
    /// (+5/+10/+15/+20 s).
    async fn planned_slot(s: &Store, at: UnixMs) -> i64 {
        let id = s.start_slot(at, at, 1).await.unwrap().unwrap();
        s.save_plan(id, &plan(), &classic_steps(), at)
            .await
            .unwrap();
        id
    }

    #[tokio::test]
    async fn a_slot_starts_once_even_when_inserted_twice() {
        let (s, _d) = temp_store().await;
        assert!(s.start_slot(1_000, 1_000, 1).await.unwrap().is_some());
        assert!(s.start_slot(1_000, 2_000, 1).await.unwrap().is_none());
        assert!(!s.skip_slot(1_000, 2_000, "x").await.unwrap());
        assert_eq!(s.last_slot_at().await.unwrap(), Some(1_000));
        assert_eq!(s.open_steps().await.unwrap(), 1, "creation, until planned");
    }

    #[tokio::test]
    async fn only_the_next_step_of_a_lifecycle_is_claimable() {
        let (s, _d) = temp_store().await;
        planned_slot(&s, 0).await;
        // everything is overdue, yet only creation may run
        let claimed = s.claim_due(100_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!((claimed[0].stage, claimed[0].seq), (Stage::Create, 0));
        assert_eq!(claimed[0].attempts, 1);
        // while it runs, nothing else is claimable and nothing is "next due"
        assert!(s.claim_due(100_000, 10).await.unwrap().is_empty());
        assert_eq!(s.next_due_at().await.unwrap(), None);
        assert!(s.complete_step(&claimed[0], 100_000).await.unwrap());
        // the next step keeps its 5 s gap after the late creation
        assert_eq!(s.next_due_at().await.unwrap(), Some(105_000));
        assert!(s.claim_due(104_999, 10).await.unwrap().is_empty());
        let next = s.claim_due(105_000, 10).await.unwrap();
        assert_eq!((next[0].stage, next[0].seq), (Stage::AgentReply, 1));
    }

    #[tokio::test]
    async fn a_step_done_on_time_leaves_the_next_one_at_its_planned_time() {
        let (s, _d) = temp_store().await;
        planned_slot(&s, 0).await;
        let c = s.claim_due(0, 1).await.unwrap();
        assert!(s.complete_step(&c[0], 0).await.unwrap());
        assert_eq!(s.next_due_at().await.unwrap(), Some(5_000), "as planned");
    }

    #[tokio::test]
    async fn in_flight_steps_are_claimed_before_new_tickets() {
        let (s, _d) = temp_store().await;
        planned_slot(&s, 0).await;
        let c = s.claim_due(0, 1).await.unwrap();
        s.complete_step(&c[0], 0).await.unwrap();
        s.start_slot(1_000, 1_000, 1).await.unwrap();
        let c = s.claim_due(10_000, 1).await.unwrap();
        assert_eq!(
            c[0].stage,
            Stage::AgentReply,
            "older in-flight step goes first"
        );
    }

    #[tokio::test]
    async fn recovery_turns_running_steps_into_due_retries_and_keeps_attempts() {
        let (s, _d) = temp_store().await;
        s.start_slot(0, 0, 1).await.unwrap();
        s.claim_due(0, 10).await.unwrap();
        assert_eq!(s.recover_running(50).await.unwrap(), 1);
        let again = s.claim_due(50, 10).await.unwrap();
        assert_eq!(again[0].attempts, 2);
    }

    #[tokio::test]
    async fn a_fenced_commit_fails_when_the_step_is_no_longer_running() {
        let (s, _d) = temp_store().await;
        s.start_slot(0, 0, 1).await.unwrap();
        let c = s.claim_due(0, 10).await.unwrap();
        assert!(s.retry_step(&c[0], 10, "boom").await.unwrap());
        assert!(!s.complete_step(&c[0], 10).await.unwrap());
        assert!(!s.retry_step(&c[0], 10, "boom").await.unwrap());
    }

    #[tokio::test]
    async fn ending_a_lifecycle_cancels_its_remaining_steps() {
        let (s, _d) = temp_store().await;
        planned_slot(&s, 0).await;
        let c = s.claim_due(0, 10).await.unwrap();
        assert!(
            s.end_lifecycle(&c[0], 5, LifecycleState::Failed, "400 bad")
                .await
                .unwrap()
        );
        assert_eq!(s.open_steps().await.unwrap(), 0);
        let st = s.status(5).await.unwrap();
        assert_eq!(st.failed[0].reason.as_deref(), Some("400 bad"));
    }
}
