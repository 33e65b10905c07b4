//! Training mode's tables: the inbox of events (webhooks, polling), one row per
//! trainee ticket (its progress as JSON, the next chase, the grade) and the
//! agent replies already answered. A reaction is one transaction: the reply is
//! marked seen, the customer's answer is appended as ordinary steps (with its
//! message, so the dispatcher sends it once, intent first), and the progress
//! is updated. A reply seen twice (webhook and poll) finds its row and adds
//! nothing.

use rusqlite::{Connection, OptionalExtension, params};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::lifecycles::{PlannedStep, insert_message, insert_step};
use super::{Result, Store};
use crate::domain::UnixMs;

/// An event as received, before it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEvent {
    /// The natural key: `ticket:conversation:event:fingerprint`.
    pub event_key: String,
    pub ticket_id: i64,
    /// e.g. `ticket_updated`, `note_created`, `poll`.
    pub event: String,
    /// `webhook` or `poll`.
    pub source: String,
    /// The ticket's status, when the event carried it.
    pub status: Option<i64>,
}

/// A recorded event not processed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub id: i64,
    pub ticket_id: i64,
    pub event: String,
    pub status: Option<i64>,
}

/// A trainee ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingTicket {
    pub lifecycle_id: i64,
    pub ticket_id: i64,
    pub scenario: String,
    /// JSON of the training's progress (`training::Progress`).
    pub state: String,
    pub chase_due_at: Option<UnixMs>,
    pub closed_at: Option<UnixMs>,
    /// JSON of the grade, once closed.
    pub grade: Option<String>,
}

/// What one reaction writes, in one transaction.
#[derive(Debug, Clone)]
pub struct ReactionWrite {
    pub lifecycle_id: i64,
    /// The agent reply reacted to; `None` for a chase or a reopen.
    pub conversation_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// e.g. `answer`, `still_broken`, `confirmed`, `chase`.
    pub reaction: String,
    /// Appended after the lifecycle's last step; `offset_ms` is absolute
    /// here (`due_at`), turned into an offset from creation when written.
    pub steps: Vec<PlannedStep>,
    pub state: String,
    pub chase_due_at: Option<UnixMs>,
    pub closed_at: Option<UnixMs>,
    pub grade: Option<String>,
}

const TICKET_COLS: &str =
    "lifecycle_id, ticket_id, scenario, state, chase_due_at, closed_at, grade";

fn ticket_from_row(r: &SqliteRow) -> TrainingTicket {
    TrainingTicket {
        lifecycle_id: r.get(0),
        ticket_id: r.get(1),
        scenario: r.get(2),
        state: r.get(3),
        chase_due_at: r.get(4),
        closed_at: r.get(5),
        grade: r.get(6),
    }
}

