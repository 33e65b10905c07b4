//! The live progress line on stderr: redrawn in place on a terminal, a plain
//! line every 10 s otherwise.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::recorder::Recorder;

/// The counters the line compares between two draws.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Snapshot {
    pub at_ms: i64,
    pub created: u64,
    pub requests: u64,
}

/// One progress line. `target_per_min` is the target now; `left_ms` the time left, if known.
pub fn line(
    r: &Recorder,
    prev: Snapshot,
    now: Snapshot,
    target_per_min: f64,
    left_ms: Option<i64>,
) -> String {
    let secs = ((now.at_ms - prev.at_ms) as f64 / 1_000.0).max(0.001);
    let rate = (now.created - prev.created) as f64 / secs * 60.0;
    let rps = (now.requests - prev.requests) as f64 / secs;
    let left = left_ms.map_or("-".to_string(), |ms| {
        crate::domain::format_duration(ms.max(0) / 1_000 * 1_000)
    });
    format!(
        "started {} in flight {} closed {} failed {} | rate {rate:.1}/min (target {target_per_min:.1}/min) | {rps:.1} req/s | 429s {} waited {:.0}s | lateness p99 {} | left {left}",
        r.started,
        r.in_flight(),
        r.closed,
        r.failed,
        r.http_429,
        r.retry_after_ms as f64 / 1_000.0,
        crate::domain::format_duration(r.lateness.quantile(0.99) as i64),
    )
}

/// Draws the line until `done` turns true. `target` gives the target rate
/// (per min) and the time left for a time in ms; `now` reads the clock.
pub async fn run(
    rec: Arc<Mutex<Recorder>>,
    mut done: watch::Receiver<bool>,
    now: impl Fn() -> i64,
    target: impl Fn(i64) -> (f64, Option<i64>),
) {
    let tty = std::io::stderr().is_terminal();
    let every = Duration::from_secs(if tty { 1 } else { 10 });
    let snap = |r: &Recorder, at_ms| Snapshot {
        at_ms,
        created: r.created,
        requests: r.requests,
    };
    let mut prev = snap(&rec.lock().unwrap_or_else(|p| p.into_inner()), now());
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = done.changed() => break,
        }
        let at = now();
        let (tgt, left) = target(at);
        let text = {
            let r = rec.lock().unwrap_or_else(|p| p.into_inner());
            let cur = snap(&r, at);
            let text = line(&r, prev, cur, tgt, left);
            prev = cur;
            text
        };
        let mut err = std::io::stderr().lock();
        let _ = if tty {
            write!(err, "\r\x1b[2K{text}")
        } else {
            writeln!(err, "{text}")
        };
        let _ = err.flush();
    }
    if tty {
        let _ = writeln!(std::io::stderr());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_shows_counts_rates_429s_lateness_and_time_left() {
        let mut r = Recorder::new(0);
        r.arrival(0, 1.0);
        r.response(10, "GET /x", 429, 5, Some(3_000));
        r.step(
            10,
            Some(250),
            0,
            super::super::recorder::StepOutcome::Done {
                first: true,
                last: false,
            },
        );
        let prev = Snapshot::default();
        let now = Snapshot {
            at_ms: 10_000,
            created: 10,
            requests: 50,
        };
        let l = line(&r, prev, now, 60.0, Some(65_400));
        assert!(l.contains("started 1 in flight 1 closed 0 failed 0"), "{l}");
        assert!(
            l.contains("rate 60.0/min (target 60.0/min)") && l.contains("5.0 req/s"),
            "{l}"
        );
        assert!(
            l.contains("429s 1 waited 3s")
                && l.contains("lateness p99 250ms")
                && l.contains("left 1m5s"),
            "{l}"
        );
    }
}
