//! Command-line interface: clap definitions and one small function per
//! subcommand. No business logic: each function calls into `app` or `store`.

mod analytics;
mod check;
mod demo;
mod emulator;
mod export;
mod load;
mod preview;
mod purge;
mod report;
mod spawn;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{self, AppError, RunOptions};
use crate::config::{self, Config, ProcessEnv};
pub use emulator::EmulatorArgs;

/// ticketsim keeps a Freshdesk helpdesk alive with simulated support traffic:
/// on a cron schedule it opens a ticket from a random contact, assigns it to a
/// random agent, and walks it through an agent reply, a customer reply, a
/// resolution and a close, durably, from a SQLite database.
///
/// Configuration comes from the environment and an optional .env file; see
/// .env.example. Start with `ticketsim demo`, which needs none.
#[derive(Debug, Parser)]
#[command(name = "ticketsim", version, about, long_about, after_help = EXIT_CODES)]
pub struct Cli {
    /// SQLite database file, for run, demo, load, spawn, report, status, show, export, seed-contacts and purge (which
    /// also take it after their name) [env: TICKETSIM_DB; default:
    /// $STATE_DIRECTORY/ticketsim.db under systemd, else ./ticketsim.db; the demo defaults
    /// to ./ticketsim-demo.db]
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

const EXIT_CODES: &str = "Exit codes:
  0  success (run: stopped cleanly; check: the daemon would work)
  1  runtime failure: network, database, or a check that failed (systemd restarts it)
  2  bad configuration or usage: fix what the message names, a restart does not help";

/// `--db PATH` of the commands that use a database.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DbArg {
    /// SQLite database file (same as the global --db).
    #[arg(long = "db", value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: start tickets on the cron schedule and perform their steps.
    ///
    /// Needs FRESHDESK_URL and FRESHDESK_API_KEY. SIGTERM or Ctrl-C finish the
    /// step in hand and stop cleanly; a restart picks up where it left off.
    ///
    /// Serves /healthz, /readyz and /metrics (Prometheus) on TICKETSIM_HTTP_ADDR
    /// (default 127.0.0.1:9187; `off` disables; a taken address exits 2). Under
    /// systemd it reports READY=1, STATUS= lines, and WATCHDOG=1 pings while the
    /// dispatcher and the database answer (WatchdogSec=).
    /// With TICKETSIM_MAX_TICKETS_PER_DAY, slots past the cap (per UTC day, counted
    /// in the database) are recorded as skipped. Lifecycles added by `ticketsim
    /// spawn` are picked up within 2 s.
    /// Training mode (TICKETSIM_MODE=training): trainees answer the tickets and a
    /// simulated customer reacts. It hears of replies through POST
    /// /webhooks/freshdesk on TICKETSIM_HTTP_ADDR (with FRESHDESK_WEBHOOK_SECRET)
    /// and/or by polling every TICKETSIM_POLL_INTERVAL; see also
    /// TICKETSIM_TRAINEE_GROUP, TICKETSIM_TRAINEE_SLA, TICKETSIM_CUSTOMER_DELAY and
    /// TICKETSIM_GRADE_NOTE (README, "Training mode").
    Run {
        /// Start no new tickets: finish the lifecycles in flight, then exit.
        #[arg(long)]
        drain: bool,
        /// Send no writes to Freshdesk: read as usual, log each POST/PUT/DELETE it
        /// would send. Lifecycles fail at their first write, so use a scratch --db.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Test the connection and everything else the daemon needs, before running it.
    ///
    /// Checks the URL and key, the plan's rate limit, agents/contacts/groups, ticket
    /// fields required for closure, the custom-field mapping, whether the key may
    /// act as the customer, and whether the schedule fits the budget. Reads the
    /// same configuration as `run`. To learn whether the key may post
    /// as the customer it makes a throwaway contact (ticketsim-check-probe@example.com)
    /// and ticket, posts one note, and removes them (the ticket goes to Freshdesk's
    /// trash, emptied after 30 days); --no-probe skips that. Exits 0 only when the
    /// daemon would work, 1 with the reason otherwise, 2 on bad configuration.
    Check {
        /// Print {"success", "message", "platform", "domain", ...} as JSON.
        #[arg(long)]
        json: bool,
        /// Do not probe whether the key may act as the customer (nothing is written).
        #[arg(long)]
        no_probe: bool,
    },
    /// Show ticketsim working, against a built-in Freshdesk emulator.
    ///
    /// Starts a ticket every 10 s with steps at +5/+10/+15/+20 s and prints one
    /// line per step. Needs no configuration. Replaces an earlier demo database
    /// at the same path, and refuses to touch any other database.
    Demo {
        /// Stop after this long (e.g. 60s, 5m); without it, run until Ctrl-C.
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
        duration: Option<Duration>,
        /// Seed for people and conversation text.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Playbooks to use: `all`, or a comma list of classic, pending, escalation,
        /// time-logged, reopen, no-answer.
        #[arg(long, value_name = "LIST", default_value = "classic")]
        playbooks: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Serve a Freshdesk-compatible API emulator (for demos, tests and load tests).
    ///
    /// Speaks the Freshdesk v2 API on 127.0.0.1 with the key from --api-key.
    /// Unauthenticated admin routes: GET /_emulator/state and /_emulator/requests
    /// to inspect; GET/PUT/POST/DELETE /_emulator/faults to change faults while
    /// it runs; POST /_emulator/tickets/{id}/delete (or /spam) and
    /// /_emulator/contacts/{id}/block to act as a human in the UI.
    Emulator(EmulatorArgs),
    /// Delete from Freshdesk the tickets ticketsim made (and, on request, its contacts).
    ///
    /// A ticket is deleted only when the database knows it and it still carries the
    /// tag (TICKETSIM_TAG); --include-tagged adds tagged tickets the database does not
    /// know. Deletes go to Freshdesk's trash, one request each, within the rate budget.
    /// Each removal is recorded, and a ticket already deleted counts as done, so a
    /// purge that was stopped is finished by running it again. Progress on stderr,
    /// the summary on stdout. Asks first unless --yes.
    Purge(purge::PurgeArgs),
    /// Run a load test: lifecycles arriving at a rate, with progress, percentiles and thresholds.
    Load(load::LoadArgs),
    /// Start lifecycles now, beside the cron schedule.
    ///
    /// Adds slot rows to the database, the durable path the cron uses: a running
    /// `ticketsim run` on the same database picks them up within 2 s (or the next
    /// start does). Each counts against TICKETSIM_MAX_TICKETS_PER_DAY; slots past
    /// the cap are recorded as skipped (see `status`), and when none started it
    /// exits 1. Reads the same configuration as `run` and, like every command that
    /// leads to writes, refuses a FRESHDESK_URL outside TICKETSIM_ALLOWED_HOSTS.
    /// The database must exist.
    Spawn(spawn::SpawnArgs),
    /// Analytics from the database: per agent, per group, per day, per scenario, steps by kind.
    ///
    /// Per agent: tickets handled, replies, time to first reply and to resolution
    /// (p50 / p90, from ticket creation). Per escalation group, ticket volume per UTC
    /// day and per category/scenario, step success and failure by kind with step
    /// timings. Per-request API latency and 429s are not in the database (the
    /// report says so; the daemon's /metrics has them). Reads the database only,
    /// opened read-only: safe while the daemon runs. Covers the lifecycles created
    /// in --since..--until.
    ///
    /// With --training: the grades of the trainee tickets closed since --since,
    /// per trainee (agent) and per scenario: first-response and resolution times,
    /// exchanges, facts asked against those needed, root cause found, wrong
    /// fixes, reopens and SLA misses (text or --json).
    Report(analytics::ReportArgs),
    /// Lifecycles by state, failed ones with their reasons, and the next due step.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// One lifecycle (by lifecycle id, or else by Freshdesk ticket id) with its messages.
    Show {
        /// Lifecycle id or ticket id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArg,
    },
    /// Export lifecycles with their plan and messages, e.g. as training data.
    ///
    /// Each record has subject, scenario, category, playbook, tone, priority,
    /// type and tags; each message its HTML `body` and its plain `text`.
    Export {
        /// jsonl: one JSON object a lifecycle; csv: one row a message, with the
        /// lifecycle's columns repeated.
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        #[command(flatten)]
        db: DbArg,
        /// Only lifecycles created since then: an ISO date or time
        /// (2026-12-01, 2026-12-01T08:00:00Z) or a duration back from now (24h, 7d).
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only lifecycles in this state (e.g. closed, failed).
        #[arg(long)]
        state: Option<String>,
        /// Only lifecycles following this playbook (e.g. classic).
        #[arg(long)]
        playbook: Option<String>,
    },
    /// Print the lifecycles `run` would generate, without any request.
    ///
    /// Uses made-up people and the same planner as `run`: scenario, playbook,
    /// customer tone, ticket fields and every message with its time. Reads
    /// TICKETSIM_SCENARIOS_DIR, TICKETSIM_PLAYBOOKS, TICKETSIM_STAGE_OFFSETS,
    /// TICKETSIM_TAG and TICKETSIM_SEED; needs no Freshdesk settings.
    Preview(preview::PreviewArgs),
    /// Create made-up contacts in the helpdesk, for sandboxes with too few.
    ///
    /// Names come from ticketsim's persona pools, emails use reserved domains only
    /// (example.com, example.org, *.test), and each contact gets the TICKETSIM_TAG
    /// tag. Requests go through the rate budget. The same seed makes the same
    /// people: a contact that already exists (409) is reused, not an error, so
    /// running it again is safe. Needs FRESHDESK_URL and FRESHDESK_API_KEY.
    SeedContacts {
        /// How many contacts.
        #[arg(short = 'n', long = "count", value_parser = clap::value_parser!(u64).range(1..=10_000))]
        count: u64,
        /// Which made-up people [default: TICKETSIM_SEED, else 1].
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let ms = crate::domain::parse_duration(s)?;
    if ms <= 0 {
        return Err("must be greater than zero".into());
    }
    Ok(Duration::from_millis(ms as u64))
}

/// Runs the parsed command; the caller maps the error to an exit code.
pub async fn dispatch(cli: Cli) -> Result<(), AppError> {
    let top = cli.db;
    if let (Some(_), Some(name)) = (&top, cli.command.without_database()) {
        return Err(AppError::Usage(format!(
            "--db: `ticketsim {name}` uses no database; drop --db"
        )));
    }
    let db = |arg: DbArg| arg.db.or(top.clone());
    let path = |arg: DbArg| config::db_path(&ProcessEnv, db(arg).as_deref());
    match cli.command {
        Command::Run {
            drain,
            dry_run,
            db: d,
        } => run(db(d), drain, dry_run).await,
        Command::Demo {
            duration,
            seed,
            playbooks,
            db: d,
        } => demo::demo(db(d), duration, seed, &playbooks).await,
        Command::Status { json, db: d } => report::status(&path(d), json).await,
        Command::Show { id, json, db: d } => report::show(&path(d), id, json).await,
        Command::Export {
            format,
            since,
            state,
            playbook,
            db: d,
        } => {
            let opts = app::export::ExportOptions {
                since,
                state,
                playbook,
            };
            export::export(&path(d), format, &opts).await
        }
        Command::SeedContacts { count, seed, db: d } => seed_contacts(db(d), count, seed).await,
        Command::Check { json, no_probe } => check::check(json, no_probe).await,
        Command::Purge(mut args) => {
            let d = db(std::mem::take(&mut args.db));
            purge::run(args, d).await
        }
        Command::Report(mut args) => {
            let d = path(std::mem::take(&mut args.db));
            analytics::run(args, &d).await
        }
        Command::Spawn(mut args) => {
            let d = db(std::mem::take(&mut args.db));
            spawn::run(args, d).await
        }
        Command::Emulator(args) => emulator::run(args).await,
        Command::Load(args) => load::run(args, top).await,
        Command::Preview(args) => preview::run(args),
    }
}

impl Command {
    /// The name of a command that uses no database (and so takes no `--db`).
    fn without_database(&self) -> Option<&'static str> {
        match self {
            Command::Check { .. } => Some("check"),
            Command::Emulator(_) => Some("emulator"),
            Command::Preview(_) => Some("preview"),
            _ => None,
        }
    }
}

/// Whether the error was already shown on stdout (`check`'s verdict), so
/// `main` should only set the exit code.
pub fn already_reported(e: &AppError) -> bool {
    matches!(e, AppError::Check(_))
}

async fn seed_contacts(db: Option<PathBuf>, count: u64, seed: Option<u64>) -> Result<(), AppError> {
    let cfg = Config::from_env(&ProcessEnv, db.as_deref())?;
    let config_seed = (!cfg.seed_is_random).then_some(cfg.seed);
    let seed = seed.or(config_seed).unwrap_or(app::DEFAULT_CONTACT_SEED);
    let summary = app::seed_contacts(&cfg, count as usize, seed, std::io::stdout()).await?;
    println!(
        "seed-contacts: {} created, {} already there (seed {seed})",
        summary.created, summary.existing
    );
    Ok(())
}

async fn run(db: Option<PathBuf>, drain: bool, dry_run: bool) -> Result<(), AppError> {
    let mut cfg = Config::from_env(&ProcessEnv, db.as_deref())?;
    warn_if_any_host_is_allowed(&cfg);
    if dry_run {
        cfg.client.dry_run = true;
        tracing::warn!(
            db = %cfg.db_path.display(),
            "dry run: nothing is written to Freshdesk; each write is logged as \"dry run: would send\" and its lifecycle fails there, in this database"
        );
    }
    app::run(cfg, RunOptions { drain }, app::stop_on_signals()).await
}

/// The default is to allow any host: say so once, unless the host is loopback.
fn warn_if_any_host_is_allowed(cfg: &Config) {
    let host = config::host_of(&cfg.freshdesk_url);
    if cfg.allowed_hosts.is_none() && !config::is_loopback(&host) {
        tracing::warn!(
            host = %host,
            "TICKETSIM_ALLOWED_HOSTS is unset, so any FRESHDESK_URL host is written to; set it (e.g. *.freshdesk.com or your sandbox's host) to refuse a mistyped URL"
        );
    }
}
