//! The single writer of step outcomes. Workers hand it their outcome and wait;
//! it groups whatever is ready into one transaction (one fsync for many
//! steps) and answers each worker only once that transaction has committed.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::store::{StepWrite, Store, StoreError};

/// Outcomes written in one transaction at most.
const MAX_BATCH: usize = 256;

struct Job {
    /// Written in this order, in one transaction; the last is the outcome.
    writes: Vec<StepWrite>,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// A handle to the writer task; the task ends when the last handle is dropped.
pub(super) struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer task (needs a tokio runtime).
    pub(super) fn spawn(store: Store, metrics: Option<Arc<Metrics>>) -> Writer {
        let (jobs, rx) = mpsc::unbounded_channel();
        // On a thread of its own: each statement of a batch is a round trip to
        // the connection's thread, and the writer resumes at once after each
        // instead of queueing behind every worker on the shared runtime.
        let run = run(store, rx, metrics);
        std::thread::Builder::new()
            .name("ticketsim-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run),
                    Err(e) => tracing::error!(error = %e, "could not start the outcome writer"),
                }
            })
            .expect("writer thread");
        Writer { jobs }
    }

    /// Writes one outcome; returns once it is committed (true), or was fenced
    /// out (false: the step is no longer ours).
    pub(super) async fn write(&self, write: StepWrite) -> Result<bool, StoreError> {
        self.write_all(vec![write]).await
    }

    /// Writes `writes` in one transaction (records of progress first, the
    /// outcome last); answers for the last.
    pub(super) async fn write_all(&self, writes: Vec<StepWrite>) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Data("the outcome writer has stopped".into());
        self.jobs.send(Job { writes, reply }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(store: Store, mut rx: mpsc::UnboundedReceiver<Job>, metrics: Option<Arc<Metrics>>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let writes: Vec<StepWrite> = jobs.iter().flat_map(|j| j.writes.clone()).collect();
        let started = Instant::now();
        match store.apply_batch(&writes).await {
            Ok(results) => {
                if let Some(m) = &metrics {
                    m.commit(started.elapsed());
                }
                let mut results = results.into_iter();
                for job in jobs {
                    let mine: Vec<_> = results.by_ref().take(job.writes.len()).collect();
                    let _ = job.reply.send(answer(mine));
                }
            }
            // The transaction itself failed (busy, disk): each job alone, so
            // that each worker gets its own error (or success).
            Err(_) => {
                for job in jobs {
                    let result = store.apply_batch(&job.writes).await;
                    let _ = job.reply.send(result.and_then(answer));
                }
            }
        }
    }
}

/// A job's answer: its first error, else the last write's (the outcome's).
fn answer(results: Vec<Result<bool, StoreError>>) -> Result<bool, StoreError> {
    let mut last = Ok(false);
    for r in results {
        last = Ok(r?);
    }
    last
}
