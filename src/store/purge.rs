//! What `ticketsim purge` reads (the tickets ticketsim made) and records (what
//! it removed from Freshdesk), so a killed purge resumes where it stopped.

use std::collections::HashSet;

use super::{Result, Store};
use crate::domain::UnixMs;

/// The kind of remote object a purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeKind {
    Ticket,
    Contact,
}

impl PurgeKind {
    fn as_str(self) -> &'static str {
        match self {
            PurgeKind::Ticket => "ticket",
            PurgeKind::Contact => "contact",
        }
    }
}

/// Whether the purge deleted the object or found it already gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeOutcome {
    Deleted,
    Gone,
}

impl Store {
    /// Every Freshdesk ticket id a lifecycle recorded, ascending.
    pub async fn made_ticket_ids(&self) -> Result<Vec<i64>> {
        let ids = sqlx::query_scalar(
            "SELECT ticket_id FROM lifecycles WHERE ticket_id IS NOT NULL ORDER BY ticket_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    /// Every Freshdesk ticket a lifecycle recorded, with when it was created
    /// (`None` when unknown), ascending by id.
    pub async fn made_tickets(&self) -> Result<Vec<(i64, Option<UnixMs>)>> {
        let rows = sqlx::query_as(
            "SELECT ticket_id, ticket_created_at FROM lifecycles
             WHERE ticket_id IS NOT NULL ORDER BY ticket_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// The ids of this kind that an earlier purge already removed.
    pub async fn purged_ids(&self, kind: PurgeKind) -> Result<HashSet<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT remote_id FROM purged WHERE kind = ?1")
            .bind(kind.as_str())
            .fetch_all(&self.pool)
            .await?;
        Ok(ids.into_iter().collect())
    }

    /// Records one removal (idempotent: a second record keeps the first).
    pub async fn record_purged(
        &self,
        kind: PurgeKind,
        id: i64,
        outcome: PurgeOutcome,
        at: UnixMs,
    ) -> Result<()> {
        let outcome = match outcome {
            PurgeOutcome::Deleted => "deleted",
            PurgeOutcome::Gone => "gone",
        };
        sqlx::query(
            "INSERT INTO purged (kind, remote_id, outcome, purged_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, remote_id) DO NOTHING",
        )
        .bind(kind.as_str())
        .bind(id)
        .bind(outcome)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::temp_store;

    #[tokio::test]
    async fn a_removal_is_recorded_once_per_kind_and_id() {
        let (store, _dir) = temp_store().await;
        assert!(store.made_ticket_ids().await.unwrap().is_empty());
        store
            .record_purged(PurgeKind::Ticket, 7, PurgeOutcome::Deleted, 1)
            .await
            .unwrap();
        store
            .record_purged(PurgeKind::Ticket, 7, PurgeOutcome::Gone, 2)
            .await
            .unwrap();
        store
            .record_purged(PurgeKind::Contact, 7, PurgeOutcome::Gone, 2)
            .await
            .unwrap();
        let tickets = store.purged_ids(PurgeKind::Ticket).await.unwrap();
        assert_eq!(tickets, HashSet::from([7]));
        let outcome: String =
            sqlx::query_scalar("SELECT outcome FROM purged WHERE kind = 'ticket'")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(outcome, "deleted");
        assert_eq!(store.purged_ids(PurgeKind::Contact).await.unwrap().len(), 1);
    }
}
