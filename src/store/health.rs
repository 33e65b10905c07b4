//! What the admin endpoints and the watchdog ask the database: does it
//! answer, and how many lifecycles are in each state.

use sqlx::Row;

use super::{Result, Store};
use crate::domain::LifecycleState;

impl Store {
    /// One trivial read: proves the database answers (the pool is open and a
    /// connection is free within its acquire timeout).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// Lifecycles per state, every state listed (zeros included), in
    /// [`LifecycleState::ALL`]'s order.
    pub async fn lifecycles_by_state(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM lifecycles GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut by_state: Vec<(String, i64)> = LifecycleState::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect();
        for r in &rows {
            let state: String = r.get(0);
            if let Some(slot) = by_state.iter_mut().find(|(s, _)| *s == state) {
                slot.1 = r.get(1);
            }
        }
        Ok(by_state)
    }
}

/// Lifecycles not yet in a terminal state, from [`Store::lifecycles_by_state`].
pub fn in_flight(by_state: &[(String, i64)]) -> i64 {
    by_state
        .iter()
        .filter(|(s, _)| s.parse::<LifecycleState>().is_ok_and(|s| !s.is_terminal()))
        .map(|(_, n)| n)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::temp_store;

    #[tokio::test]
    async fn a_fresh_database_answers_and_counts_zero_in_every_state() {
        let (store, _dir) = temp_store().await;
        store.ping().await.unwrap();
        let by_state = store.lifecycles_by_state().await.unwrap();
        assert_eq!(by_state.len(), LifecycleState::ALL.len());
        assert!(by_state.iter().all(|(_, n)| *n == 0));
        store.start_slot(1_000, 1_000, 9).await.unwrap();
        let by_state = store.lifecycles_by_state().await.unwrap();
        assert_eq!(in_flight(&by_state), 1);
        assert!(by_state.contains(&("scheduled".to_string(), 1)));
    }

    #[tokio::test]
    async fn a_closed_database_does_not_answer() {
        let (store, _dir) = temp_store().await;
        store.close().await;
        assert!(store.ping().await.is_err());
    }
}
