//! Claiming due steps under a lease, taking expired leases back, and what the
//! dispatcher sleeps until. Every claim is an indexed, `LIMIT`ed walk (no sort
//! over the backlog) inside `BEGIN IMMEDIATE`.

use std::sync::Arc;

use rusqlite::OptionalExtension;
use serde::Serialize;
use sqlx::Row;

use super::messages::{MESSAGE_COLS, Message, message_from_row};
use super::schedule::parse_params;
use super::{Result, Store, StoreError, parse_text};
use crate::clock::UnixMs;
use crate::domain::{Stage, StepParams};

/// A step the dispatcher has claimed (state `running`, leased until `lease_until`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedStep {
    pub step_id: i64,
    pub lifecycle_id: i64,
    /// Position in the lifecycle, 0 for creation.
    pub seq: i64,
    /// The step's kind.
    pub stage: Stage,
    /// What the plan fixed for it (empty for the classic steps).
    pub params: StepParams,
    pub offset_ms: i64,
    pub due_at: UnixMs,
    /// Counting this claim; above 1 means an earlier attempt may have had effects.
    pub attempts: i64,
    /// The lease this claim holds; every outcome is fenced with it.
    pub lease_until: UnixMs,
    /// The step's message, when this claim recorded its intent (a chained
    /// claim, for a message no attempt had sent or meant to send): the step
    /// sends it without reading it, recording another intent or looking for
    /// an earlier send.
    pub message: Option<Arc<Message>>,
}

/// How a claim is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimOptions {
    /// How long a claimed step stays ours before the daemon takes it back.
    pub lease_ms: i64,
    /// Claim creation steps of slots whose ticket was never attempted. Off while
    /// draining: those stay pending.
    pub start_new: bool,
    /// When creation steps may fill the claim.
    pub new_tickets: NewTickets,
}

/// When a claim may take creation steps (new tickets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewTickets {
    /// After the due steps of tickets in flight, to fill the claim.
    Fill,
    /// Only when no step of a ticket in flight is due: every due step of a
    /// ticket in flight is sent before any new ticket is opened.
    WhenNoneInFlight,
    /// Not at all (steps of tickets in flight are still running).
    Never,
}

/// The default lease: longer than any step may take (a worker gives its step
/// up before the lease ends).
pub const DEFAULT_LEASE_MS: i64 = 300_000;

impl Default for ClaimOptions {
    fn default() -> Self {
        ClaimOptions {
            lease_ms: DEFAULT_LEASE_MS,
            start_new: true,
            new_tickets: NewTickets::Fill,
        }
    }
}

/// A step that is running, or whose lease expired (for `status`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LeasedStep {
    pub lifecycle_id: i64,
    pub ticket_id: Option<i64>,
    pub seq: i64,
    pub stage: Stage,
    pub attempts: i64,
    pub lease_until: Option<UnixMs>,
    /// The lease ended and the daemon has not taken the step back yet.
    pub expired: bool,
}

/// The next step of each lifecycle in flight (seq > 0), in due order, walked by
/// the partial index `steps_open_inflight`.
pub(super) const INFLIGHT_SQL: &str = "
SELECT s.id FROM steps s INDEXED BY steps_open_inflight
WHERE s.state IN ('pending', 'retry') AND s.seq > 0 AND s.due_at <= ?1
  AND (SELECT p.state FROM steps p
       WHERE p.lifecycle_id = s.lifecycle_id AND p.seq = s.seq - 1) = 'done'
ORDER BY s.due_at LIMIT ?2";

/// Creation steps in due order (`steps_open_new`). `?3 = 0` keeps only those
/// whose `POST /tickets` was already attempted (drain).
pub(super) const NEW_SQL: &str = "
SELECT s.id FROM steps s INDEXED BY steps_open_new
WHERE s.state IN ('pending', 'retry') AND s.seq = 0 AND s.due_at <= ?1
  AND (?3 OR EXISTS (SELECT 1 FROM lifecycles l
                     WHERE l.id = s.lifecycle_id AND l.create_intent_at IS NOT NULL))
ORDER BY s.due_at LIMIT ?2";

