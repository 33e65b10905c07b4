//! Logging setup: readable text on a terminal, plain lines under journald or in
//! a pipe, JSON when asked (`TICKETSIM_LOG_FORMAT=json`). Filter with
//! `TICKETSIM_LOG` (e.g. `debug`, `ticketsim=debug,sqlx=warn`); default `info`.
//! Logs go to stderr so stdout stays for command output.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Plain,
    Json,
}

impl LogFormat {
    /// From `TICKETSIM_LOG_FORMAT` (`text`, `plain`, `json`), else by where stderr goes.
    pub fn detect() -> Result<LogFormat, String> {
        match std::env::var("TICKETSIM_LOG_FORMAT").ok().as_deref() {
            Some("json") => Ok(LogFormat::Json),
            Some("plain") => Ok(LogFormat::Plain),
            Some("text") => Ok(LogFormat::Text),
            Some("") | None => Ok(if std::io::stderr().is_terminal() {
                LogFormat::Text
            } else {
                LogFormat::Plain
            }),
            Some(other) => Err(format!(
                "TICKETSIM_LOG_FORMAT: expected text, plain or json, got \"{other}\""
            )),
        }
    }
}

/// Installs the global subscriber. `default` is the filter when `TICKETSIM_LOG`
/// is unset (the demo uses `warn` so its own lines stand out).
pub fn init(format: LogFormat, default: &str) -> Result<(), String> {
    let filter = match std::env::var("TICKETSIM_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::try_new(&v).map_err(|e| {
            format!("TICKETSIM_LOG: \"{v}\" is not a valid filter ({e}); try info or debug")
        })?,
        _ => EnvFilter::new(format!("{default},tokio_cron_scheduler=warn")),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A failed write (stderr closed by its reader) is dropped: reporting it
        // would `eprintln!`, which panics on that same closed stderr.
        .log_internal_errors(false)
        .with_target(false);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        // journald adds its own timestamps
        LogFormat::Plain => builder.with_ansi(false).without_time().try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| format!("logging: {e}"))
}
