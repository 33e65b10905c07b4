//! Read-only queries behind `ticketsim report`: facts per lifecycle, replies
//! per agent, steps by kind and state, and step timings, for the lifecycles
//! created in a period. Aggregation (percentiles, per-day buckets) is the
//! caller's; these only read.

use sqlx::Row;

use super::{Result, Store};
use crate::clock::UnixMs;

/// Lifecycles created in `[since, until)`; `None` leaves that side open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub since: Option<UnixMs>,
    pub until: Option<UnixMs>,
}

impl Period {
    fn bounds(self) -> (UnixMs, UnixMs) {
        (
            self.since.unwrap_or(UnixMs::MIN),
            self.until.unwrap_or(UnixMs::MAX),
        )
    }
}

/// What the report needs of one lifecycle. Times are ticketsim's own (unix ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleFacts {
    pub created_at: UnixMs,
    pub state: String,
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    pub category: Option<String>,
    pub scenario: Option<String>,
    /// When its ticket was created (the creation step committed); `None`: no ticket.
    pub ticket_at: Option<UnixMs>,
    /// The first public agent message after creation was sent.
    pub first_reply_at: Option<UnixMs>,
    /// The first resolve or close step was done.
    pub resolved_at: Option<UnixMs>,
    /// The group the ticket was last reassigned to (escalations).
    pub group_id: Option<i64>,
}

/// Steps of one kind in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCount {
    pub kind: String,
    pub state: String,
    pub steps: i64,
    pub attempts: i64,
    /// Steps that needed more than one attempt.
    pub retried: i64,
}

/// One done step: claim → commit (`finished_at - started_at`) and lateness
/// (`started_at - due_at`, never negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTiming {
    pub kind: String,
    pub duration_ms: i64,
    pub lateness_ms: i64,
}

const FACTS: &str =
    "SELECT l.created_at, l.state, l.agent_id, l.agent_name, l.category, l.scenario,
    (SELECT s.finished_at FROM steps s
      WHERE s.lifecycle_id = l.id AND s.seq = 0 AND s.state = 'done' AND l.ticket_id IS NOT NULL),
    (SELECT MIN(m.sent_at) FROM messages m
      WHERE m.lifecycle_id = l.id AND m.author_kind = 'agent' AND m.private = 0
        AND m.step_seq > 0 AND m.sent_at IS NOT NULL),
    (SELECT MIN(s.finished_at) FROM steps s
      WHERE s.lifecycle_id = l.id AND s.stage IN ('resolve', 'close') AND s.state = 'done'),
    (SELECT json_extract(s.params, '$.group_id') FROM steps s
      WHERE s.lifecycle_id = l.id AND s.stage = 'reassign' AND s.state = 'done'
      ORDER BY s.seq DESC LIMIT 1)
  FROM lifecycles l WHERE l.created_at >= ?1 AND l.created_at < ?2
  ORDER BY l.created_at";

