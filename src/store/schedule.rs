//! Slots, steps and the dispatcher's claim/commit statements.

use sqlx::Row;

use super::{Result, Store, parse_text};
use crate::clock::UnixMs;
use crate::domain::{self, LifecycleState, Stage, StageOffsets, StepState};

/// A step the dispatcher has claimed (state `running`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedStep {
    pub step_id: i64,
    pub lifecycle_id: i64,
    pub stage: Stage,
    pub offset_ms: i64,
    pub due_at: UnixMs,
    /// Counting this claim; above 1 means an earlier attempt may have had effects.
    pub attempts: i64,
}

/// Steps of in-flight tickets (seq > 0) go before creating new tickets.
const CLAIM_SQL: &str = "
UPDATE steps SET state = 'running', attempts = attempts + 1, started_at = ?1
WHERE id IN (
    SELECT s.id FROM steps s
    WHERE s.state IN ('pending', 'retry') AND s.due_at <= ?1
      AND NOT EXISTS (SELECT 1 FROM steps p
                      WHERE p.lifecycle_id = s.lifecycle_id AND p.seq < s.seq
                        AND p.state <> 'done')
    ORDER BY (s.seq = 0), s.due_at, s.id
    LIMIT ?2)
RETURNING id, lifecycle_id, stage, offset_ms, due_at, attempts";

/// Walks open steps in due order (partial index `steps_open_due`) and stops at
/// the first whose predecessors are all done.
const NEXT_DUE_SQL: &str = "
SELECT s.due_at FROM steps s INDEXED BY steps_open_due
WHERE s.state IN ('pending', 'retry')
  AND NOT EXISTS (SELECT 1 FROM steps p
                  WHERE p.lifecycle_id = s.lifecycle_id AND p.seq < s.seq
                    AND p.state <> 'done')
ORDER BY s.due_at LIMIT 1";