const MARK_SQL: &str = "
UPDATE steps SET state = 'running', attempts = attempts + 1, started_at = ?2, lease_until = ?3
WHERE id = ?1 AND state IN ('pending', 'retry')
RETURNING id, lifecycle_id, seq, stage, params, offset_ms, due_at, attempts, lease_until";

/// [`MARK_SQL`] for the step `?2` of lifecycle `?1`, when it is due by `?3`.
const CHAIN_SQL: &str = "
UPDATE steps SET state = 'running', attempts = attempts + 1, started_at = ?3, lease_until = ?4
WHERE lifecycle_id = ?1 AND seq = ?2 AND state IN ('pending', 'retry') AND due_at <= ?3
RETURNING id, lifecycle_id, seq, stage, params, offset_ms, due_at, attempts, lease_until";

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
    /// Claims up to `limit` due steps, at most one per lifecycle (the next one),
    /// steps of tickets in flight before new tickets, with the default lease.
    pub async fn claim_due(&self, now: UnixMs, limit: i64) -> Result<Vec<ClaimedStep>> {
        self.claim(now, limit, ClaimOptions::default()).await
    }

    /// Claims up to `limit` due steps under a lease of `opts.lease_ms`, in
    /// one `BEGIN IMMEDIATE` transaction run on the write connection's handle
    /// (`sync_write`: one thread hop for the whole claim).
    pub async fn claim(
        &self,
        now: UnixMs,
        limit: i64,
        opts: ClaimOptions,
    ) -> Result<Vec<ClaimedStep>> {
        self.write_sync(|c| claim_in(c, now, limit, opts)).await
    }

    /// At start-up every `running` step is an orphan of a crash: make it due
    /// again. Its attempt count and recorded intents stay, which tells the
    /// dispatcher to look before re-sending anything. Returns how many.
    pub async fn recover_running(&self, now: UnixMs) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE steps SET state = 'retry', last_error = 'interrupted (recovered at start-up)',
             due_at = MIN(due_at, ?1), lease_until = NULL WHERE state = 'running'",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Takes back the steps whose lease ended at `now` (their worker died, or
    /// could not commit): due again, to be reconciled before anything is re-sent.
    pub async fn take_back_expired(&self, now: UnixMs) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE steps SET state = 'retry', last_error = 'lease expired (taken back)',
             due_at = MIN(due_at, ?1), lease_until = NULL
             WHERE id IN (SELECT id FROM steps INDEXED BY steps_lease
                          WHERE state = 'running' AND lease_until <= ?1)",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// The earliest time a step becomes claimable, if any step is waiting.
    pub async fn next_due_at(&self) -> Result<Option<UnixMs>> {
        Ok(sqlx::query_scalar(NEXT_DUE_SQL)
            .fetch_optional(&self.reads)
            .await?)
    }

    /// The earliest lease to end, if any step is running.
    pub async fn next_lease_end(&self) -> Result<Option<UnixMs>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(lease_until) FROM steps INDEXED BY steps_lease WHERE state = 'running'",
        )
        .fetch_one(&self.reads)
        .await?)
    }

    /// Number of steps not yet in a final state (pending, running, retry).
    pub async fn open_steps(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM steps WHERE state IN ('pending', 'running', 'retry')",
        )
        .fetch_one(&self.reads)
        .await?)
    }

    /// Open steps of lifecycles whose ticket was at least attempted: what a
    /// drain still has to finish (slots never started in Freshdesk stay pending).
    pub async fn open_started_steps(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM steps s JOIN lifecycles l ON l.id = s.lifecycle_id
             WHERE s.state IN ('pending', 'running', 'retry') AND l.create_intent_at IS NOT NULL",
        )
        .fetch_one(&self.reads)
        .await?)
    }

    /// Open steps due at or before `before`, counted up to `cap` (an indexed
    /// walk that stops at `cap`, whatever the backlog).
    pub async fn overdue_steps(&self, before: UnixMs, cap: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM steps INDEXED BY steps_open_due
             WHERE state IN ('pending', 'retry') AND due_at <= ?1 LIMIT ?2)",
        )
        .bind(before)
        .bind(cap)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Steps running now or whose lease expired, oldest lease first.
    pub async fn leased_steps(&self, now: UnixMs) -> Result<Vec<LeasedStep>> {
        let rows = sqlx::query(
            "SELECT s.lifecycle_id, l.ticket_id, s.seq, s.stage, s.attempts, s.lease_until
             FROM steps s INDEXED BY steps_lease JOIN lifecycles l ON l.id = s.lifecycle_id
             WHERE s.state = 'running' ORDER BY s.lease_until LIMIT 1000",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let lease_until: Option<i64> = r.get(5);
                Ok(LeasedStep {
                    lifecycle_id: r.get(0),
                    ticket_id: r.get(1),
                    seq: r.get(2),
                    stage: parse_text(r.get::<&str, _>(3))?,
                    attempts: r.get(4),
                    lease_until,
                    expired: lease_until.is_none_or(|l| l <= now),
                })
            })
            .collect()
    }
}

