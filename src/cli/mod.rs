//! Command-line interface: clap definitions and one small function per
//! subcommand. No business logic: each function calls into `app` or `store`.

mod export;
mod preview;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{self, AppError, DemoOptions, RunOptions};
use crate::clock::SystemClock;
use crate::config::{self, Config, ProcessEnv};
use crate::emulator::{Emulator, EmulatorConfig};

/// ticketsim keeps a Freshdesk helpdesk alive with simulated support traffic:
/// on a cron schedule it opens a ticket from a random contact, assigns it to a
/// random agent, and walks it through an agent reply, a customer reply, a
/// resolution and a close, durably, from a SQLite database.
///
/// Configuration comes from the environment and an optional .env file; see
/// .env.example. Start with `ticketsim demo`, which needs none.
#[derive(Debug, Parser)]
#[command(name = "ticketsim", version, about, long_about)]
pub struct Cli {
    /// SQLite database file [env: TICKETSIM_DB; default: $STATE_DIRECTORY/ticketsim.db under
    /// systemd, else ./ticketsim.db; the demo defaults to ./ticketsim-demo.db]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: start tickets on the cron schedule and perform their steps.
    ///
    /// Needs FRESHDESK_URL and FRESHDESK_API_KEY. SIGTERM or Ctrl-C finish the
    /// step in hand and stop cleanly; a restart picks up where it left off.
    Run {
        /// Start no new tickets: finish the lifecycles in flight, then exit.
        #[arg(long)]
        drain: bool,
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
    },
    /// Serve a Freshdesk-compatible API emulator (for demos, tests and load tests).
    ///
    /// Speaks the Freshdesk v2 API on 127.0.0.1 with the key from --api-key.
    /// Unauthenticated admin routes: GET /_emulator/state and /_emulator/requests
    /// to inspect; GET/PUT/POST/DELETE /_emulator/faults to change faults while
    /// it runs; POST /_emulator/tickets/{id}/delete (or /spam) and
    /// /_emulator/contacts/{id}/block to act as a human in the UI.
    Emulator(EmulatorArgs),
    /// Lifecycles by state, failed ones with their reasons, and the next due step.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One lifecycle (by lifecycle id, or else by Freshdesk ticket id) with its messages.
    Show {
        /// Lifecycle id or ticket id.
        id: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
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
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the URL is printed).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// API key clients must send (Basic auth username).
    #[arg(long, default_value = "emulator-key")]
    pub api_key: String,
    /// Seed for the generated agents and contacts.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of agents to create.
    #[arg(long, default_value_t = 3)]
    pub agents: usize,
    /// Number of contacts to create.
    #[arg(long, default_value_t = 10)]
    pub contacts: usize,
    /// Rate limits of a Freshdesk plan: trial 50/min, growth 200, pro 400,
    /// enterprise 700 for the account, plus (except trial, where they are
    /// unknown) the per-endpoint limits for ticket create/update and the
    /// ticket and contact lists. Without it: 50000/min, no endpoint limits.
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<crate::emulator::Plan>,
    /// Account-wide limit of requests per minute (fixed window); overrides
    /// the plan's (e.g. --plan growth --rate-per-min 100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_per_min: Option<u32>,
    /// Refuse notes posted as a customer (403 invalid_user), like an account
    /// whose key may not assume identities.
    #[arg(long)]
    pub refuse_acting_as_customer: bool,
    /// Accept tickets without status and priority ("skip mandatory checks").
    #[arg(long)]
    pub relaxed: bool,
    /// Milliseconds to wait before every API response (after it took
    /// effect): fixed (50) or a random range (20..200, seeded).
    #[arg(long, value_name = "MS|MIN..MAX", default_value = "0")]
    pub latency_ms: crate::emulator::Latency,
    /// Fraction (0-1) of API requests answered with a 5xx instead of running.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// The status of those failures: 500 (Freshdesk's JSON internal_error)
    /// or 502/503 (an HTML page, as from a load balancer).
    #[arg(long, value_name = "STATUS", default_value_t = 500)]
    pub fail_status: u16,
    /// Fraction (0-1) of API requests that take effect and are never
    /// answered, to trigger client timeouts.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    pub hang_rate: f64,
    /// Fraction (0-1) of API requests that take effect, after which the
    /// connection is closed without an answer.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Fraction (0-1) of API responses whose JSON body is cut in half.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    pub malformed_rate: f64,
    /// Answer the first N API requests with 429 (a burst of rate limiting).
    #[arg(long = "burst-429", value_name = "N", default_value_t = 0)]
    pub burst_429: u32,
    /// Retry-After (seconds) of the --burst-429 answers.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    pub retry_after: u32,
    /// Also append the request log to FILE, one JSON object a line.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Keep the account in FILE (JSON) so that it survives a restart: read
    /// at start if it exists (then --seed, --agents and --contacts are not
    /// used), written shortly after every change and at shutdown.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// A custom ticket field, as cf_name:type[:choice1|choice2|...]; type is
    /// text, paragraph, number, decimal, checkbox, date or dropdown (which
    /// needs its choices). Repeat for more fields.
    #[arg(long = "custom-field", value_name = "SPEC")]
    pub custom_fields: Vec<crate::emulator::CustomField>,
    /// Make this custom field required for closure: updates to status 4 or 5
    /// without a value for it fail with missing_field. Repeatable.
    #[arg(long = "require-for-closure", value_name = "CF_NAME")]
    pub require_for_closure: Vec<String>,
    /// Turn the Timesheets plan feature off: time entries answer 403 require_feature.
    #[arg(long)]
    pub no_timesheets: bool,
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
    let db = cli.db;
    match cli.command {
        Command::Run { drain } => run(db, drain).await,
        Command::Check { json, no_probe } => check(db, json, no_probe).await,
        Command::Demo {
            duration,
            seed,
            playbooks,
        } => demo(db, duration, seed, &playbooks).await,
        Command::Emulator(args) => emulator(args).await,
        Command::Status { json } => {
            report::status(&config::db_path(&ProcessEnv, db.as_deref()), json).await
        }
        Command::Show { id, json } => {
            report::show(&config::db_path(&ProcessEnv, db.as_deref()), id, json).await
        }
        Command::Export {
            format,
            since,
            state,
            playbook,
        } => {
            let opts = app::export::ExportOptions {
                since,
                state,
                playbook,
            };
            let db = config::db_path(&ProcessEnv, db.as_deref());
            export::export(&db, format, &opts).await
        }
        Command::Preview(args) => preview::run(args),
        Command::SeedContacts { count, seed } => seed_contacts(db, count, seed).await,
    }
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

async fn run(db: Option<PathBuf>, drain: bool) -> Result<(), AppError> {
    let cfg = Config::from_env(&ProcessEnv, db.as_deref())?;
    app::run(cfg, RunOptions { drain }, app::stop_on_signals()).await
}

async fn check(db: Option<PathBuf>, json: bool, no_probe: bool) -> Result<(), AppError> {
    let cfg = match Config::from_env(&ProcessEnv, db.as_deref()) {
        Ok(cfg) => cfg,
        Err(e) => {
            if json {
                let report = serde_json::json!({"success": false, "message": e.to_string(),
                    "platform": "freshdesk", "domain": null});
                println!("{report}");
            }
            return Err(e.into());
        }
    };
    let report = app::check(&cfg, app::CheckOptions { probe: !no_probe }).await;
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    if report.success {
        Ok(())
    } else {
        Err(AppError::Check(report.message))
    }
}

async fn demo(
    db: Option<PathBuf>,
    duration: Option<Duration>,
    seed: u64,
    playbooks: &str,
) -> Result<(), AppError> {
    let playbooks = crate::content::Library::embedded()
        .select_playbooks(playbooks)
        .map_err(|e| AppError::Usage(format!("--playbooks: {e}")))?;
    let db = db.unwrap_or_else(|| PathBuf::from("ticketsim-demo.db"));
    match duration {
        Some(d) => println!(
            "ticketsim demo: a ticket every 10 s against the built-in emulator, for {}; database {}",
            crate::domain::format_duration(d.as_millis() as i64),
            db.display()
        ),
        None => println!(
            "ticketsim demo: a ticket every 10 s against the built-in emulator, until Ctrl-C; database {}",
            db.display()
        ),
    }
    let opts = DemoOptions {
        db,
        duration,
        seed,
        playbooks,
    };
    let summary = app::demo(opts, app::stop_on_signals(), std::io::stdout()).await?;
    let states: Vec<String> = summary
        .by_state
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    println!(
        "\nsummary: lifecycles: {}; messages sent: {}; requests to the emulator: {}",
        states.join(", "),
        summary.messages,
        summary.requests
    );
    println!(
        "see them with: ticketsim --db {} export",
        summary.db.display()
    );
    Ok(())
}

/// The custom fields with their required-for-closure flags set.
fn custom_fields(args: &EmulatorArgs) -> Result<Vec<crate::emulator::CustomField>, AppError> {
    let mut fields = args.custom_fields.clone();
    for (i, f) in fields.iter().enumerate() {
        if fields[..i].iter().any(|g| g.name == f.name) {
            return Err(AppError::Usage(format!(
                "--custom-field {}: declared twice; give each field once",
                f.name
            )));
        }
    }
    for name in &args.require_for_closure {
        let Some(field) = fields.iter_mut().find(|f| f.name == *name) else {
            return Err(AppError::Usage(format!(
                "--require-for-closure {name}: no such custom field; declare it first with --custom-field {name}:TYPE"
            )));
        };
        field.required_for_closure = true;
    }
    Ok(fields)
}

/// The fault flags as the emulator's settings; a value out of range is a
/// usage error naming the flag.
fn faults(args: &EmulatorArgs) -> Result<crate::emulator::Faults, AppError> {
    let faults = crate::emulator::Faults {
        fail_rate: args.fail_rate,
        fail_status: args.fail_status,
        latency_ms: args.latency_ms,
        hang_rate: args.hang_rate,
        drop_rate: args.drop_rate,
        malformed_rate: args.malformed_rate,
        burst_429: args.burst_429,
        retry_after_secs: args.retry_after,
        ..Default::default()
    };
    match faults.problem() {
        None => Ok(faults),
        Some(p) => Err(AppError::Usage(format!("--{}", p.replacen('_', "-", 1)))),
    }
}

fn emulator_config(args: &EmulatorArgs) -> Result<EmulatorConfig, AppError> {
    Ok(EmulatorConfig {
        custom_fields: custom_fields(args)?,
        timesheets: !args.no_timesheets,
        faults: faults(args)?,
        api_key: args.api_key.clone(),
        seed: args.seed,
        agents: args.agents,
        contacts: args.contacts,
        rate_per_min: args
            .rate_per_min
            .or(args.plan.map(|p| p.per_min()))
            .unwrap_or(50_000),
        endpoint_limits: args.plan.map(|p| p.endpoint_limits()).unwrap_or_default(),
        allow_assume_identity: !args.refuse_acting_as_customer,
        relaxed: args.relaxed,
        ..EmulatorConfig::default()
    })
}

/// The emulator with its state file and log file, if asked for.
fn build_emulator(args: &EmulatorArgs) -> Result<Emulator, AppError> {
    let cfg = emulator_config(args)?;
    let emu = match &args.state {
        Some(path) => Emulator::with_state_file(cfg, Arc::new(SystemClock), path)
            .map_err(|e| AppError::Io(e.to_string()))?,
        None => Emulator::new(cfg, Arc::new(SystemClock)),
    };
    if let Some(path) = &args.log {
        emu.log_to_file(path).map_err(|e| {
            AppError::Usage(format!(
                "--log {}: cannot open it for appending ({e}); check the directory and permissions",
                path.display()
            ))
        })?;
    }
    Ok(emu)
}

async fn emulator(args: EmulatorArgs) -> Result<(), AppError> {
    let emu = build_emulator(&args)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| AppError::Usage(format!("--port {}: cannot listen on 127.0.0.1:{} ({e}); pick another port or 0 for a free one", args.port, args.port)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| AppError::Io(e.to_string()))?;
    println!(
        "Freshdesk emulator listening on http://{addr} (API key: {})",
        emu.api_key()
    );
    println!(
        "inspect: http://{addr}/_emulator/state and http://{addr}/_emulator/requests; faults: http://{addr}/_emulator/faults; stop with Ctrl-C"
    );
    if let Some(path) = &args.state {
        println!("state: kept in {}", path.display());
    }
    let served = emu
        .clone()
        .serve(listener, app::wait_for_signal())
        .await
        .map_err(|e| AppError::Io(format!("emulator: {e}")));
    let closed = emu.close().map_err(|e| AppError::Io(e.to_string()));
    served.and(closed)
}
