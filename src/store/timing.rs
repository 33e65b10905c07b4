//! How late steps ran: what the engine benchmark (and a load run's summary)
//! reads back once the steps are done.

use super::{Result, Store};

impl Store {
    /// Number of steps done.
    pub async fn done_steps(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM steps WHERE state = 'done'")
                .fetch_one(&self.reads)
                .await?,
        )
    }

    /// For every step done, how long after its due time it was claimed (its
    /// request follows at once), in ms; never negative. One value per step: for
    /// bounded runs (benchmarks, tests), not for a database of months.
    pub async fn step_lateness_ms(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(0, started_at - due_at) FROM steps
             WHERE state = 'done' AND started_at IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testutil::temp_store;

    #[tokio::test]
    async fn lateness_is_read_for_done_steps_only_from_claim_time_minus_due_time() {
        let (s, _dir) = temp_store().await;
        let a = s.start_slot(1_000, 1_000, 1).await.unwrap().unwrap();
        s.start_slot(50_000, 1_000, 1).await.unwrap().unwrap();
        assert_eq!(s.done_steps().await.unwrap(), 0);
        let claimed = s.claim_due(1_250, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "only the first slot is due");
        assert_eq!(claimed[0].lifecycle_id, a);
        assert!(s.complete_step(&claimed[0], 1_400).await.unwrap());
        assert_eq!(s.done_steps().await.unwrap(), 1);
        assert_eq!(s.step_lateness_ms().await.unwrap(), vec![250]);
    }
}
