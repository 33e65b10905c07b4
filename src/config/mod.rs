//! Environment → typed, validated configuration. Every error names the
//! variable and what is expected; nothing is sent anywhere before this passes.

mod admin;
mod client;
mod content;
mod dotenv;
mod helpdesk;
mod hosts;
mod training;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use admin::DEFAULT_HTTP_ADDR;
pub use client::ClientVars;
pub use dotenv::{load_dotenv, read_dotenv};
pub use helpdesk::is_loopback;
use helpdesk::{parse_url, read_api_key};
pub use hosts::{AllowedHosts, host_of, is_freshdesk};

use crate::content::{Library, Selection};
use crate::domain::{self, StageOffsets};
use crate::freshdesk::ApiKey;

pub use content::ContentConfig;
use content::parse_content;
pub use training::{TrainingVars, WebhookSecret, parse_training};

/// A configuration problem: the variable and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn err(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

/// Where variables come from: the process environment in production, a map in tests.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment (after `.env` was loaded by `main`).
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

/// An environment of exactly `pairs`, for tests.
#[cfg(test)]
pub(crate) fn env_of(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Env for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.trim().is_empty())
    }
}

pub const DEFAULT_CRON: &str = "0 0 * * * *";
pub const DEFAULT_RATE: u32 = 40;
/// The tag on every ticket (now in `domain`, where the dispatcher finds it).
pub use crate::domain::DEFAULT_TAG;
pub const DEFAULT_CATCHUP: &str = "1h";

/// What `ticketsim run` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL without `/api/v2`, no trailing slash.
    pub freshdesk_url: String,
    pub api_key: ApiKey,
    pub db_path: PathBuf,
    pub create_cron: String,
    pub stage_offsets: StageOffsets,
    pub rate_per_min: u32,
    pub seed: u64,
    /// True when no seed was configured and one was drawn at random (it is logged).
    pub seed_is_random: bool,
    pub tag: String,
    /// Missed slots older than this are skipped at start-up.
    pub catchup_window_ms: i64,
    /// Timeouts and the custom-field mapping of the Freshdesk client.
    pub client: ClientVars,
    /// The scenarios: built in, plus `TICKETSIM_SCENARIOS_DIR`'s files.
    pub library: Arc<Library>,
    /// `TICKETSIM_PLAYBOOKS`: the playbooks in use (`classic` only by default).
    pub playbooks: Selection,
    /// `TICKETSIM_ALLOWED_HOSTS`, already checked against `freshdesk_url`; `None` = unset.
    pub allowed_hosts: Option<AllowedHosts>,
    /// `TICKETSIM_HTTP_ADDR`: where the admin endpoints listen; `None` = off.
    pub http_addr: Option<SocketAddr>,
    /// `TICKETSIM_TEST_WEDGE_FILE`, a test hook: the dispatcher wedges once it exists.
    pub test_wedge_file: Option<PathBuf>,
    /// `TICKETSIM_MAX_TICKETS_PER_DAY`: slots started per UTC day, counted in
    /// the database; `None` = no cap.
    pub max_tickets_per_day: Option<u32>,
    /// Training mode's variables (`TICKETSIM_MODE`, webhooks, polling, SLA).
    pub training: TrainingVars,
}

impl Config {
    /// Reads and validates everything `run` needs. `db_flag` is `--db`, which
    /// wins over `TICKETSIM_DB`.
    pub fn from_env(env: &impl Env, db_flag: Option<&Path>) -> Result<Config, ConfigError> {
        let freshdesk_url = parse_url(env.get("FRESHDESK_URL"))?;
        let allowed_hosts = hosts::check_url(env.get("TICKETSIM_ALLOWED_HOSTS"), &freshdesk_url)?;
        let api_key = read_api_key(env)?;
        let seed_var = env.get("TICKETSIM_SEED");
        let seed = match &seed_var {
            Some(s) => parse_seed(s)?,
            None => rand::random(),
        };
        let content = parse_content(env)?;
        let training = parse_training(env)?;
        let playbooks = if training.only_training {
            Selection::training()
        } else {
            content.1
        };
        let http_addr = admin::parse_http_addr(env.get("TICKETSIM_HTTP_ADDR"))?;
        check_training(&playbooks, &training, http_addr)?;
        Ok(Config {
            freshdesk_url,
            api_key,
            db_path: db_path(env, db_flag),
            create_cron: parse_cron(env.get("TICKETSIM_CREATE_CRON"))?,
            stage_offsets: parse_offsets(env.get("TICKETSIM_STAGE_OFFSETS"))?,
            rate_per_min: parse_rate(env.get("TICKETSIM_RATE_PER_MIN"))?,
            seed,
            seed_is_random: seed_var.is_none(),
            tag: parse_tag(env.get("TICKETSIM_TAG"))?,
            catchup_window_ms: parse_catchup(env.get("TICKETSIM_CATCHUP_WINDOW"))?,
            client: ClientVars::from_env(env)?,
            library: content.0,
            playbooks,
            allowed_hosts,
            http_addr,
            test_wedge_file: admin::wedge_file(env),
            max_tickets_per_day: parse_daily_cap(env.get("TICKETSIM_MAX_TICKETS_PER_DAY"))?,
            training,
        })
    }
}

