//! Bulk-update jobs (freshdesk-api.md §2.8). A job waits `QUEUED` for 1 s,
//! runs `IN_PROGRESS` for another second, and is applied when the injected
//! clock passes 2 s: tests step a `ManualClock` instead of sleeping.
//! Finished jobs are kept for a day, as Freshdesk keeps them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::state::World;
use super::validate::Body;
use crate::clock::UnixMs;

pub(crate) const QUEUED_MS: i64 = 1_000;
pub(crate) const RUN_MS: i64 = 2_000;
const KEEP_MS: i64 = 86_400_000;

/// The reply a bulk update sends on every ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BulkReply {
    pub body: String,
}

/// A bulk update waiting, running or done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobRec {
    /// 32 hex digits.
    pub id: String,
    pub created_ms: UnixMs,
    pub ids: Vec<i64>,
    /// The checked `properties` object, applied to each ticket as an update.
    pub properties: Option<Body>,
    pub reply: Option<BulkReply>,
    /// One result a ticket, once the job has run.
    pub data: Option<Vec<Value>>,
}

impl JobRec {
    /// `QUEUED`, `IN_PROGRESS`, then `SUCCESS`, `PARTIAL` or `FAILED`.
    pub(crate) fn status(&self, now: UnixMs) -> &'static str {
        match &self.data {
            Some(items) => {
                let ok = items.iter().filter(|i| i["success"] == true).count();
                if ok == items.len() {
                    "SUCCESS"
                } else if ok == 0 {
                    "FAILED"
                } else {
                    "PARTIAL"
                }
            }
            None if now < self.created_ms + QUEUED_MS => "QUEUED",
            None => "IN_PROGRESS",
        }
    }

    /// Due to run at `now`.
    pub(crate) fn is_due(&self, now: UnixMs) -> bool {
        self.data.is_none() && now >= self.created_ms + RUN_MS
    }
}

impl World {
    /// Queues a job, forgetting jobs older than a day.
    pub(crate) fn add_job(&mut self, job: JobRec) {
        let now = job.created_ms;
        self.jobs.retain(|j| now - j.created_ms < KEEP_MS);
        self.jobs.push(job);
    }

    pub(crate) fn job(&self, id: &str) -> Option<&JobRec> {
        self.jobs.iter().find(|j| j.id == id)
    }

    /// Whether any job waits to be run. Checked on every request, so it
    /// looks at the newest job only: jobs run in the order queued.
    pub(crate) fn has_pending_jobs(&self) -> bool {
        self.jobs.last().is_some_and(|j| j.data.is_none())
    }
}
