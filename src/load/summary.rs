//! The end-of-run summary: one JSON object (`--json`) or a table like k6's and
//! Locust's, built from a [`Recorder`] and what the run was asked to do.

use serde_json::{Value, json};

use super::recorder::Recorder;
use super::stats::Hist;

/// What the run was asked for, to compare with what it did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Meta {
    /// Lifecycles the target asked for during the arrival window.
    pub target_count: f64,
    /// How long arrivals ran, in ms.
    pub window_ms: i64,
    /// The whole run, in ms.
    pub elapsed_ms: i64,
    /// The share of the plan's budget the run may use, in requests/min.
    pub budget_per_min: f64,
}

fn per_min(n: f64, ms: i64) -> f64 {
    if ms <= 0 {
        0.0
    } else {
        n * 60_000.0 / ms as f64
    }
}

/// Requests per minute as the budget counts them: over at least one minute,
/// its window (a 20 s run may use a whole minute's budget and no more).
fn budget_per_min(requests: u64, elapsed_ms: i64) -> f64 {
    per_min(requests as f64, elapsed_ms.max(60_000))
}

fn ratio(a: f64, b: f64) -> f64 {
    if b <= 0.0 { 0.0 } else { a / b }
}

fn round3(x: f64) -> f64 {
    (x * 1_000.0).round() / 1_000.0
}

fn pct(h: &Hist) -> Value {
    json!({"count": h.count(), "p50": h.quantile(0.5), "p90": h.quantile(0.9),
           "p99": h.quantile(0.99), "max": h.max()})
}

/// The summary as one JSON object.
pub fn to_json(r: &Recorder, m: &Meta, crossed: &[String]) -> Value {
    let endpoints: serde_json::Map<String, Value> = r
        .endpoints
        .iter()
        .map(|(name, e)| {
            let by_status: serde_json::Map<String, Value> =
                e.by_status.iter().map(|(s, n)| (s.to_string(), json!(n))).collect();
            (name.clone(), json!({"requests": e.latency.count(), "latency_ms": pct(&e.latency), "by_status": by_status}))
        })
        .collect();
    let target_pm = per_min(m.target_count, m.window_ms);
    let achieved_pm = per_min(r.created as f64, m.window_ms);
    let requests_pm = budget_per_min(r.requests, m.elapsed_ms);
    json!({
        "duration_s": round3(m.elapsed_ms as f64 / 1_000.0),
        "lifecycles": {"started": r.started, "created": r.created, "closed": r.closed,
                       "failed": r.failed, "in_flight": r.in_flight(), "failure_reasons": r.reasons},
        "steps": r.steps,
        "lateness_ms": pct(&r.lateness),
        "create_to_close_ms": pct(&r.create_to_close),
        "endpoints": endpoints,
        "requests": r.requests,
        "http_429": r.http_429,
        "retry_after_wait_s": round3(r.retry_after_ms as f64 / 1_000.0),
        "retries": r.retries,
        "reconciliations": r.reconciliations,
        "rate": {"target_per_min": round3(target_pm), "achieved_per_min": round3(achieved_pm),
                 "ratio": round3(ratio(achieved_pm, target_pm))},
        "budget": {"limit_per_min": round3(m.budget_per_min), "requests_per_min": round3(requests_pm),
                   "ratio": round3(ratio(requests_pm, m.budget_per_min))},
        "thresholds_crossed": crossed,
    })
}

/// A summary figure by its threshold name (see [`super::thresholds::NAMES`]).
pub fn figure(r: &Recorder, m: &Meta, name: &str) -> Option<f64> {
    let target_pm = per_min(m.target_count, m.window_ms);
    let achieved_pm = per_min(r.created as f64, m.window_ms);
    let worst_p99 = r
        .endpoints
        .values()
        .map(|e| e.latency.quantile(0.99))
        .max()
        .unwrap_or(0);
    let errors: u64 = r
        .endpoints
        .values()
        .flat_map(|e| e.by_status.iter())
        .filter(|(s, _)| **s == 0 || **s >= 500)
        .map(|(_, n)| n)
        .sum();
    Some(match name {
        "lateness_p50" => r.lateness.quantile(0.5) as f64,
        "lateness_p90" => r.lateness.quantile(0.9) as f64,
        "lateness_p99" => r.lateness.quantile(0.99) as f64,
        "lateness_max" => r.lateness.max() as f64,
        "close_p50" => r.create_to_close.quantile(0.5) as f64,
        "close_p99" => r.create_to_close.quantile(0.99) as f64,
        "started" => r.started as f64,
        "closed" => r.closed as f64,
        "failed" => r.failed as f64,
        "failed_ratio" => ratio(r.failed as f64, r.started as f64),
        "http_429" => r.http_429 as f64,
        "retry_after_wait_s" => r.retry_after_ms as f64 / 1_000.0,
        "retries" => r.retries as f64,
        "rate_ratio" => ratio(achieved_pm, target_pm),
        "budget_ratio" => ratio(budget_per_min(r.requests, m.elapsed_ms), m.budget_per_min),
        "request_p99" => worst_p99 as f64,
        "http_errors" => errors as f64,
        _ => return None,
    })
}