impl Store {
    /// One row per lifecycle created in the period, oldest first.
    pub async fn lifecycle_facts(&self, p: Period) -> Result<Vec<LifecycleFacts>> {
        let (since, until) = p.bounds();
        let rows = sqlx::query(FACTS)
            .bind(since)
            .bind(until)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| LifecycleFacts {
                created_at: r.get(0),
                state: r.get(1),
                agent_id: r.get(2),
                agent_name: r.get(3),
                category: r.get(4),
                scenario: r.get(5),
                ticket_at: r.get(6),
                first_reply_at: r.get(7),
                resolved_at: r.get(8),
                group_id: r.get(9),
            })
            .collect())
    }

    /// Public agent messages sent after creation, by author, for the
    /// lifecycles of the period: `(agent id, replies)`.
    pub async fn agent_replies(&self, p: Period) -> Result<Vec<(i64, i64)>> {
        let (since, until) = p.bounds();
        Ok(sqlx::query_as(
            "SELECT m.author_id, COUNT(*) FROM messages m JOIN lifecycles l ON l.id = m.lifecycle_id
             WHERE m.author_kind = 'agent' AND m.private = 0 AND m.step_seq > 0
               AND m.sent_at IS NOT NULL AND l.created_at >= ?1 AND l.created_at < ?2
             GROUP BY m.author_id ORDER BY m.author_id",
        )
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Steps of the period's lifecycles, by kind and state.
    pub async fn step_counts(&self, p: Period) -> Result<Vec<StepCount>> {
        let (since, until) = p.bounds();
        let rows = sqlx::query(
            "SELECT s.stage, s.state, COUNT(*), COALESCE(SUM(s.attempts), 0),
                    COALESCE(SUM(s.attempts > 1), 0)
             FROM steps s JOIN lifecycles l ON l.id = s.lifecycle_id
             WHERE l.created_at >= ?1 AND l.created_at < ?2
             GROUP BY s.stage, s.state ORDER BY s.stage, s.state",
        )
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| StepCount {
                kind: r.get(0),
                state: r.get(1),
                steps: r.get(2),
                attempts: r.get(3),
                retried: r.get(4),
            })
            .collect())
    }

    /// Timings of the period's done steps.
    pub async fn step_timings(&self, p: Period) -> Result<Vec<StepTiming>> {
        let (since, until) = p.bounds();
        let rows = sqlx::query(
            "SELECT s.stage, MAX(0, s.finished_at - s.started_at), MAX(0, s.started_at - s.due_at)
             FROM steps s JOIN lifecycles l ON l.id = s.lifecycle_id
             WHERE s.state = 'done' AND s.started_at IS NOT NULL AND s.finished_at IS NOT NULL
               AND l.created_at >= ?1 AND l.created_at < ?2",
        )
        .bind(since)
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| StepTiming {
                kind: r.get(0),
                duration_ms: r.get(1),
                lateness_ms: r.get(2),
            })
            .collect())
    }

    /// Slots of the period (by scheduled time) skipped by the daily cap.
    pub async fn capped_slots(&self, p: Period) -> Result<i64> {
        let (since, until) = p.bounds();
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM slots WHERE state = 'skipped' AND note LIKE 'daily cap%'
               AND scheduled_at >= ?1 AND scheduled_at < ?2",
        )
        .bind(since)
        .bind(until)
        .fetch_one(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fixtures::{classic_steps, plan};
    use crate::store::testutil::temp_store;

    /// Runs every due step of the store at `now`, committing each at `now + 40`.
    async fn run_due(s: &Store, now: UnixMs) {
        for c in s.claim_due(now, 10).await.unwrap() {
            assert!(s.complete_step(&c, now + 40).await.unwrap());
        }
    }

    #[tokio::test]
    async fn facts_cover_the_period_only_and_read_steps_and_messages_back() {
        let (s, _d) = temp_store().await;
        let id = s.start_slot(1_000, 1_000, 1).await.unwrap().unwrap();
        s.save_plan(id, &plan(), &classic_steps(), 1_000)
            .await
            .unwrap();
        s.start_slot(900_000, 900_000, 1).await.unwrap();
        for at in [1_000, 7_000, 13_000, 19_000, 25_000] {
            run_due(&s, at).await;
        }
        let p = Period {
            since: Some(0),
            until: Some(500_000),
        };
        let facts = s.lifecycle_facts(p).await.unwrap();
        assert_eq!(facts.len(), 1, "the second lifecycle is outside the period");
        let f = &facts[0];
        assert_eq!(f.agent_name.as_deref(), Some(plan().agent_name.as_str()));
        let counts = s.step_counts(p).await.unwrap();
        let done: i64 = counts
            .iter()
            .filter(|c| c.state == "done")
            .map(|c| c.steps)
            .sum();
        assert_eq!(done, 5);
        let timings = s.step_timings(p).await.unwrap();
        assert_eq!(timings.len(), 5);
        assert!(
            timings
                .iter()
                .all(|t| t.duration_ms == 40 && t.lateness_ms <= 960)
        );
        assert_eq!(s.lifecycle_facts(Period::default()).await.unwrap().len(), 2);
        assert_eq!(s.capped_slots(Period::default()).await.unwrap(), 0);
    }
}
