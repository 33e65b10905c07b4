//! The dispatcher's outcome statements. Each is fenced: it is written only if
//! the step is still `running` under the lease it was claimed with, so a step
//! taken back (lease expired) is never committed twice.

use sqlx::Row;
use sqlx::SqliteConnection;

use super::{ClaimedStep, Mark, Result, Store, StoreError};
use crate::clock::UnixMs;
use crate::domain::{self, LifecycleState, StepState};

impl StoreError {
    /// Worth trying again: the database was busy or locked by another
    /// connection, or no connection was free in time. Never a reason to fail a
    /// lifecycle.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Busy { .. } => true,
            StoreError::Sql(sqlx::Error::PoolTimedOut) => true,
            StoreError::Sql(sqlx::Error::Database(db)) => {
                let code = db.code();
                let primary = code.as_deref().and_then(|c| c.parse::<i32>().ok());
                // SQLITE_BUSY = 5, SQLITE_LOCKED = 6 (and their extended codes)
                matches!(primary.map(|c| c & 0xff), Some(5 | 6))
                    || db.message().contains("database is locked")
            }
            _ => false,
        }
    }
}

impl Store {
    /// Puts a claimed step given up at a stop back to `pending`. When none of
    /// its writes left (`unsent`: it waited on the rate budget or a backoff),
    /// its attempt is not counted and the intents this attempt recorded are
    /// cleared, so the next start sends at once instead of looking for a write
    /// that never happened. Otherwise the attempt counts and its intents stay
    /// (the write is uncertain). Fenced like every outcome.
    pub async fn release_step(&self, step: &ClaimedStep, unsent: bool) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE steps SET state = 'pending', lease_until = NULL,
                    attempts = CASE WHEN ?3 THEN MAX(attempts - 1, 0) ELSE attempts END,
                    intent_at = CASE WHEN ?3 AND fd_object_id IS NULL THEN NULL ELSE intent_at END
             WHERE id = ?1 AND state = 'running' AND lease_until = ?2",
        )
        .bind(step.step_id)
        .bind(step.lease_until)
        .bind(unsent)
        .execute(&mut *tx)
        .await?;
        let released = done.rows_affected() == 1;
        if released && unsent {
            sqlx::query(
                "UPDATE messages SET intent_at = NULL
                 WHERE lifecycle_id = ?1 AND step_seq = ?2 AND sent_at IS NULL",
            )
            .bind(step.lifecycle_id)
            .bind(step.seq)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE lifecycles SET create_intent_at = NULL
                 WHERE id = ?1 AND ?2 = 0 AND ticket_id IS NULL",
            )
            .bind(step.lifecycle_id)
            .bind(step.seq)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(released)
    }

    /// Commits a finished step (fenced: only if it is still `running` under its
    /// lease), moves the lifecycle on, and pushes the next step out so the
    /// planned gap is kept. Returns false if the fence failed.
    pub async fn complete_step(&self, step: &ClaimedStep, now: UnixMs) -> Result<bool> {
        self.apply_one(StepWrite::Complete {
            step: step.clone(),
            now,
        })
        .await
    }

    /// Puts a claimed step back to wait until `due_at`, keeping the error.
    pub async fn retry_step(
        &self,
        step: &ClaimedStep,
        due_at: UnixMs,
        error: &str,
    ) -> Result<bool> {
        let error = error.to_string();
        self.apply_one(StepWrite::Retry {
            step: step.clone(),
            due_at,
            error,
        })
        .await
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
        let reason = reason.to_string();
        self.apply_one(StepWrite::End {
            step: step.clone(),
            now,
            end,
            reason,
        })
        .await
    }

    pub(super) async fn apply_one(&self, write: StepWrite) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let fenced = write.apply(&mut tx).await?;
        tx.commit().await?;
        Ok(fenced)
    }

    /// Writes many outcomes in one transaction (one fsync). Each runs in its own
    /// savepoint, so one that fails is rolled back alone and reported; the
    /// others commit. An error of the whole transaction is returned as such.
    pub async fn apply_batch(&self, writes: &[StepWrite]) -> Result<Vec<Result<bool>>> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(writes.len());
        for w in writes {
            sqlx::query("SAVEPOINT outcome").execute(&mut *tx).await?;
            let r = w.apply(&mut tx).await;
            let end = if r.is_ok() {
                "RELEASE outcome"
            } else {
                "ROLLBACK TO outcome"
            };
            sqlx::query(end).execute(&mut *tx).await?;
            if r.is_err() {
                sqlx::query("RELEASE outcome").execute(&mut *tx).await?;
            }
            out.push(r);
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// One outcome of a step, to be written (alone or in a batch).
#[derive(Debug, Clone)]
pub enum StepWrite {
    Complete {
        step: ClaimedStep,
        now: UnixMs,
    },
    Retry {
        step: ClaimedStep,
        due_at: UnixMs,
        error: String,
    },
    End {
        step: ClaimedStep,
        now: UnixMs,
        end: LifecycleState,
        reason: String,
    },
    /// A record of the step's progress (an intent, an answer); never fenced.
    Mark(Mark),
}

impl StepWrite {
    /// Runs the fenced statements; false if the step was no longer ours.
    async fn apply(&self, conn: &mut SqliteConnection) -> Result<bool> {
        match self {
            StepWrite::Complete { step, now } => complete_in(conn, step, *now).await,
            StepWrite::Retry {
                step,
                due_at,
                error,
            } => retry_in(conn, step, *due_at, error).await,
            StepWrite::End {
                step,
                now,
                end,
                reason,
            } => end_in(conn, step, *now, *end, reason).await,
            StepWrite::Mark(mark) => mark.apply(conn).await.map(|()| true),
        }
    }
}

/// Commits a finished step (fenced: only if it is still `running`), moves the
/// lifecycle on, and pushes the next step out so the planned gap is kept.
/// Returns false if the fence failed (someone else owns the step).
async fn complete_in(conn: &mut SqliteConnection, step: &ClaimedStep, now: UnixMs) -> Result<bool> {
    let fenced = sqlx::query(
        "UPDATE steps SET state = 'done', finished_at = ?2, last_error = NULL
         WHERE id = ?1 AND state = 'running' AND lease_until = ?3",
    )
    .bind(step.step_id)
    .bind(now)
    .bind(step.lease_until)
    .execute(&mut *conn)
    .await?;
    if fenced.rows_affected() != 1 {
        return Ok(false);
    }
    let state = step.stage.state_after(step.params.status);
    sqlx::query(
        "UPDATE lifecycles SET state = COALESCE(?2, state), updated_at = ?3, last_error = NULL
         WHERE id = ?1",
    )
    .bind(step.lifecycle_id)
    .bind(state.map(LifecycleState::as_str))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let next =
        sqlx::query("SELECT id, offset_ms, due_at FROM steps WHERE lifecycle_id = ?1 AND seq = ?2")
            .bind(step.lifecycle_id)
            .bind(step.seq + 1)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(r) = next {
        let due = domain::next_due(now, step.offset_ms, r.get(1), r.get(2));
        sqlx::query("UPDATE steps SET due_at = ?2 WHERE id = ?1")
            .bind(r.get::<i64, _>(0))
            .bind(due)
            .execute(&mut *conn)
            .await?;
    }
    Ok(true)
}

/// Puts a claimed step back to wait until `due_at`, keeping the error.
async fn retry_in(
    conn: &mut SqliteConnection,
    step: &ClaimedStep,
    due_at: UnixMs,
    error: &str,
) -> Result<bool> {
    let fenced = sqlx::query(
        "UPDATE steps SET state = 'retry', due_at = ?2, last_error = ?3, lease_until = NULL
         WHERE id = ?1 AND state = 'running' AND lease_until = ?4",
    )
    .bind(step.step_id)
    .bind(due_at)
    .bind(error)
    .bind(step.lease_until)
    .execute(&mut *conn)
    .await?;
    if fenced.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE lifecycles SET last_error = ?2 WHERE id = ?1")
        .bind(step.lifecycle_id)
        .bind(error)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Ends a lifecycle at this step: the step becomes `failed` (or `cancelled`),
/// the steps after it `cancelled`, the lifecycle takes `end` with the reason.
async fn end_in(
    conn: &mut SqliteConnection,
    step: &ClaimedStep,
    now: UnixMs,
    end: LifecycleState,
    reason: &str,
) -> Result<bool> {
    let step_state = match end {
        LifecycleState::Cancelled => StepState::Cancelled,
        _ => StepState::Failed,
    };
    let fenced = sqlx::query(
        "UPDATE steps SET state = ?2, finished_at = ?3, last_error = ?4
         WHERE id = ?1 AND state = 'running' AND lease_until = ?5",
    )
    .bind(step.step_id)
    .bind(step_state.as_str())
    .bind(now)
    .bind(reason)
    .bind(step.lease_until)
    .execute(&mut *conn)
    .await?;
    if fenced.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE steps SET state = 'cancelled', finished_at = ?3
         WHERE lifecycle_id = ?1 AND seq > ?2 AND state IN ('pending', 'retry')",
    )
    .bind(step.lifecycle_id)
    .bind(step.seq)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE lifecycles SET state = ?2, updated_at = ?3, last_error = ?4 WHERE id = ?1")
        .bind(step.lifecycle_id)
        .bind(end.as_str())
        .bind(now)
        .bind(reason)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}