pub(super) fn claim_in(
    c: &rusqlite::Connection,
    now: UnixMs,
    limit: i64,
    opts: ClaimOptions,
) -> rusqlite::Result<Vec<ClaimedStep>> {
    let ids_of = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<Vec<i64>> {
        c.prepare_cached(sql)?.query_map(p, |r| r.get(0))?.collect()
    };
    let mut ids = ids_of(INFLIGHT_SQL, rusqlite::params![now, limit])?;
    let left = limit - ids.len() as i64;
    let new_allowed = match opts.new_tickets {
        NewTickets::Fill => true,
        NewTickets::WhenNoneInFlight => ids.is_empty(),
        NewTickets::Never => false,
    };
    if left > 0 && new_allowed {
        ids.extend(ids_of(
            NEW_SQL,
            rusqlite::params![now, left, opts.start_new],
        )?);
    }
    let mut mark = c.prepare_cached(MARK_SQL)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let mut rows = mark.query(rusqlite::params![id, now, now + opts.lease_ms])?;
        if let Some(r) = rows.next()? {
            out.push(claimed_from_row(r)?);
        }
    }
    Ok(out)
}

/// Claims the step after `done` (just completed, and the step moved, in this
/// transaction) when it is due by `now`: the chained claim of
/// [`super::StepWrite::Complete`]. Its predecessor is `done`, so it is what a
/// claim would take for this lifecycle.
pub(super) fn claim_next(
    c: &rusqlite::Connection,
    done: &ClaimedStep,
    now: UnixMs,
    lease_ms: i64,
) -> rusqlite::Result<Option<ClaimedStep>> {
    let mut stmt = c.prepare_cached(CHAIN_SQL)?;
    let mut rows = stmt.query(rusqlite::params![
        done.lifecycle_id,
        done.seq + 1,
        now,
        now + lease_ms
    ])?;
    let Some(mut step) = rows.next()?.map(claimed_from_row).transpose()? else {
        return Ok(None);
    };
    drop(rows);
    // The message's intent rides on this commit, saving the step one of its
    // own before it sends (a crash after it makes the next attempt look first).
    let sql = format!(
        "UPDATE messages SET intent_at = ?3
         WHERE lifecycle_id = ?1 AND step_seq = ?2 AND intent_at IS NULL AND sent_at IS NULL
         RETURNING {MESSAGE_COLS}"
    );
    step.message = c
        .prepare_cached(&sql)?
        .query_row(
            rusqlite::params![step.lifecycle_id, step.seq, now],
            message_from_row,
        )
        .optional()?
        .map(Arc::new);
    Ok(Some(step))
}

/// A claimed row; a stage or parameters the code cannot read roll the claim back.
fn claimed_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClaimedStep> {
    let unreadable = |col: usize| {
        move |e: StoreError| {
            rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
        }
    };
    Ok(ClaimedStep {
        step_id: r.get(0)?,
        lifecycle_id: r.get(1)?,
        seq: r.get(2)?,
        stage: parse_text(&r.get::<_, String>(3)?).map_err(unreadable(3))?,
        params: parse_params(r.get(4)?).map_err(unreadable(4))?,
        offset_ms: r.get(5)?,
        due_at: r.get(6)?,
        attempts: r.get(7)?,
        lease_until: r.get(8)?,
        message: None,
    })
}
