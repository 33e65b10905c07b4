//! The engine's write transactions (the outcome writer's batches, claims,
//! plans, training reactions) run in one go on the write connection's own
//! SQLite handle. Through sqlx, each statement is a round trip to the
//! connection's thread (two thread wake-ups); a batch of outcomes is dozens of
//! statements, and those hops, not the disk, limited the engine. Here the
//! handle is locked once (sqlx's thread cannot use it meanwhile) and the whole
//! transaction runs on the calling thread, through rusqlite on that same
//! handle: the same connection, pragmas and `busy_timeout`, one hop per
//! transaction.

use rusqlite::{Connection, ErrorCode, params};
use sqlx::pool::PoolConnection;

use super::{ClaimedStep, Mark, Result, Store, StoreError};
use crate::clock::UnixMs;
use crate::domain::{LifecycleState, StepState};

impl Store {
    /// Runs `f` inside `BEGIN IMMEDIATE … COMMIT` on the writer connection,
    /// synchronously. `f` returning an error rolls back. A connection left
    /// inside a transaction (a failed COMMIT whose rollback failed too, e.g.
    /// on a full disk), or one that met an I/O error (a failing or read-only
    /// disk), is dropped from the pool, which opens a fresh one: it then
    /// reports what the file system allows (`attempt to write a readonly
    /// database`) rather than the same I/O error again.
    pub(super) async fn write_sync<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let mut conn: PoolConnection<sqlx::Sqlite> = self.pool.acquire().await?;
        let mut handle = conn.lock_handle().await?;
        let raw = handle.as_raw_handle();
        let (out, clean) = blocking(|| {
            // SAFETY: the handle is locked for us (sqlx's thread waits) until
            // `handle` drops, after `c`; `from_handle` neither owns nor closes it.
            let c = unsafe { Connection::from_handle(raw.as_ptr()) }?;
            let out = in_transaction(&c, f);
            Ok::<_, rusqlite::Error>((out, c.is_autocommit()))
        })
        .unwrap_or_else(|e| (Err(e), true));
        drop(handle);
        let io_failed = out
            .as_ref()
            .err()
            .and_then(rusqlite::Error::sqlite_error_code)
            == Some(ErrorCode::SystemIoFailure);
        if !clean || io_failed {
            drop(conn.detach());
        }
        out.map_err(|e| self.sqlite_error(e))
    }

    pub(super) fn sqlite_error(&self, e: rusqlite::Error) -> StoreError {
        let busy = matches!(
            e.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        );
        if busy {
            return StoreError::Busy {
                path: self.path.clone(),
                detail: e.to_string(),
            };
        }
        StoreError::Write(e.to_string())
    }
}

fn in_transaction<T>(
    c: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    c.execute_batch("BEGIN IMMEDIATE")?;
    let out = f(c).and_then(|v| c.execute_batch("COMMIT").map(|()| v));
    if out.is_err() && !c.is_autocommit() {
        let _ = c.execute_batch("ROLLBACK");
    }
    out
}

/// Blocking work from async code: in place on a multi-threaded runtime (the
/// other workers go on), as is elsewhere (the writer's own thread).
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Runs a step's fenced update (`… WHERE id = ? AND state = 'running' AND
/// lease_until = ?`); false when it touched no row: the step is not ours.
fn fenced(c: &Connection, sql: &str, p: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<bool> {
    Ok(c.prepare_cached(sql)?.execute(p)? == 1)
}

/// Commits a finished step (fenced: only if it is still `running` under its
/// lease), moves the lifecycle on, and pushes the next step out so the
/// planned gap is kept ([`move_next`]). False if the fence failed (someone
/// else owns it).
pub(super) fn complete(c: &Connection, step: &ClaimedStep, now: UnixMs) -> rusqlite::Result<bool> {
    let ours = fenced(
        c,
        "UPDATE steps SET state = 'done', finished_at = ?2, last_error = NULL
         WHERE id = ?1 AND state = 'running' AND lease_until = ?3",
        params![step.step_id, now, step.lease_until],
    )?;
    if !ours {
        return Ok(false);
    }
    let state = step.stage.state_after(step.params.status);
    c.prepare_cached(
        "UPDATE lifecycles SET state = COALESCE(?2, state), updated_at = ?3, last_error = NULL
         WHERE id = ?1",
    )?
    .execute(params![
        step.lifecycle_id,
        state.map(LifecycleState::as_str),
        now
    ])?;
    move_next(c, step, now)?;
    Ok(true)
}

/// The next step runs never earlier than planned, and never closer to `done`
/// than planned, so the spacing of a ticket's steps survives downtime and
/// retries; a row already due late enough is left alone (no index churn).
fn move_next(c: &Connection, done: &ClaimedStep, now: UnixMs) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE steps SET due_at = ?3 + (offset_ms - ?4)
         WHERE lifecycle_id = ?1 AND seq = ?2 AND due_at < ?3 + (offset_ms - ?4)",
    )?
    .execute(params![
        done.lifecycle_id,
        done.seq + 1,
        now,
        done.offset_ms
    ])?;
    Ok(())
}