/// Training mode needs a way to hear of the trainees' replies, and webhooks
/// need the admin server that receives them.
fn check_training(
    playbooks: &Selection,
    training: &TrainingVars,
    http_addr: Option<SocketAddr>,
) -> Result<(), ConfigError> {
    if !playbooks.contains(crate::content::TRAINEE) {
        return Ok(());
    }
    if training.webhook_secret.is_none() && training.poll_interval_ms.is_none() {
        return Err(err(
            "FRESHDESK_WEBHOOK_SECRET",
            "training mode needs a way to hear of the trainees' replies: set FRESHDESK_WEBHOOK_SECRET (webhooks), TICKETSIM_POLL_INTERVAL (polling), or both",
        ));
    }
    if training.webhook_secret.is_some() && http_addr.is_none() {
        return Err(err(
            "TICKETSIM_HTTP_ADDR",
            "is off, but FRESHDESK_WEBHOOK_SECRET asks for the webhook receiver, which it serves: give it an address (default 127.0.0.1:9187), or unset the secret and use TICKETSIM_POLL_INTERVAL",
        ));
    }
    Ok(())
}

fn parse_seed(s: &str) -> Result<u64, ConfigError> {
    s.trim().parse::<u64>().map_err(|_| {
        err(
            "TICKETSIM_SEED",
            format!("expected a whole number 0..2^64, got \"{s}\""),
        )
    })
}

/// The database path: `--db`, else `TICKETSIM_DB`, else `$STATE_DIRECTORY/ticketsim.db`
/// (set by systemd's `StateDirectory=`), else `ticketsim.db`. A relative
/// `TICKETSIM_DB` is taken inside `$STATE_DIRECTORY` when that is set, so an
/// EnvironmentFile saying `TICKETSIM_DB=ticketsim.db` keeps the database in the
/// state directory; `--db` is taken as typed (relative to the working directory).
pub fn db_path(env: &impl Env, db_flag: Option<&Path>) -> PathBuf {
    if let Some(p) = db_flag {
        return p.to_path_buf();
    }
    // systemd may pass several directories separated by ':'; the first is ours.
    let state_dir = env
        .get("STATE_DIRECTORY")
        .and_then(|d| d.split(':').next().map(PathBuf::from));
    let file = env
        .get("TICKETSIM_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ticketsim.db"));
    match state_dir {
        Some(dir) if file.is_relative() => dir.join(file),
        _ => file,
    }
}

/// Validates a six-field cron (seconds first), evaluated in UTC, that fires
/// within the next 400 days.
pub fn parse_cron(v: Option<String>) -> Result<String, ConfigError> {
    let v = v.unwrap_or_else(|| DEFAULT_CRON.to_string());
    let now = chrono::Utc::now().timestamp_millis();
    crate::cron::validate(&v, now).map_err(|e| err("TICKETSIM_CREATE_CRON", e))?;
    Ok(v)
}

fn parse_offsets(v: Option<String>) -> Result<StageOffsets, ConfigError> {
    match v {
        None => Ok(StageOffsets::DEFAULT),
        Some(s) => StageOffsets::parse(&s).map_err(|e| err("TICKETSIM_STAGE_OFFSETS", e)),
    }
}

fn parse_rate(v: Option<String>) -> Result<u32, ConfigError> {
    let Some(s) = v else { return Ok(DEFAULT_RATE) };
    match s.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(err(
            "TICKETSIM_RATE_PER_MIN",
            format!(
                "expected a whole number of requests per minute above 0 (trial plans allow 50), got \"{s}\""
            ),
        )),
    }
}

fn parse_tag(v: Option<String>) -> Result<String, ConfigError> {
    let tag = v.unwrap_or_else(|| DEFAULT_TAG.to_string());
    let tag = tag.trim().to_string();
    if tag.len() > 32 || tag.contains(',') {
        return Err(err(
            "TICKETSIM_TAG",
            format!("Freshdesk tags are at most 32 characters without commas, got \"{tag}\""),
        ));
    }
    Ok(tag)
}

fn parse_catchup(v: Option<String>) -> Result<i64, ConfigError> {
    let s = v.unwrap_or_else(|| DEFAULT_CATCHUP.to_string());
    domain::parse_duration(&s).map_err(|e| err("TICKETSIM_CATCHUP_WINDOW", e))
}

fn parse_daily_cap(v: Option<String>) -> Result<Option<u32>, ConfigError> {
    let Some(s) = v else { return Ok(None) };
    match s.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(err(
            "TICKETSIM_MAX_TICKETS_PER_DAY",
            format!(
                "expected a whole number of tickets per UTC day above 0 (unset it for no cap), got \"{s}\""
            ),
        )),
    }
}

#[cfg(test)]
mod tests;
