//! `POST /tickets/bulk_update` and the job it starts (api §2.8).

use std::time::Duration;

use super::budget::Lane;
use super::client::{Call, Client};
use super::error::Error;
use super::retry::Policy;
use super::types::{BulkAccepted, BulkOutcome, BulkUpdate, Job, JobItem};

/// Freshdesk's limit of ids per bulk call.
pub const MAX_BULK_IDS: usize = 100;
/// The first pause between two looks at a job; it doubles up to [`POLL_CAP`].
const POLL_FIRST: Duration = Duration::from_secs(1);
const POLL_CAP: Duration = Duration::from_secs(15);
/// How long a bulk update waits for its job before giving up (the job may still
/// finish; Freshdesk keeps it for a day).
const POLL_DEADLINE: Duration = Duration::from_secs(600);

impl Client {
    /// Updates up to 100 tickets at once and waits for the background job, looking
    /// at it with a growing pause (1 s, 2 s, 4 s ... 15 s) for up to 10 minutes.
    ///
    /// Without a `reply` the call only sets properties, so it is repeated on
    /// transient failures like a PUT; with a reply it is sent once.
    #[tracing::instrument(skip(self, update), fields(tickets = update.ids.len()))]
    pub async fn bulk_update_tickets(&self, update: &BulkUpdate) -> Result<BulkOutcome, Error> {
        if update.ids.is_empty() || update.ids.len() > MAX_BULK_IDS {
            return Err(Error::Invalid(format!(
                "a bulk update takes 1 to {MAX_BULK_IDS} ticket ids, got {}; split the list",
                update.ids.len()
            )));
        }
        let mut call = Call::post("tickets/bulk_update", update, Lane::New)?;
        if update.reply.is_none() {
            call = call.policy(Policy::Idempotent);
        }
        match self.fetch::<BulkAccepted>(call).await? {
            BulkAccepted::Job { job_id, .. } => self.wait_for_job(&job_id).await,
            BulkAccepted::Done { succeeded, failed } => Ok(immediate_outcome(succeeded, failed)),
        }
    }

    /// `GET /jobs/{id}`: the state of a background job.
    #[tracing::instrument(skip(self))]
    pub async fn job(&self, job_id: &str) -> Result<Job, Error> {
        if job_id.is_empty()
            || !job_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(Error::Invalid(format!("\"{job_id}\" is not a job id")));
        }
        let call = Call::get(format!("jobs/{job_id}"), Lane::New).what(format!("Job {job_id}"));
        self.fetch(call).await
    }

    /// Looks at the job until it has finished, pausing longer each time.
    async fn wait_for_job(&self, job_id: &str) -> Result<BulkOutcome, Error> {
        let started = tokio::time::Instant::now();
        let mut pause = POLL_FIRST;
        loop {
            let job = self.job(job_id).await?;
            if job.is_finished() {
                return Ok(BulkOutcome {
                    job_id: Some(job_id.to_string()),
                    status: job.status,
                    items: job_items(job.data.unwrap_or_default()),
                });
            }
            if started.elapsed() + pause > POLL_DEADLINE {
                return Err(Error::JobUnfinished {
                    job_id: job_id.to_string(),
                    status: job.status,
                    waited: started.elapsed(),
                });
            }
            tracing::debug!(job_id, status = %job.status, pause_ms = pause.as_millis() as u64, "bulk job still running");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(POLL_CAP);
        }
    }
}

/// The per-ticket results of a finished job; entries that are not objects are
/// kept as an item without an id.
fn job_items(data: Vec<serde_json::Value>) -> Vec<JobItem> {
    data.into_iter()
        .map(|v| {
            serde_json::from_value(v.clone()).unwrap_or_else(|_| JobItem {
                id: None,
                success: None,
                errors: None,
                rest: serde_json::Map::from_iter([("value".to_string(), v)]),
            })
        })
        .collect()
}

/// The older 202 form, `{"succeeded":[ids],"failed":[{"id":..,"errors":[..]}]}`.
fn immediate_outcome(succeeded: Vec<i64>, failed: Vec<serde_json::Value>) -> BulkOutcome {
    let ok = succeeded
        .into_iter()
        .map(|id| serde_json::json!({"id": id, "success": true}));
    let bad = failed.into_iter().map(|mut item| {
        if let Some(obj) = item.as_object_mut() {
            obj.insert("success".into(), false.into());
        }
        item
    });
    let items = ok
        .chain(bad)
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect::<Vec<JobItem>>();
    let succeeded = items.iter().filter(|i| i.success == Some(true)).count();
    let status = match succeeded {
        n if n == items.len() => "SUCCESS",
        0 => "FAILED",
        _ => "PARTIAL",
    };
    BulkOutcome {
        job_id: None,
        status: status.to_string(),
        items,
    }
}
