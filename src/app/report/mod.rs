//! `ticketsim report`: the integration guide's analytics, from the database
//! only (opened read-only, so it works while the daemon runs). The store reads
//! the facts; this aggregates them; `render` prints text, JSON or CSV.
//!
//! What the database does not hold is said, not guessed: per-request API
//! latencies and 429s are not recorded durably (the admin `/metrics` endpoint
//! has them while the daemon runs); the step timings are the durable measure.

mod dates;
mod render;
mod stats;

use std::path::Path;

use serde::Serialize;

use crate::clock::{UnixMs, format_iso};
use crate::store::{Period, Store, StoreError};

use super::AppError;
pub use dates::parse_period;
pub use stats::{AgentStats, DayStats, GroupStats, ScenarioStats, StepStats, Timing, Totals};

/// Which report: each is one flag of `ticketsim report` (the analytics when
/// none is given). New reports add a variant and a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportKind {
    #[default]
    Analytics,
    /// `--training`: the grades of the trainee tickets closed since `since`.
    Training,
}

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    #[default]
    Text,
    Json,
    /// Long format: `section,name,metric,value`, one figure a row.
    Csv,
}

/// `ticketsim report`'s options, as typed (the dates are checked here).
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub kind: ReportKind,
    pub format: ReportFormat,
    pub since: Option<String>,
    pub until: Option<String>,
}

/// The analytics of the lifecycles created in a period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Analytics {
    pub database: String,
    /// ISO times; `null` for an open side.
    pub since: Option<String>,
    pub until: Option<String>,
    pub totals: Totals,
    pub agents: Vec<AgentStats>,
    pub groups: Vec<GroupStats>,
    pub days: Vec<DayStats>,
    pub scenarios: Vec<ScenarioStats>,
    pub steps: Vec<StepStats>,
    pub api: ApiFigures,
}

/// What is known of the API traffic from the database.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiFigures {
    /// Always false today: per-request latencies and 429s are not stored.
    pub latency_recorded: bool,
    pub note: &'static str,
    /// Slots skipped by `TICKETSIM_MAX_TICKETS_PER_DAY` in the period.
    pub slots_skipped_by_daily_cap: i64,
}

pub const API_NOTE: &str = "per-request API latency and 429 counts are not recorded in the database; \
    scrape the daemon's /metrics while it runs for them. Step timings (claim to commit, which \
    includes rate-budget waits, Retry-After pauses and retries) are the durable measure";

/// Runs the report on the database at `db` and writes it to `out`.
pub async fn report(
    db: &Path,
    opts: &ReportOptions,
    now: UnixMs,
    out: &mut dyn std::io::Write,
) -> Result<(), AppError> {
    let period = parse_period(opts.since.as_deref(), opts.until.as_deref(), now)?;
    let store = Store::open_read_only(db).await?;
    let text = match opts.kind {
        ReportKind::Analytics => analytics(&store, period)
            .await
            .map(|a| render::render(&a, opts.format))
            .map_err(AppError::from),
        ReportKind::Training => training(&store, period, opts.format).await,
    };
    store.close().await;
    out.write_all(text?.as_bytes())
        .map_err(|e| AppError::Io(format!("cannot write the report: {e}")))
}

/// The grades of the trainee tickets closed since the period's start, as
/// text or JSON (the CLI refuses `--csv` and `--until` with `--training`).
async fn training(store: &Store, period: Period, format: ReportFormat) -> Result<String, AppError> {
    let grades = super::training_grades(store, period.since.unwrap_or(0)).await?;
    let report = crate::training::Report::new(grades);
    match format {
        ReportFormat::Json => serde_json::to_string_pretty(&report)
            .map(|j| j + "\n")
            .map_err(|e| AppError::Io(e.to_string())),
        _ => Ok(report.text()),
    }
}

/// Reads the facts of the period and aggregates them.
pub async fn analytics(store: &Store, period: Period) -> Result<Analytics, StoreError> {
    let facts = store.lifecycle_facts(period).await?;
    let replies = store.agent_replies(period).await?;
    let steps = store.step_counts(period).await?;
    let timings = store.step_timings(period).await?;
    Ok(Analytics {
        database: store.path().display().to_string(),
        since: period.since.map(format_iso),
        until: period.until.map(format_iso),
        totals: stats::totals(&facts),
        agents: stats::agents(&facts, &replies),
        groups: stats::groups(&facts),
        days: stats::days(&facts),
        scenarios: stats::scenarios(&facts),
        steps: stats::steps(&steps, &timings),
        api: ApiFigures {
            latency_recorded: false,
            note: API_NOTE,
            slots_skipped_by_daily_cap: store.capped_slots(period).await?,
        },
    })
}
