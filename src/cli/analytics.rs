//! `ticketsim report`: arguments; the report itself is `app::report`.

use std::path::Path;

use crate::app::AppError;
use crate::app::report::{self, ReportFormat, ReportKind, ReportOptions};
use crate::clock::{Clock, SystemClock};

use super::DbArg;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Only lifecycles created from then on: a date (2026-12-01, UTC midnight), an
    /// ISO time (2026-12-01T08:00:00Z) or a duration back from now (24h, 7d).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only lifecycles created before then: as --since; a date includes that whole day.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV in long format: section,name,metric,value (one figure a row).
    #[arg(long)]
    pub csv: bool,
    /// The training report instead: grades of the trainee tickets closed since
    /// --since (no --until or --csv).
    #[arg(long, conflicts_with_all = ["csv", "until"])]
    pub training: bool,
    #[command(flatten)]
    pub db: DbArg,
}

impl ReportArgs {
    /// Which report the flags ask for (the analytics unless another report's flag is given).
    fn kind(&self) -> ReportKind {
        match self.training {
            true => ReportKind::Training,
            false => ReportKind::Analytics,
        }
    }

    fn format(&self) -> ReportFormat {
        match (self.json, self.csv) {
            (true, _) => ReportFormat::Json,
            (_, true) => ReportFormat::Csv,
            _ => ReportFormat::Text,
        }
    }
}

pub async fn run(args: ReportArgs, db: &Path) -> Result<(), AppError> {
    let opts = ReportOptions {
        kind: args.kind(),
        format: args.format(),
        since: args.since.clone(),
        until: args.until.clone(),
    };
    let mut out = std::io::stdout().lock();
    report::report(db, &opts, SystemClock.now_ms(), &mut out).await
}