impl Store {
    /// Inserts the slot for cron time `at` with its lifecycle and planned steps,
    /// all in one transaction. Returns the lifecycle id, or `None` when the slot
    /// already exists (a slot never starts twice).
    pub async fn start_slot(
        &self,
        at: UnixMs,
        now: UnixMs,
        run_seed: u64,
        offsets: &StageOffsets,
    ) -> Result<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO slots (scheduled_at, state, inserted_at) VALUES (?1, 'started', ?2)
             ON CONFLICT (scheduled_at) DO NOTHING RETURNING id",
        )
        .bind(at)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = inserted else {
            return Ok(None);
        };
        let slot_id: i64 = row.get(0);
        let seed = domain::lifecycle_seed(run_seed, at) as i64;
        let lifecycle_id: i64 = sqlx::query_scalar(
            "INSERT INTO lifecycles (slot_id, state, seed, created_at, updated_at)
             VALUES (?1, 'scheduled', ?2, ?3, ?4) RETURNING id",
        )
        .bind(slot_id)
        .bind(seed)
        .bind(at)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (seq, step) in domain::plan_steps(at, offsets).iter().enumerate() {
            sqlx::query(
                "INSERT INTO steps (lifecycle_id, seq, stage, offset_ms, due_at, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending')",
            )
            .bind(lifecycle_id)
            .bind(seq as i64)
            .bind(step.stage.as_str())
            .bind(step.offset_ms)
            .bind(step.due_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(lifecycle_id))
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

    /// The most recent slot time recorded, run or skipped.
    pub async fn last_slot_at(&self) -> Result<Option<UnixMs>> {
        Ok(sqlx::query_scalar("SELECT MAX(scheduled_at) FROM slots")
            .fetch_one(&self.pool)
            .await?)
    }

    /// At start-up every `running` step is an orphan of a crash: make it due
    /// again. Its attempt count stays, which tells the dispatcher to look before
    /// re-sending anything. Returns how many were recovered.
    pub async fn recover_running(&self, now: UnixMs) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE steps SET state = 'retry', last_error = 'interrupted (recovered at start-up)',
             due_at = MIN(due_at, ?1) WHERE state = 'running'",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Claims up to `limit` due steps, at most one per lifecycle (the next one).
    pub async fn claim_due(&self, now: UnixMs, limit: i64) -> Result<Vec<ClaimedStep>> {
        let rows = sqlx::query(CLAIM_SQL)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(ClaimedStep {
                step_id: r.get(0),
                lifecycle_id: r.get(1),
                stage: parse_text(r.get::<&str, _>(2))?,
                offset_ms: r.get(3),
                due_at: r.get(4),
                attempts: r.get(5),
            });
        }
        out.sort_by_key(|s| (s.due_at, s.step_id));
        Ok(out)
    }

    /// The earliest time a step becomes claimable, if any step is waiting.
    pub async fn next_due_at(&self) -> Result<Option<UnixMs>> {
        Ok(sqlx::query_scalar(NEXT_DUE_SQL)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Number of steps not yet in a final state (pending, running, retry).
    pub async fn open_steps(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM steps WHERE state IN ('pending', 'running', 'retry')",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Commits a finished step (fenced: only if it is still `running`), moves the
    /// lifecycle on, and pushes the next step out so the planned gap is kept.
    /// Returns false if the fence failed (someone else owns the step).
    pub async fn complete_step(&self, step: &ClaimedStep, now: UnixMs) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let fenced = sqlx::query(
            "UPDATE steps SET state = 'done', finished_at = ?2, last_error = NULL
             WHERE id = ?1 AND state = 'running'",
        )
        .bind(step.step_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if fenced.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE lifecycles SET state = ?2, updated_at = ?3, last_error = NULL WHERE id = ?1",
        )
        .bind(step.lifecycle_id)
        .bind(step.stage.state_after().as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let next = sqlx::query(
            "SELECT id, offset_ms, due_at FROM steps WHERE lifecycle_id = ?1 AND seq = ?2",
        )
        .bind(step.lifecycle_id)
        .bind(step.stage.seq() as i64 + 1)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = next {
            let due = domain::next_due(now, step.offset_ms, r.get(1), r.get(2));
            sqlx::query("UPDATE steps SET due_at = ?2 WHERE id = ?1")
                .bind(r.get::<i64, _>(0))
                .bind(due)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Puts a claimed step back to wait until `due_at`, keeping the error.
    pub async fn retry_step(
        &self,
        step: &ClaimedStep,
        due_at: UnixMs,
        error: &str,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let fenced = sqlx::query(
            "UPDATE steps SET state = 'retry', due_at = ?2, last_error = ?3
             WHERE id = ?1 AND state = 'running'",
        )
        .bind(step.step_id)
        .bind(due_at)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE lifecycles SET last_error = ?2 WHERE id = ?1")
            .bind(step.lifecycle_id)
            .bind(error)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(fenced.rows_affected() == 1)
    }

    /// Ends a lifecycle at this step: the step becomes `failed` (or `cancelled`),
    /// the steps after it `cancelled`, the lifecycle takes `end` with the reason.
    pub async fn end_lifecycle(
        &self,
        step: &ClaimedStep,
        now: UnixMs,
        end: LifecycleState,
        reason: &str,
    ) -> Result<bool> {
        let step_state = match end {
            LifecycleState::Cancelled => StepState::Cancelled,
            _ => StepState::Failed,
        };
        let mut tx = self.pool.begin().await?;
        let fenced = sqlx::query(
            "UPDATE steps SET state = ?2, finished_at = ?3, last_error = ?4
             WHERE id = ?1 AND state = 'running'",
        )
        .bind(step.step_id)
        .bind(step_state.as_str())
        .bind(now)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        if fenced.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE steps SET state = 'cancelled', finished_at = ?3
             WHERE lifecycle_id = ?1 AND seq > ?2 AND state IN ('pending', 'retry')",
        )
        .bind(step.lifecycle_id)
        .bind(step.stage.seq() as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE lifecycles SET state = ?2, updated_at = ?3, last_error = ?4 WHERE id = ?1",
        )
        .bind(step.lifecycle_id)
        .bind(end.as_str())
        .bind(now)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::temp_store;

    const OFFS: StageOffsets = StageOffsets([5_000, 10_000, 15_000, 20_000]);

    #[tokio::test]
    async fn a_slot_starts_once_even_when_inserted_twice() {
        let (s, _d) = temp_store().await;
        assert!(
            s.start_slot(1_000, 1_000, 1, &OFFS)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            s.start_slot(1_000, 2_000, 1, &OFFS)
                .await
                .unwrap()
                .is_none()
        );
        assert!(!s.skip_slot(1_000, 2_000, "x").await.unwrap());
        assert_eq!(s.last_slot_at().await.unwrap(), Some(1_000));
        assert_eq!(s.open_steps().await.unwrap(), 5);
    }

    #[tokio::test]
    async fn only_the_next_step_of_a_lifecycle_is_claimable() {
        let (s, _d) = temp_store().await;
        s.start_slot(0, 0, 1, &OFFS).await.unwrap();
        // everything is overdue, yet only creation may run
        let claimed = s.claim_due(100_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].stage, Stage::Create);
        assert_eq!(claimed[0].attempts, 1);
        // while it runs, nothing else is claimable and nothing is "next due"
        assert!(s.claim_due(100_000, 10).await.unwrap().is_empty());
        assert_eq!(s.next_due_at().await.unwrap(), None);
        assert!(s.complete_step(&claimed[0], 100_000).await.unwrap());
        // the next step keeps its 5 s gap after the late creation
        assert_eq!(s.next_due_at().await.unwrap(), Some(105_000));
        assert!(s.claim_due(104_999, 10).await.unwrap().is_empty());
        let next = s.claim_due(105_000, 10).await.unwrap();
        assert_eq!(next[0].stage, Stage::AgentReply);
    }

    #[tokio::test]
    async fn in_flight_steps_are_claimed_before_new_tickets() {
        let (s, _d) = temp_store().await;
        s.start_slot(0, 0, 1, &OFFS).await.unwrap();
        let c = s.claim_due(0, 1).await.unwrap();
        s.complete_step(&c[0], 0).await.unwrap();
        s.start_slot(1_000, 1_000, 1, &OFFS).await.unwrap();
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
        s.start_slot(0, 0, 1, &OFFS).await.unwrap();
        s.claim_due(0, 10).await.unwrap();
        assert_eq!(s.recover_running(50).await.unwrap(), 1);
        let again = s.claim_due(50, 10).await.unwrap();
        assert_eq!(again[0].attempts, 2);
    }

    #[tokio::test]
    async fn a_fenced_commit_fails_when_the_step_is_no_longer_running() {
        let (s, _d) = temp_store().await;
        s.start_slot(0, 0, 1, &OFFS).await.unwrap();
        let c = s.claim_due(0, 10).await.unwrap();
        assert!(s.retry_step(&c[0], 10, "boom").await.unwrap());
        assert!(!s.complete_step(&c[0], 10).await.unwrap());
        assert!(!s.retry_step(&c[0], 10, "boom").await.unwrap());
    }

    #[tokio::test]
    async fn ending_a_lifecycle_cancels_its_remaining_steps() {
        let (s, _d) = temp_store().await;
        s.start_slot(0, 0, 1, &OFFS).await.unwrap();
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
