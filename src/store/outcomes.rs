//! The dispatcher's outcome statements. Each is fenced: it is written only if
//! the step is still `running` under the lease it was claimed with, so a step
//! taken back (lease expired) is never committed twice.

use super::{
    ClaimOptions, ClaimedStep, Mark, Plan, PlannedStep, Result, Store, StoreError, sync_write,
};
use crate::clock::UnixMs;
use crate::domain::LifecycleState;

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
            chain: None,
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
        self.write_sync(|c| write.apply(c)).await.map(|w| w.ours)
    }

    /// Writes many outcomes in one transaction (one fsync). An error of the
    /// whole transaction is returned as such. A write that fails part-way
    /// rolls the whole transaction back and the batch is written again one
    /// outcome per transaction, so that each gets its own error or success.
    pub async fn apply_batch(&self, writes: &[&StepWrite]) -> Result<Vec<Result<Written>>> {
        Ok(self.apply_batch_then_claim(writes, None).await?.0)
    }

    /// [`Store::apply_batch`], then (in the same transaction, so after the
    /// outcomes it may depend on) a claim of `(now, limit, opts)`: one commit
    /// for both. Should the claim fail, the writes are kept and the claim's
    /// error is its own.
    pub async fn apply_batch_then_claim(
        &self,
        writes: &[&StepWrite],
        claim: Option<(UnixMs, i64, ClaimOptions)>,
    ) -> Result<(Vec<Result<Written>>, Option<Result<Vec<ClaimedStep>>>)> {
        let claim_in = |c: &rusqlite::Connection| match claim {
            Some((now, limit, opts)) => super::claims::claim_in(c, now, limit, opts).map(Some),
            None => Ok(None),
        };
        if !writes.is_empty() {
            let all = self
                .write_sync(|c| {
                    let out: Vec<Result<Written>> = writes
                        .iter()
                        .map(|w| w.apply(c).map(Ok))
                        .collect::<rusqlite::Result<_>>()?;
                    Ok((out, claim_in(c)?.map(Ok)))
                })
                .await;
            match all {
                Ok(out) => return Ok(out),
                Err(e) if e.is_transient() => return Err(e),
                Err(_) => {}
            }
        }
        // One by one after a failed batch, nothing is chained: a job whose
        // other write fails would never learn of the step its completion claimed.
        let mut out = Vec::with_capacity(writes.len());
        for w in writes {
            let unchained = w.unchained();
            let w = unchained.as_ref().unwrap_or(w);
            out.push(self.write_sync(|c| w.apply(c)).await);
        }
        let claimed = match claim {
            Some(_) => Some(
                self.write_sync(|c| claim_in(c))
                    .await
                    .map(Option::unwrap_or_default),
            ),
            None => None,
        };
        Ok((out, claimed))
    }
}

/// What one write did: whether the step was still ours (the fence held), and
/// the next step it claimed ([`StepWrite::Complete`] with `chain`).
#[derive(Debug, Default)]
pub struct Written {
    pub ours: bool,
    pub next: Option<ClaimedStep>,
}

impl Written {
    fn ours(ours: bool) -> Written {
        Written { ours, next: None }
    }
}

/// One outcome of a step, to be written (alone or in a batch).
#[derive(Debug, Clone)]
pub enum StepWrite {
    /// The step is done. With `chain` (a lease in ms), the lifecycle's next
    /// step is claimed in the same statement group when it is due by `now`,
    /// so that the worker goes on with it without a claim of its own.
    Complete {
        step: ClaimedStep,
        now: UnixMs,
        chain: Option<i64>,
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
    /// A lifecycle's plan, its later steps and messages ([`Store::save_plan`]);
    /// true if it was saved, false if the lifecycle had one already. With
    /// `create_intent`, the same commit also records that `POST /tickets` is
    /// about to be sent ([`Mark::CreateIntent`] at `now`), saving the creation
    /// step a commit of its own.
    Plan {
        lifecycle_id: i64,
        plan: Box<Plan>,
        steps: Vec<PlannedStep>,
        now: UnixMs,
        create_intent: bool,
    },
}

impl StepWrite {
    /// A copy of a chained completion without its chain; `None` for any other write.
    fn unchained(&self) -> Option<StepWrite> {
        match self {
            StepWrite::Complete {
                step,
                now,
                chain: Some(_),
            } => Some(StepWrite::Complete {
                step: step.clone(),
                now: *now,
                chain: None,
            }),
            _ => None,
        }
    }

    /// Runs the fenced statements; not `ours` if the step was no longer ours.
    fn apply(&self, c: &rusqlite::Connection) -> rusqlite::Result<Written> {
        let ours = match self {
            StepWrite::Complete { step, now, chain } => {
                if !sync_write::complete(c, step, *now)? {
                    return Ok(Written::ours(false));
                }
                let next = match chain {
                    Some(lease_ms) => super::claims::claim_next(c, step, *now, *lease_ms)?,
                    None => None,
                };
                return Ok(Written { ours: true, next });
            }
            StepWrite::Retry {
                step,
                due_at,
                error,
            } => sync_write::retry(c, step, *due_at, error),
            StepWrite::End {
                step,
                now,
                end,
                reason,
            } => sync_write::end(c, step, *now, *end, reason),
            StepWrite::Mark(mark) => sync_write::mark(c, mark).map(|()| true),
            StepWrite::Plan {
                lifecycle_id,
                plan,
                steps,
                now,
                create_intent,
            } => {
                let intent = create_intent.then_some(*now);
                super::lifecycles::write_plan(c, *lifecycle_id, plan, steps, *now, intent)
            }
        }?;
        Ok(Written::ours(ours))
    }
}
