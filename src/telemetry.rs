//! Logging setup: readable text on a terminal, plain lines in a pipe, lines
//! with sd-daemon level prefixes (`<3>` error … `<7>` debug) under journald,
//! JSON when asked (`TICKETSIM_LOG_FORMAT=json`). `TICKETSIM_LOG` is a level
//! for ticketsim's own lines (other crates stay at `warn`) or a full filter
//! (`ticketsim=debug,sqlx=info`). Logs go to stderr so stdout stays for
//! command output.

use std::fmt;
use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Plain,
    Json,
    /// Plain lines, each with its syslog level as an sd-daemon prefix.
    Journald,
}

impl LogFormat {
    /// From `TICKETSIM_LOG_FORMAT` (`text`, `plain`, `json`, `journald`), else
    /// journald when stderr is the journal stream systemd names in
    /// `JOURNAL_STREAM`, else by whether stderr is a terminal.
    pub fn detect() -> Result<LogFormat, String> {
        match std::env::var("TICKETSIM_LOG_FORMAT").ok().as_deref() {
            Some("json") => Ok(LogFormat::Json),
            Some("plain") => Ok(LogFormat::Plain),
            Some("text") => Ok(LogFormat::Text),
            Some("journald") => Ok(LogFormat::Journald),
            Some("") | None if stderr_is_journal() => Ok(LogFormat::Journald),
            Some("") | None if std::io::stderr().is_terminal() => Ok(LogFormat::Text),
            Some("") | None => Ok(LogFormat::Plain),
            Some(other) => Err(format!(
                "TICKETSIM_LOG_FORMAT: expected text, plain, json or journald, got \"{other}\""
            )),
        }
    }
}

/// True when `JOURNAL_STREAM` (`DEVICE:INODE`) names stderr, as systemd sets it
/// for a service whose output goes to the journal. When stderr cannot be
/// looked at, the variable's presence decides.
fn stderr_is_journal() -> bool {
    let Ok(stream) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = std::fs::metadata("/dev/stderr") {
            return stream.trim() == format!("{}:{}", m.dev(), m.ino());
        }
    }
    !stream.trim().is_empty()
}

/// The filter: `TICKETSIM_LOG` if set, else `default` for ticketsim. A bare
/// level applies to ticketsim only; everything else stays at `warn`.
pub fn filter_directives(var: Option<&str>, default: &str) -> String {
    let v = var
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(default);
    if v.contains('=') || v.contains(',') {
        v.to_string()
    } else {
        format!("warn,ticketsim={v}")
    }
}

/// Installs the global subscriber. `default` is the level when `TICKETSIM_LOG`
/// is unset (the demo uses `warn` so its own lines stand out).
pub fn init(format: LogFormat, default: &str) -> Result<(), String> {
    let var = std::env::var("TICKETSIM_LOG").ok();
    let directives = filter_directives(var.as_deref(), default);
    let filter = EnvFilter::try_new(&directives).map_err(|e| {
        let v = var.unwrap_or_default();
        format!("TICKETSIM_LOG: \"{v}\" is not a valid filter ({e}); try info or debug")
    })?;
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
        LogFormat::Journald => {
            let plain = tracing_subscriber::fmt::format()
                .with_ansi(false)
                .without_time()
                .with_target(false);
            builder
                .with_ansi(false)
                .event_format(SdPrefix(plain))
                .try_init()
        }
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| format!("logging: {e}"))
}

/// The sd-daemon prefix of a level: journald reads it as the entry's priority.
pub fn sd_prefix(level: Level) -> &'static str {
    match level {
        Level::ERROR => "<3>",
        Level::WARN => "<4>",
        Level::INFO => "<6>",
        _ => "<7>",
    }
}

/// Writes the level's sd-daemon prefix, then the line as `F` formats it.
pub struct SdPrefix<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for SdPrefix<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writer.write_str(sd_prefix(*event.metadata().level()))?;
        self.0.format_event(ctx, writer, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_level_gets_its_sd_daemon_prefix() {
        let buf = Buf::default();
        let out = buf.clone();
        let plain = tracing_subscriber::fmt::format()
            .with_ansi(false)
            .without_time()
            .with_target(false);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(Level::TRACE)
            .with_ansi(false)
            .event_format(SdPrefix(plain))
            .with_writer(move || out.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!("e");
            tracing::warn!("w");
            tracing::info!("i");
            tracing::debug!("d");
            tracing::trace!("t");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let prefixes: Vec<&str> = text.lines().map(|l| &l[..3]).collect();
        assert_eq!(prefixes, ["<3>", "<4>", "<6>", "<7>", "<7>"], "{text}");
        assert!(text.lines().next().unwrap().ends_with(" e"), "{text}");
    }

    #[test]
    fn a_bare_level_is_for_ticketsim_and_other_crates_stay_at_warn() {
        assert_eq!(
            filter_directives(Some("info"), "info"),
            "warn,ticketsim=info"
        );
        assert_eq!(filter_directives(None, "warn"), "warn,ticketsim=warn");
        assert_eq!(filter_directives(Some(" "), "info"), "warn,ticketsim=info");
        assert_eq!(
            filter_directives(Some("ticketsim=debug,sqlx=info"), "info"),
            "ticketsim=debug,sqlx=info"
        );
    }
}
