//! The single writer of step outcomes. Workers hand it their outcome and wait;
//! it groups whatever is ready into one transaction (one fsync for many
//! steps) and answers each worker only once that transaction has committed.
//! The pool's claims go through it too, last in the transaction (after the
//! outcomes that make the next steps due): the write connection is never
//! handed between the writer and the pool's loop.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::clock::UnixMs;
use crate::metrics::Metrics;
use crate::store::{ClaimOptions, ClaimedStep, StepWrite, Store, StoreError, Written};

/// Outcomes written in one transaction at most.
const MAX_BATCH: usize = 256;

struct Job {
    /// Written in this order, in one transaction; the last is the outcome.
    writes: Vec<StepWrite>,
    reply: oneshot::Sender<Result<Written, StoreError>>,
}

/// A claim of `(now, limit, options)`, answered with the steps claimed.
struct ClaimJob {
    args: (UnixMs, i64, ClaimOptions),
    reply: oneshot::Sender<Result<Vec<ClaimedStep>, StoreError>>,
}

enum Work {
    Write(Job),
    Claim(ClaimJob),
}

/// A handle to the writer task; the task ends when the last handle is dropped.
pub(super) struct Writer {
    jobs: mpsc::UnboundedSender<Work>,
}

impl Writer {
    /// Starts the writer (needs a tokio runtime). It runs on a thread of its
    /// own: a batch is written synchronously (SQLite and its fsync, see
    /// `store::sync_write`), which must not hold up the shared runtime's
    /// workers. Without a thread it runs as a task (batches then block in place).
    pub(super) fn spawn(store: Store, metrics: Option<Arc<Metrics>>) -> Writer {
        let (jobs, rx) = mpsc::unbounded_channel();
        let parts = Arc::new(Mutex::new(Some((store, rx, metrics))));
        let theirs = parts.clone();
        let spawned = std::thread::Builder::new()
            .name("ticketsim-writer".into())
            .spawn(move || {
                let Some((store, rx, metrics)) = take(&theirs) else {
                    return;
                };
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run(store, rx, metrics)),
                    Err(e) => tracing::error!(error = %e, "could not start the outcome writer"),
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no thread for the outcome writer; it runs on the shared runtime");
            if let Some((store, rx, metrics)) = take(&parts) {
                tokio::spawn(run(store, rx, metrics));
            }
        }
        Writer { jobs }
    }

    /// Writes one outcome; returns once it is committed (true), or was fenced
    /// out (false: the step is no longer ours).
    pub(super) async fn write(&self, write: StepWrite) -> Result<bool, StoreError> {
        self.write_all(vec![write]).await.map(|w| w.ours)
    }

    /// Writes `writes` in one transaction (records of progress first, the
    /// outcome last); answers for the last.
    pub(super) async fn write_all(&self, writes: Vec<StepWrite>) -> Result<Written, StoreError> {
        let (reply, answer) = oneshot::channel();
        let work = Work::Write(Job { writes, reply });
        self.jobs.send(work).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Claims up to `limit` due steps in the writer's next transaction.
    pub(super) async fn claim(
        &self,
        now: UnixMs,
        limit: i64,
        opts: ClaimOptions,
    ) -> Result<Vec<ClaimedStep>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let work = Work::Claim(ClaimJob {
            args: (now, limit, opts),
            reply,
        });
        self.jobs.send(work).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

fn gone() -> StoreError {
    StoreError::Data("the outcome writer has stopped".into())
}

async fn run(store: Store, mut rx: mpsc::UnboundedReceiver<Work>, metrics: Option<Arc<Metrics>>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = Vec::new();
        let mut claims = Vec::new();
        let mut take = |w: Work| match w {
            Work::Write(j) => jobs.push(j),
            Work::Claim(c) => claims.push(c),
        };
        take(first);
        for _ in 1..MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => take(w),
                Err(_) => break,
            }
        }
        let mut claims = claims.into_iter();
        write_batch(&store, jobs, claims.next(), metrics.as_deref()).await;
        // Another claim at once is rare (one loop claims at a time): alone.
        for claim in claims {
            write_batch(&store, Vec::new(), Some(claim), None).await;
        }
    }
}

/// One transaction: the jobs' writes, then the claim; answers each.
async fn write_batch(
    store: &Store,
    jobs: Vec<Job>,
    claim: Option<ClaimJob>,
    metrics: Option<&Metrics>,
) {
    let writes: Vec<&StepWrite> = jobs.iter().flat_map(|j| &j.writes).collect();
    let started = Instant::now();
    let (claim_args, claim_reply) = match claim {
        Some(c) => (Some(c.args), Some(c.reply)),
        None => (None, None),
    };
    match store.apply_batch_then_claim(&writes, claim_args).await {
        Ok((results, claimed)) => {
            if let Some(m) = metrics {
                m.commit(started.elapsed());
            }
            let mut results = results.into_iter();
            for job in jobs {
                let mine: Vec<_> = results.by_ref().take(job.writes.len()).collect();
                let _ = job.reply.send(answer(mine));
            }
            if let (Some(reply), Some(claimed)) = (claim_reply, claimed) {
                let _ = reply.send(claimed);
            }
        }
        // The transaction itself failed (busy, disk): each job alone, so
        // that each worker gets its own error (or success).
        Err(e) => {
            for job in jobs {
                let writes: Vec<&StepWrite> = job.writes.iter().collect();
                let result = store.apply_batch(&writes).await;
                let _ = job.reply.send(result.and_then(answer));
            }
            if let Some(reply) = claim_reply {
                let _ = reply.send(Err(e));
            }
        }
    }
}

type Parts = (Store, mpsc::UnboundedReceiver<Work>, Option<Arc<Metrics>>);

fn take(parts: &Mutex<Option<Parts>>) -> Option<Parts> {
    parts.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// A job's answer: its first error, else the last write's (the outcome's).
fn answer(results: Vec<Result<Written, StoreError>>) -> Result<Written, StoreError> {
    let mut last = Written::default();
    for r in results {
        last = r?;
    }
    Ok(last)
}
