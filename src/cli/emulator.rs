//! `ticketsim emulator`: its flags and how they become the emulator's settings.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::{self, AppError};
use crate::clock::SystemClock;
use crate::emulator::{Emulator, EmulatorConfig};

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
    /// Fire webhooks to URL like Freshdesk automation rules (repeatable): ticket
    /// created/updated/resolved/closed, reply sent, note created, contact
    /// created/updated; retried at +5, +30 and +60 min on failure. Also set at
    /// runtime with PUT /_emulator/webhooks.
    #[arg(long = "webhook", value_name = "URL")]
    pub webhooks: Vec<String>,
    /// Shared secret sent with every webhook as the X-Webhook-Secret header.
    #[arg(
        long,
        value_name = "S",
        env = "FRESHDESK_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub webhook_secret: Option<String>,
    /// Fraction (0-1) of API writes (POST, PUT, DELETE) that take effect
    /// only --late-write-ms after they arrived, after the client gave up:
    /// their answer hangs or their connection is dropped (--late-write-mode).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    pub late_write_rate: f64,
    /// When a late write lands, in milliseconds after the request arrived.
    #[arg(long, value_name = "MS", default_value_t = crate::emulator::DEFAULT_LATE_WRITE_MS)]
    pub late_write_ms: u64,
    /// What a late write's answer does meanwhile: hang (the client times
    /// out) or drop (the connection is closed at once).
    #[arg(long, value_name = "hang|drop", default_value = "hang")]
    pub late_write_mode: crate::emulator::LateWriteMode,
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
        late_write_rate: args.late_write_rate,
        late_write_ms: args.late_write_ms,
        late_write_mode: args.late_write_mode,
        burst_429: args.burst_429,
        retry_after_secs: args.retry_after,
        ..Default::default()
    };
    match faults.problem() {
        None => Ok(faults),
        Some(p) => {
            // "late_write_ms must be ..." names the flag --late-write-ms.
            let (name, rest) = p.split_once(' ').unwrap_or((&p, ""));
            Err(AppError::Usage(format!(
                "--{} {rest}",
                name.replace('_', "-")
            )))
        }
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
    let targets = (args.webhooks.iter())
        .map(|url| crate::emulator::WebhookTarget {
            url: url.clone(),
            secret: args.webhook_secret.clone(),
        })
        .collect();
    let hooks = crate::emulator::WebhookSettings {
        targets,
        retry_delays_ms: None,
    };
    emu.set_webhooks(hooks)
        .map_err(|e| AppError::Usage(format!("--webhook: {e}")))?;
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

pub(super) async fn run(args: EmulatorArgs) -> Result<(), AppError> {
    let emu = build_emulator(&args)?;
    // Before the first line: a SIGTERM sent as soon as it is read must stop
    // the emulator cleanly (state and log written), not kill it.
    let stop = app::wait_for_signal();
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
        .serve(listener, stop)
        .await
        .map_err(|e| AppError::Io(format!("emulator: {e}")));
    let closed = emu.close().map_err(|e| AppError::Io(e.to_string()));
    served.and(closed)
}