/// Puts a claimed step back to wait until `due_at`, keeping the error.
pub(super) fn retry(
    c: &Connection,
    step: &ClaimedStep,
    due_at: UnixMs,
    error: &str,
) -> rusqlite::Result<bool> {
    let ours = fenced(
        c,
        "UPDATE steps SET state = 'retry', due_at = ?2, last_error = ?3, lease_until = NULL
         WHERE id = ?1 AND state = 'running' AND lease_until = ?4",
        params![step.step_id, due_at, error, step.lease_until],
    )?;
    if !ours {
        return Ok(false);
    }
    c.prepare_cached("UPDATE lifecycles SET last_error = ?2 WHERE id = ?1")?
        .execute(params![step.lifecycle_id, error])?;
    Ok(true)
}

/// Ends a lifecycle at this step: the step becomes `failed` (or `cancelled`),
/// the steps after it `cancelled`, the lifecycle takes `end` with the reason.
pub(super) fn end(
    c: &Connection,
    step: &ClaimedStep,
    now: UnixMs,
    end: LifecycleState,
    reason: &str,
) -> rusqlite::Result<bool> {
    let step_state = match end {
        LifecycleState::Cancelled => StepState::Cancelled,
        _ => StepState::Failed,
    };
    let ours = fenced(
        c,
        "UPDATE steps SET state = ?2, finished_at = ?3, last_error = ?4
         WHERE id = ?1 AND state = 'running' AND lease_until = ?5",
        params![
            step.step_id,
            step_state.as_str(),
            now,
            reason,
            step.lease_until
        ],
    )?;
    if !ours {
        return Ok(false);
    }
    c.prepare_cached(
        "UPDATE steps SET state = 'cancelled', finished_at = ?3
         WHERE lifecycle_id = ?1 AND seq > ?2 AND state IN ('pending', 'retry')",
    )?
    .execute(params![step.lifecycle_id, step.seq, now])?;
    c.prepare_cached(
        "UPDATE lifecycles SET state = ?2, updated_at = ?3, last_error = ?4 WHERE id = ?1",
    )?
    .execute(params![step.lifecycle_id, end.as_str(), now, reason])?;
    Ok(true)
}

/// Writes one record of a step's progress.
pub(super) fn mark(c: &Connection, mark: &Mark) -> rusqlite::Result<()> {
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<()> {
        c.prepare_cached(sql)?.execute(p).map(|_| ())
    };
    match *mark {
        Mark::CreateIntent { lifecycle_id, now } => run(
            "UPDATE lifecycles SET create_intent_at = ?2, updated_at = ?2 WHERE id = ?1",
            params![lifecycle_id, now],
        ),
        Mark::Ticket {
            lifecycle_id,
            ticket_id,
            at,
        } => {
            run(
                "UPDATE messages SET sent_at = ?2 WHERE lifecycle_id = ?1 AND step_seq = 0",
                params![lifecycle_id, at],
            )?;
            run(
                "UPDATE lifecycles SET ticket_id = ?2, ticket_created_at = ?3, updated_at = ?3
                 WHERE id = ?1",
                params![lifecycle_id, ticket_id, at],
            )
        }
        Mark::MessageIntent { message_id, now } => run(
            "UPDATE messages SET intent_at = ?2 WHERE id = ?1",
            params![message_id, now],
        ),
        Mark::MessageSent {
            message_id,
            conversation_id,
            at,
        } => run(
            "UPDATE messages SET fd_conversation_id = ?2, sent_at = ?3 WHERE id = ?1",
            params![message_id, conversation_id, at],
        ),
        Mark::StepIntent { step_id, now } => run(
            "UPDATE steps SET intent_at = ?2 WHERE id = ?1",
            params![step_id, now],
        ),
        Mark::StepObject { step_id, object_id } => run(
            "UPDATE steps SET fd_object_id = ?2 WHERE id = ?1",
            params![step_id, object_id],
        ),
    }
}
