//! `ticketsim load`: its flags, and printing the summary and the report.

use std::path::PathBuf;

use crate::app::{self, AppError};
use crate::config::{self, ProcessEnv};
use crate::content::Library;
use crate::domain::StageOffsets;
use crate::freshdesk::ObserverHook;
use crate::load::{self, ArrivalKind, LoadOptions, Ramp, engine::EngineOptions, thresholds};

/// Run an open-model load of lifecycles (with live progress, percentiles,
/// thresholds, a JSON summary and an HTML report).
///
/// Against FRESHDESK_URL (configured as for `run`), or with --emulator an
/// in-process emulator. Durable like `run`: a killed run's lifecycles are
/// finished by `ticketsim load --resume` on the same --db.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Use an in-process emulator (no rate limit) instead of FRESHDESK_URL.
    #[arg(long)]
    pub emulator: bool,
    /// Target arrival rate: 120/min, 2/s or 7200/h.
    #[arg(long, conflicts_with = "ramp", default_value = "60/min")]
    pub rate: String,
    /// Stages instead of one rate: 10/min..120/min:5m,120/min:30m.
    #[arg(long)]
    pub ramp: Option<String>,
    /// How long lifecycles arrive (e.g. 30m) [default: 1m, unless --lifecycles].
    #[arg(long, value_parser = super::parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Stop arrivals after this many lifecycles.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub lifecycles: Option<u64>,
    /// Step offsets (agent reply, customer reply, resolution, close).
    #[arg(long, default_value = "0s,1s,2s,3s")]
    pub offsets: String,
    /// Playbooks: `all`, or a comma list (classic, pending, escalation, …) [default: classic].
    #[arg(long)]
    pub playbooks: Option<String>,
    /// poisson or fixed.
    #[arg(long, default_value = "poisson")]
    pub arrivals: String,
    /// Seed of the arrivals and of the lifecycles' content.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Use at most this share (0..1] of the plan's rate limit.
    #[arg(long, default_value_t = 1.0)]
    pub budget_share: f64,
    /// SQLite database of the run [default: ./ticketsim-load.db].
    #[arg(long = "db", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Start no new lifecycles: finish those of a killed run in --db
    /// (against FRESHDESK_URL; not with --emulator, whose state is the run's).
    #[arg(long)]
    pub resume: bool,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Exit 1 naming any threshold crossed: lateness_p99>5s,failed>0,rate_ratio<0.95.
    #[arg(long)]
    pub fail_on: Option<String>,
    /// Stop early once one of these thresholds has been crossed for a minute.
    #[arg(long)]
    pub abort_on: Option<String>,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
}

fn usage(flag: &str) -> impl Fn(String) -> AppError + '_ {
    move |e| AppError::Usage(format!("{flag}: {e}"))
}

fn options(a: &LoadArgs, db: PathBuf) -> Result<LoadOptions, AppError> {
    let ramp = match &a.ramp {
        Some(r) => Ramp::parse(r).map_err(usage("--ramp"))?,
        None => Ramp::constant(load::parse_rate(&a.rate).map_err(usage("--rate"))?),
    };
    if a.resume && a.emulator {
        return Err(AppError::Usage(
            "--resume with --emulator: the in-process emulator starts empty each run, so the \
             tickets of the stopped run are gone; resume against the Freshdesk (or `ticketsim \
             emulator`) the run used, through FRESHDESK_URL, or start a new run"
                .into(),
        ));
    }
    if !(a.budget_share > 0.0 && a.budget_share <= 1.0) {
        return Err(AppError::Usage(format!(
            "--budget-share: expected a share in (0, 1], got {}",
            a.budget_share
        )));
    }
    let playbooks = match &a.playbooks {
        Some(p) => Some(
            Library::embedded()
                .select_playbooks(p)
                .map_err(|e| AppError::Usage(format!("--playbooks: {e}")))?,
        ),
        None => None,
    };
    let duration_ms = match (a.duration, a.lifecycles, &a.ramp) {
        (Some(d), _, _) => Some(d.as_millis() as i64),
        (None, Some(_), _) => None,
        (None, None, Some(_)) => Some(ramp.total_ms()),
        (None, None, None) => Some(60_000),
    };
    let parse_t = |flag, s: &Option<String>| {
        s.as_deref()
            .map_or(Ok(vec![]), |s| thresholds::parse(s).map_err(usage(flag)))
    };
    Ok(LoadOptions {
        ramp,
        duration_ms,
        lifecycles: a.lifecycles,
        kind: ArrivalKind::parse(&a.arrivals).map_err(usage("--arrivals"))?,
        fail_on: parse_t("--fail-on", &a.fail_on)?,
        abort_on: parse_t("--abort-on", &a.abort_on)?,
        resume: a.resume,
        progress: true,
        engine: EngineOptions {
            db,
            emulator: a.emulator,
            playbooks,
            offsets: parse_offsets(&a.offsets).map_err(usage("--offsets"))?,
            seed: a.seed,
            budget_share: a.budget_share,
            observer: ObserverHook(std::sync::Arc::new(NoObserver)),
        },
    })
}

/// Four offsets from the ticket's start, non-decreasing; unlike `run`'s, zero is
/// allowed, so a load test can run steps back to back.
fn parse_offsets(s: &str) -> Result<StageOffsets, String> {
    let ms = s
        .split(',')
        .map(|p| crate::domain::parse_duration(p.trim()))
        .collect::<Result<Vec<i64>, _>>()?;
    let four: [i64; 4] = ms
        .try_into()
        .map_err(|v: Vec<i64>| format!("expected 4 comma-separated durations, got {}", v.len()))?;
    if four.windows(2).any(|w| w[1] < w[0]) || four[0] < 0 {
        return Err(format!("offsets must not decrease: \"{s}\""));
    }
    Ok(StageOffsets(four))
}

struct NoObserver;

impl crate::freshdesk::Observer for NoObserver {
    fn observe(&self, _: &crate::freshdesk::Observed) {}
}

pub async fn run(a: LoadArgs, top_db: Option<PathBuf>) -> Result<(), AppError> {
    let db = a.db.clone().or(top_db);
    let db = match db {
        Some(p) => p,
        None if std::env::var_os("TICKETSIM_DB").is_some() => config::db_path(&ProcessEnv, None),
        None => PathBuf::from("ticketsim-load.db"),
    };
    let opts = options(&a, db)?;
    let result = load::run(opts, app::stop_on_signals()).await?;
    let (r, m, crossed) = (&result.recorder, &result.meta, &result.crossed);
    if a.json {
        println!("{}", load::summary::to_json(r, m, crossed));
    } else {
        print!("{}", load::summary::to_text(r, m, crossed));
    }
    if let Some(path) = &a.html {
        let html = load::html::render(r, m, crossed, "ticketsim load report");
        std::fs::write(path, html)
            .map_err(|e| AppError::Io(format!("--html {}: {e}", path.display())))?;
    }
    if crossed.is_empty() {
        return Ok(());
    }
    let msg = format!("threshold crossed: {}", crossed.join(", "));
    eprintln!("ticketsim load: {msg}");
    Err(AppError::Check(msg))
}
