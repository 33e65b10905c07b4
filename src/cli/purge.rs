//! `ticketsim purge`: its flags, the confirmation, and the summary it prints.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use super::DbArg;
use crate::app::{self, AppError, PurgeOptions, PurgeSummary};
use crate::config::{Config, ProcessEnv, host_of};

#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    /// List what would be deleted; delete and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also delete tickets that carry the tag but that the database does not know.
    #[arg(long)]
    pub include_tagged: bool,
    /// Also delete the contacts seed-contacts made (tagged, on reserved domains).
    #[arg(long)]
    pub contacts: bool,
    /// Only tickets created at least this long ago (e.g. 7d, 12h); contacts are not aged.
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    pub older_than: Option<i64>,
    /// Do not ask before deleting (needed when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArg,
}

pub async fn run(args: PurgeArgs, db: Option<PathBuf>) -> Result<(), AppError> {
    let cfg = Config::from_env(&ProcessEnv, db.as_deref())?;
    let opts = PurgeOptions {
        dry_run: args.dry_run,
        include_tagged: args.include_tagged,
        contacts: args.contacts,
        older_than_ms: args.older_than,
    };
    if !opts.dry_run && !args.yes {
        confirm(&cfg, opts).await?;
    }
    let summary = app::purge(&cfg, opts, std::io::stderr()).await?;
    if args.json {
        let text = serde_json::to_string(&summary).map_err(|e| AppError::Io(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", summary_text(&summary));
    }
    Ok(())
}

/// Asks on the terminal; without one, `--yes` is required (exit 2).
async fn confirm(cfg: &Config, opts: PurgeOptions) -> Result<(), AppError> {
    if !std::io::stdin().is_terminal() {
        return Err(AppError::Usage(
            "purge: stdin is not a terminal, so it cannot ask; add --yes to delete, or --dry-run to list".into(),
        ));
    }
    let ids = app::purge_plan(cfg).await?;
    let first: Vec<String> = ids.iter().take(10).map(i64::to_string).collect();
    let mut what = format!(
        "up to {} tickets ticketsim made (ids {} ...)",
        ids.len(),
        first.join(", ")
    );
    if opts.include_tagged {
        what.push_str(", plus every ticket tagged \"");
        what.push_str(&cfg.tag);
        what.push('"');
    }
    if opts.contacts {
        what.push_str(", and the tagged contacts on reserved domains");
    }
    print!("Delete {what} from {}? [y/N] ", host_of(&cfg.freshdesk_url));
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(AppError::Usage(
            "purge: not confirmed; nothing was deleted".into(),
        ))
    }
}

fn parse_age(s: &str) -> Result<i64, String> {
    match crate::domain::parse_duration(s)? {
        ms if ms > 0 => Ok(ms),
        _ => Err("must be greater than zero".into()),
    }
}

fn summary_text(s: &PurgeSummary) -> String {
    let verb = if s.dry_run { "would delete" } else { "deleted" };
    let ids: Vec<String> = s.first_ids.iter().map(i64::to_string).collect();
    format!(
        "purge{}: {verb} {} tickets ticketsim made and {} tagged tickets unknown to the database; \
         {} were already gone; kept {} untagged, {} tagged-but-unknown and {} too recent; contacts: {verb} {}, kept {}\n\
         first ids: {}\n",
        if s.dry_run { " (dry run)" } else { "" },
        s.tickets_deleted,
        s.tagged_unknown_deleted,
        s.tickets_already_gone,
        s.tickets_untagged_kept,
        s.tagged_unknown_kept,
        s.too_recent_kept,
        s.contacts_deleted,
        s.contacts_kept,
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        },
    )
}
