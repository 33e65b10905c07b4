//! Bulk-update jobs (freshdesk-api.md §2.8). A job waits `QUEUED` for 1 s,
//! runs `IN_PROGRESS` for another second, and is applied when the injected
//! clock passes 2 s: tests step a `ManualClock` instead of sleeping.
//! Finished jobs are kept for a day, as Freshdesk keeps them.

use super::records::JobRec;
use super::state::World;

const KEEP_MS: i64 = 86_400_000;

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
