//! Read-only queries behind `status`, `show` and `export`.

use serde::Serialize;
use sqlx::Row;

use super::lifecycles::{LIFECYCLE_COLS, Lifecycle, lifecycle_from_row};
use super::schedule::parse_params;
use super::{Result, Store, parse_text};
use crate::clock::{UnixMs, format_iso};
use crate::domain::{LifecycleState, Stage, StepParams, StepState};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Status {
    pub total: i64,
    /// Lifecycle counts by state, every state listed; JSON `{state: count}`.
    #[serde(serialize_with = "counts_as_object")]
    pub by_state: Vec<(String, i64)>,
    pub failed: Vec<FailedLifecycle>,
    /// Steps waiting to be tried again, with the error that stopped them.
    pub retrying: Vec<StepRow>,
    pub next: Option<NextStep>,
    pub slots_started: i64,
    pub slots_skipped: i64,
    /// Slots started in the current UTC day: what `TICKETSIM_MAX_TICKETS_PER_DAY` counts.
    pub started_today: i64,
    /// The latest skipped slots (missed while down, or past the daily cap), with why.
    pub recent_skips: Vec<super::SkippedSlot>,
}

/// `[(name, n), ...]` as `{"name": n, ...}`, in the same order.
fn counts_as_object<S: serde::Serializer>(v: &[(String, i64)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(v.iter().map(|(k, n)| (k, n)))
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FailedLifecycle {
    pub lifecycle_id: i64,
    pub ticket_id: Option<i64>,
    pub state: String,
    pub reason: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NextStep {
    pub lifecycle_id: i64,
    pub ticket_id: Option<i64>,
    pub stage: Stage,
    pub due_at: String,
    pub due_in_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StepRow {
    pub lifecycle_id: i64,
    pub seq: i64,
    /// The step's kind.
    pub stage: Stage,
    /// What the plan fixed for the step; left out when empty.
    #[serde(skip_serializing_if = "StepParams::is_empty")]
    pub params: StepParams,
    pub state: StepState,
    pub due_at: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub finished_at: Option<String>,
}

/// A lifecycle's fields in an export, before its messages.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ExportLifecycle {
    pub lifecycle_id: i64,
    pub ticket_id: Option<i64>,
    pub state: String,
    pub created_at: String,
    /// The plan, once made (`None` before the create step picked it).
    pub subject: Option<String>,
    pub scenario: Option<String>,
    pub category: Option<String>,
    pub playbook: Option<String>,
    /// The customer's tone.
    pub tone: Option<String>,
    pub priority: Option<i64>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub tags: Vec<String>,
    pub contact_id: Option<i64>,
    pub agent_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExportRecord {
    #[serde(flatten)]
    pub lifecycle: ExportLifecycle,
    pub messages: Vec<ExportMessage>,
}

/// Which lifecycles an export includes; every field set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleFilter {
    /// Created at or after this time.
    pub since: Option<UnixMs>,
    pub state: Option<LifecycleState>,
    /// Lifecycles planned before playbooks count as `classic`.
    pub playbook: Option<String>,
}

/// One message of an export. Private notes (playbooks other than `classic`) are
/// exported too, with author `agent` and `"private": true`; public messages carry
/// no `private` key, so a classic record keeps its exact shape.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExportMessage {
    pub step: Stage,
    pub author: String,
    pub author_id: i64,
    pub body: String,
    pub sent_at: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

fn step_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<StepRow> {
    Ok(StepRow {
        lifecycle_id: r.get("lifecycle_id"),
        seq: r.get("seq"),
        stage: parse_text(r.get::<&str, _>("stage"))?,
        params: parse_params(r.get("params"))?,
        state: parse_text(r.get::<&str, _>("state"))?,
        due_at: format_iso(r.get("due_at")),
        attempts: r.get("attempts"),
        last_error: r.get("last_error"),
        finished_at: r.get::<Option<i64>, _>("finished_at").map(format_iso),
    })
}

const STEP_COLS: &str =
    "lifecycle_id, seq, stage, params, state, due_at, attempts, last_error, finished_at";

impl Store {
    pub async fn status(&self, now: UnixMs) -> Result<Status> {
        let by_state = self.lifecycles_by_state().await?;
        let total = by_state.iter().map(|(_, n)| n).sum();
        let failed = sqlx::query(
            "SELECT id, ticket_id, state, last_error, updated_at FROM lifecycles
             WHERE state IN ('failed', 'cancelled') ORDER BY updated_at DESC LIMIT 50",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| FailedLifecycle {
            lifecycle_id: r.get(0),
            ticket_id: r.get(1),
            state: r.get(2),
            reason: r.get(3),
            updated_at: format_iso(r.get(4)),
        })
        .collect();
        let sql = format!(
            "SELECT {STEP_COLS} FROM steps WHERE state = 'retry' AND last_error IS NOT NULL
             ORDER BY due_at LIMIT 50"
        );
        let retrying = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(step_from_row)
            .collect::<Result<_>>()?;
        let (slots_started, slots_skipped): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(state = 'started'), 0), COALESCE(SUM(state = 'skipped'), 0) FROM slots",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Status {
            total,
            by_state,
            failed,
            retrying,
            next: self.next_step(now).await?,
            slots_started,
            slots_skipped,
            started_today: self.started_on_day(now).await?,
            recent_skips: self.recent_skips(5).await?,
        })
    }

    async fn next_step(&self, now: UnixMs) -> Result<Option<NextStep>> {
        let row = sqlx::query(
            "SELECT s.lifecycle_id, l.ticket_id, s.stage, s.due_at FROM steps s
             JOIN lifecycles l ON l.id = s.lifecycle_id
             WHERE s.state IN ('pending', 'retry')
               AND NOT EXISTS (SELECT 1 FROM steps p WHERE p.lifecycle_id = s.lifecycle_id
                               AND p.seq < s.seq AND p.state <> 'done')
             ORDER BY s.due_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let due: i64 = r.get(3);
            Ok(NextStep {
                lifecycle_id: r.get(0),
                ticket_id: r.get(1),
                stage: parse_text(r.get::<&str, _>(2))?,
                due_at: format_iso(due),
                due_in_ms: due - now,
            })
        })
        .transpose()
    }

    /// Every step of a lifecycle, in order.
    pub async fn steps(&self, lifecycle_id: i64) -> Result<Vec<StepRow>> {
        let sql = format!("SELECT {STEP_COLS} FROM steps WHERE lifecycle_id = ?1 ORDER BY seq");
        sqlx::query(&sql)
            .bind(lifecycle_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(step_from_row)
            .collect()
    }

    /// Up to `limit` lifecycles with ids above `after`, in id order: callers page
    /// through with the last id so memory stays flat however large the table.
    pub async fn lifecycles_after(&self, after: i64, limit: i64) -> Result<Vec<Lifecycle>> {
        self.read_sync(|c| {
            let sql = format!(
                "SELECT {LIFECYCLE_COLS} FROM lifecycles WHERE id > ?1 ORDER BY id LIMIT ?2"
            );
            c.prepare_cached(&sql)?
                .query_map([after, limit], lifecycle_from_row)?
                .collect()
        })
    }

    /// Like [`Store::lifecycles_after`], only those matching `filter`.
    pub async fn lifecycles_matching(
        &self,
        after: i64,
        limit: i64,
        filter: &LifecycleFilter,
    ) -> Result<Vec<Lifecycle>> {
        let sql = format!(
            "SELECT {LIFECYCLE_COLS} FROM lifecycles WHERE id > ?1
               AND (?3 IS NULL OR created_at >= ?3)
               AND (?4 IS NULL OR state = ?4)
               AND (?5 IS NULL OR (contact_id IS NOT NULL AND COALESCE(playbook, 'classic') = ?5))
             ORDER BY id LIMIT ?2"
        );
        let state = filter.state.map(|s| s.as_str());
        self.read_sync(|c| {
            c.prepare_cached(&sql)?
                .query_map(
                    rusqlite::params![after, limit, filter.since, state, filter.playbook],
                    lifecycle_from_row,
                )?
                .collect()
        })
    }

    /// The playbooks of planned lifecycles (`classic` for those from before playbooks).
    pub async fn playbooks_in_use(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT COALESCE(playbook, 'classic') FROM lifecycles
             WHERE contact_id IS NOT NULL ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The export record of a lifecycle: its sent messages in time order.
    pub async fn export_record(&self, l: &Lifecycle) -> Result<ExportRecord> {
        let messages = self
            .messages(l.id)
            .await?
            .into_iter()
            .filter_map(|m| {
                Some(ExportMessage {
                    step: m.stage,
                    author: m.author_kind,
                    author_id: m.author_id,
                    body: m.body,
                    sent_at: format_iso(m.sent_at?),
                    private: m.private,
                })
            })
            .collect();
        let plan = l.plan.as_ref();
        let text = |f: fn(&super::Plan) -> &String| plan.map(|p| f(p).clone());
        let lifecycle = ExportLifecycle {
            lifecycle_id: l.id,
            ticket_id: l.ticket_id,
            state: l.state.as_str().to_string(),
            created_at: format_iso(l.created_at),
            subject: text(|p| &p.subject),
            scenario: text(|p| &p.scenario),
            category: text(|p| &p.category),
            playbook: text(|p| &p.playbook),
            tone: text(|p| &p.tone),
            priority: plan.map(|p| p.priority),
            ticket_type: text(|p| &p.ticket_type),
            tags: plan.map(|p| p.tags.clone()).unwrap_or_default(),
            contact_id: plan.map(|p| p.contact_id),
            agent_id: plan.map(|p| p.agent_id),
        };
        Ok(ExportRecord {
            lifecycle,
            messages,
        })
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
