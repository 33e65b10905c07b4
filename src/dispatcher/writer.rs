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
    write: StepWrite,
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
        tokio::spawn(run(store, rx, metrics));
        Writer { jobs }
    }

    /// Writes one outcome; returns once it is committed (true), or was fenced
    /// out (false: the step is no longer ours).
    pub(super) async fn write(&self, write: StepWrite) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Data("the outcome writer has stopped".into());
        self.jobs.send(Job { write, reply }).map_err(|_| gone())?;
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
        let writes: Vec<StepWrite> = jobs.iter().map(|j| j.write.clone()).collect();
        let started = Instant::now();
        match store.apply_batch(&writes).await {
            Ok(results) => {
                if let Some(m) = &metrics {
                    m.commit(started.elapsed());
                }
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            // The transaction itself failed (busy, disk): each outcome alone,
            // so that each worker gets its own error (or success).
            Err(_) => {
                for job in jobs {
                    let result = store.apply_batch(std::slice::from_ref(&job.write)).await;
                    let _ = job.reply.send(result.and_then(|mut r| r.remove(0)));
                }
            }
        }
    }
}