impl Store {
    /// Records an event; false when its key was already recorded (a re-delivery).
    pub async fn record_event(&self, e: &InboxEvent, now: UnixMs) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO training_inbox (event_key, ticket_id, event, source, status, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (event_key) DO NOTHING",
        )
        .bind(&e.event_key)
        .bind(e.ticket_id)
        .bind(&e.event)
        .bind(&e.source)
        .bind(e.status)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Events not processed yet, oldest first.
    pub async fn pending_events(&self, limit: i64) -> Result<Vec<InboxRow>> {
        let rows = sqlx::query(
            "SELECT id, ticket_id, event, status FROM training_inbox
             WHERE processed_at IS NULL ORDER BY id LIMIT ?1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| InboxRow {
                id: r.get(0),
                ticket_id: r.get(1),
                event: r.get(2),
                status: r.get(3),
            })
            .collect())
    }

    pub async fn finish_event(&self, id: i64, now: UnixMs, note: &str) -> Result<()> {
        sqlx::query("UPDATE training_inbox SET processed_at = ?2, note = ?3 WHERE id = ?1")
            .bind(id)
            .bind(now)
            .bind(note)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many events were ever recorded (for tests and `status`).
    pub async fn event_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM training_inbox")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Trainee lifecycles whose ticket exists but that have no training row
    /// yet: `(lifecycle id, ticket id, scenario, ticket created at)`.
    pub async fn unadopted_trainees(&self, limit: i64) -> Result<Vec<(i64, i64, String, UnixMs)>> {
        let rows = sqlx::query(
            "SELECT l.id, l.ticket_id, COALESCE(l.scenario, ''),
                    COALESCE(l.ticket_created_at, l.created_at)
             FROM lifecycles l
             WHERE l.training IS NOT NULL AND l.ticket_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM training_tickets t WHERE t.lifecycle_id = l.id)
             LIMIT ?1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect())
    }

    /// Starts following a trainee ticket (once).
    pub async fn adopt_trainee(&self, t: &TrainingTicket) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO training_tickets (lifecycle_id, ticket_id, scenario, state, chase_due_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )
        .bind(t.lifecycle_id)
        .bind(t.ticket_id)
        .bind(&t.scenario)
        .bind(&t.state)
        .bind(t.chase_due_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn training_ticket(&self, ticket_id: i64) -> Result<Option<TrainingTicket>> {
        let sql = format!("SELECT {TICKET_COLS} FROM training_tickets WHERE ticket_id = ?1");
        let row = sqlx::query(&sql)
            .bind(ticket_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(ticket_from_row))
    }

    /// Open trainee tickets whose customer is due to chase at `now`.
    pub async fn due_chases(&self, now: UnixMs, limit: i64) -> Result<Vec<TrainingTicket>> {
        let sql = format!(
            "SELECT {TICKET_COLS} FROM training_tickets
             WHERE chase_due_at IS NOT NULL AND closed_at IS NULL AND chase_due_at <= ?1
             ORDER BY chase_due_at LIMIT ?2"
        );
        let rows = sqlx::query(&sql)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(ticket_from_row).collect())
    }

    /// The earliest chase of an open trainee ticket.
    pub async fn next_chase_at(&self) -> Result<Option<UnixMs>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(chase_due_at) FROM training_tickets
             WHERE chase_due_at IS NOT NULL AND closed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// True when the customer already reacted to this agent reply.
    pub async fn reply_is_seen(&self, conversation_id: i64) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM training_replies WHERE conversation_id = ?1")
                .bind(conversation_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// Writes a reaction; false (nothing written) when its reply was already
    /// answered or the lifecycle has ended.
    pub async fn apply_reaction(&self, w: &ReactionWrite, now: UnixMs) -> Result<bool> {
        self.write_sync(|c| reaction_in(c, w, now)).await
    }

    /// Grades of trainee tickets closed at or after `since`, oldest first.
    pub async fn training_grades(&self, since: UnixMs) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT grade FROM training_tickets
             WHERE grade IS NOT NULL AND closed_at >= ?1 ORDER BY closed_at",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }
}

fn reaction_in(c: &Connection, w: &ReactionWrite, now: UnixMs) -> rusqlite::Result<bool> {
    if !claim_reply(c, w, now)? {
        return Ok(false);
    }
    let row: Option<(UnixMs, i64)> = c
        .prepare_cached(
            "SELECT l.created_at, COALESCE((SELECT MAX(seq) FROM steps s WHERE s.lifecycle_id = l.id), 0)
             FROM lifecycles l
             WHERE l.id = ?1 AND l.state NOT IN ('closed', 'failed', 'cancelled')",
        )?
        .query_row(params![w.lifecycle_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((start, last)) = row else {
        // The lifecycle has ended (closed, failed, cancelled): stop following
        // it, so it is not chased again.
        c.prepare_cached(
            "UPDATE training_tickets SET chase_due_at = NULL,
             closed_at = COALESCE(closed_at, ?2) WHERE lifecycle_id = ?1",
        )?
        .execute(params![w.lifecycle_id, now])?;
        return Ok(false);
    };
    for (i, step) in w.steps.iter().enumerate() {
        let seq = last + 1 + i as i64;
        let mut relative = step.clone();
        relative.offset_ms = step.offset_ms - start;
        insert_step(c, w.lifecycle_id, seq, &relative, start)?;
        if let Some(m) = &step.message {
            insert_message(c, w.lifecycle_id, seq, step.kind, m)?;
        }
    }
    update_progress(c, w)?;
    Ok(true)
}

/// Marks the reply as answered; false when it already was.
fn claim_reply(c: &Connection, w: &ReactionWrite, now: UnixMs) -> rusqlite::Result<bool> {
    let Some(conversation) = w.conversation_id else {
        return Ok(true);
    };
    let done = c
        .prepare_cached(
            "INSERT INTO training_replies (conversation_id, lifecycle_id, agent_id, reaction, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )?
        .execute(params![conversation, w.lifecycle_id, w.agent_id, w.reaction, now])?;
    Ok(done == 1)
}

fn update_progress(c: &Connection, w: &ReactionWrite) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE training_tickets SET state = ?2, chase_due_at = ?3, closed_at = ?4,
         grade = COALESCE(?5, grade) WHERE lifecycle_id = ?1",
    )?
    .execute(params![
        w.lifecycle_id,
        w.state,
        w.chase_due_at,
        w.closed_at,
        w.grade
    ])?;
    Ok(())
}
