//! `ticketsim spawn`: arguments and output.

use std::path::PathBuf;

use crate::app::{self, AppError, MAX_SPAWN, SpawnOptions};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ProcessEnv};

use super::DbArg;

#[derive(Debug, clap::Args)]
pub struct SpawnArgs {
    /// How many lifecycles to start (at most 1000).
    #[arg(short = 'n', long = "count", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=MAX_SPAWN as i64))]
    pub count: u32,
    /// The playbook they follow (e.g. classic, escalation, reopen), whether or not
    /// TICKETSIM_PLAYBOOKS selects it [default: chosen as for the cron's tickets].
    #[arg(long, value_name = "P")]
    pub playbook: Option<String>,
    #[command(flatten)]
    pub db: DbArg,
}

pub async fn run(args: SpawnArgs, db: Option<PathBuf>) -> Result<(), AppError> {
    let cfg = Config::from_env(&ProcessEnv, db.as_deref())?;
    let opts = SpawnOptions {
        count: args.count,
        playbook: args.playbook,
    };
    let s = app::spawn(&cfg, &opts, SystemClock.now_ms()).await?;
    if !s.started.is_empty() {
        let ids: Vec<String> = s.started.iter().map(i64::to_string).collect();
        println!(
            "spawn: started {} lifecycle(s) (ids {}) in {}; a running `ticketsim run` picks them up within {} s, or the next start does",
            s.started.len(),
            ids.join(", "),
            cfg.db_path.display(),
            app::SPAWN_POLL_MS / 1_000
        );
    }
    match (s.capped, s.cap_note) {
        (0, _) | (_, None) => Ok(()),
        (n, Some(note)) if s.started.is_empty() => Err(AppError::Capped(format!(
            "spawn: started none; {n} slot(s) recorded as skipped: {note}"
        ))),
        (n, Some(note)) => {
            println!("spawn: {n} slot(s) recorded as skipped: {note}");
            Ok(())
        }
    }
}