fn ms(v: u64) -> String {
    crate::domain::format_duration(v as i64)
}

fn pct_row(label: &str, h: &Hist) -> String {
    format!(
        "  {label:<34} p50={:<8} p90={:<8} p99={:<8} max={:<8} n={}\n",
        ms(h.quantile(0.5)),
        ms(h.quantile(0.9)),
        ms(h.quantile(0.99)),
        ms(h.max()),
        h.count()
    )
}

/// The summary as a table for a terminal.
pub fn to_text(r: &Recorder, m: &Meta, crossed: &[String]) -> String {
    let j = to_json(r, m, crossed);
    let mut s = format!(
        "\n  lifecycles ........................ started={} created={} closed={} failed={} in_flight={}\n",
        r.started,
        r.created,
        r.closed,
        r.failed,
        r.in_flight()
    );
    for (reason, n) in &r.reasons {
        s += &format!("    failed x{n}: {reason}\n");
    }
    s += &pct_row("step lateness (due -> done)", &r.lateness);
    s += &pct_row("create -> close", &r.create_to_close);
    for (name, e) in &r.endpoints {
        s += &pct_row(name, &e.latency);
        let st: Vec<String> = e
            .by_status
            .iter()
            .map(|(k, n)| format!("{k}:{n}"))
            .collect();
        s += &format!("  {:<34} {}\n", "", st.join(" "));
    }
    s += &format!(
        "  http 429 .......................... {} (Retry-After waited {} s)\n  retries / reconciliations ......... {} / {}\n",
        r.http_429, j["retry_after_wait_s"], r.retries, r.reconciliations
    );
    s += &format!(
        "  rate (achieved / target) .......... {}/min / {}/min = {}\n  requests / budget ................. {}/min / {}/min = {}\n",
        j["rate"]["achieved_per_min"],
        j["rate"]["target_per_min"],
        j["rate"]["ratio"],
        j["budget"]["requests_per_min"],
        j["budget"]["limit_per_min"],
        j["budget"]["ratio"]
    );
    for t in crossed {
        s += &format!("  THRESHOLD CROSSED: {t}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::recorder::StepOutcome;
    use super::*;

    fn sample() -> (Recorder, Meta) {
        let mut r = Recorder::new(0);
        for i in 0..10 {
            r.arrival(i * 100, 10.0);
            r.response(i * 100, "POST /api/v2/tickets", 201, 20 + i, None);
            r.step(
                i * 100,
                Some(5),
                0,
                StepOutcome::Done {
                    first: true,
                    last: false,
                },
            );
        }
        r.response(50, "GET /api/v2/tickets/{id}", 429, 3, Some(2_000));
        let m = Meta {
            target_count: 10.0,
            window_ms: 1_000,
            elapsed_ms: 2_000,
            budget_per_min: 600.0,
        };
        (r, m)
    }

    #[test]
    fn the_json_summary_has_every_field_of_the_issue() {
        let (r, m) = sample();
        let j = to_json(&r, &m, &[]);
        for path in [
            "/lifecycles/started",
            "/lifecycles/closed",
            "/lifecycles/failed",
            "/lifecycles/failure_reasons",
            "/lateness_ms/p50",
            "/lateness_ms/p90",
            "/lateness_ms/p99",
            "/lateness_ms/max",
            "/create_to_close_ms/p99",
            "/endpoints/POST ~1api~1v2~1tickets/latency_ms/p99",
            "/endpoints/POST ~1api~1v2~1tickets/by_status/201",
            "/http_429",
            "/retry_after_wait_s",
            "/retries",
            "/reconciliations",
            "/rate/ratio",
            "/budget/ratio",
        ] {
            assert!(j.pointer(path).is_some(), "missing {path} in {j}");
        }
        assert_eq!(j["rate"]["ratio"], 1.0);
        assert_eq!(j["http_429"], 1);
        assert_eq!(j["retry_after_wait_s"], 2.0);
        // 11 requests in a 2 s run, counted over the budget's one-minute window
        assert_eq!(j["budget"]["requests_per_min"], 11.0);
    }

    #[test]
    fn every_threshold_name_has_a_figure() {
        let (r, m) = sample();
        for name in super::super::thresholds::NAMES {
            assert!(figure(&r, &m, name).is_some(), "{name}");
        }
        assert_eq!(figure(&r, &m, "lateness_p99"), Some(5.0));
    }

    #[test]
    fn a_run_shorter_than_a_minute_is_held_to_one_minutes_budget() {
        let (r, mut m) = sample();
        // 11 requests in 2 s: 330/min as a rate, but 11 of one minute's 600.
        assert_eq!(figure(&r, &m, "budget_ratio"), Some(11.0 / 600.0));
        m.elapsed_ms = 120_000;
        assert_eq!(figure(&r, &m, "budget_ratio"), Some(5.5 / 600.0));
    }

    #[test]
    fn the_table_names_endpoints_and_crossed_thresholds() {
        let (r, m) = sample();
        let t = to_text(&r, &m, &["failed>0".to_string()]);
        assert!(
            t.contains("GET /api/v2/tickets/{id}") && t.contains("429:1"),
            "{t}"
        );
        assert!(t.contains("THRESHOLD CROSSED: failed>0"));
    }
}
