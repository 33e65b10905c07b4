//! The daemon's Prometheus metrics: one [`Metrics`] value holding the registry
//! and every family, shared (`Arc`) by the parts that record into it and by
//! the admin endpoint that encodes it (`prometheus-client`, OpenMetrics text).
//!
//! Labels only ever carry bounded, secret-free values: step kinds, lifecycle
//! states, HTTP methods, path templates with ids replaced (`/api/v2/tickets/:id`),
//! status classes. No URL host, key, subject or body ever reaches a label.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::freshdesk::{Observed, Observer, ObserverHook};

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels2 = [(&'static str, String); 2];
type Labels3 = [(&'static str, String); 3];
type Labels1 = [(&'static str, String); 1];
type HistFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric the daemon exposes. Cheap to record into from any task.
pub struct Metrics {
    registry: Registry,
    lifecycles: Family<Labels1, Gauge>,
    steps: Family<Labels2, Counter>,
    retries: Family<Labels1, Counter>,
    reconciliations: Family<Labels2, Counter>,
    lateness: Histogram,
    api_latency: HistFamily<Labels3>,
    rate_limited: Counter,
    retry_after_seconds: Counter<f64, AtomicU64>,
    budget_limit: Gauge,
    budget_remaining: Gauge,
    budget_paused: Gauge<f64, AtomicU64>,
    commit_latency: Histogram,
    heartbeat_age: Gauge<f64, AtomicU64>,
    ready: Gauge,
}

/// Latency buckets from 1 ms to about 65 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// Lateness buckets from 100 ms to about 7 hours (steps after downtime).
fn lateness_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.1, 3.0, 12))
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("ticketsim"),
            lifecycles: Family::default(),
            steps: Family::default(),
            retries: Family::default(),
            reconciliations: Family::default(),
            lateness: lateness_histogram(),
            api_latency: Family::new_with_constructor(latency_histogram),
            rate_limited: Counter::default(),
            retry_after_seconds: Counter::default(),
            budget_limit: Gauge::default(),
            budget_remaining: Gauge::default(),
            budget_paused: Gauge::default(),
            commit_latency: latency_histogram(),
            heartbeat_age: Gauge::default(),
            ready: Gauge::default(),
        };
        m.register();
        m
    }

    fn register(&mut self) {
        let r = &mut self.registry;
        r.register(
            "lifecycles",
            "Lifecycles by state (read from the database at each scrape)",
            self.lifecycles.clone(),
        );
        r.register(
            "steps",
            "Steps performed, by kind and result (done, retried, failed, cancelled)",
            self.steps.clone(),
        );
        r.register(
            "step_retries",
            "Steps scheduled again, by reason (rate_limited, uncertain, transient, busy)",
            self.retries.clone(),
        );
        r.register("reconciliations", "Looks in Freshdesk before re-sending an interrupted write, by kind and whether it had landed", self.reconciliations.clone());
        r.register(
            "step_lateness_seconds",
            "From a step's due time to its request having been sent",
            self.lateness.clone(),
        );
        r.register(
            "api_request_duration_seconds",
            "Freshdesk API latency by method, endpoint template and status class",
            self.api_latency.clone(),
        );
        r.register(
            "api_rate_limited",
            "Freshdesk answers 429 Too Many Requests",
            self.rate_limited.clone(),
        );
        r.register(
            "api_retry_after_seconds",
            "Seconds of Retry-After announced by 429 answers (every request waits them)",
            self.retry_after_seconds.clone(),
        );
        r.register(
            "budget_limit_per_minute",
            "Requests per minute the rate budget allows (configured, or the plan's when lower)",
            self.budget_limit.clone(),
        );
        r.register(
            "budget_remaining",
            "X-RateLimit-Remaining of the last Freshdesk answer (-1 before the first)",
            self.budget_remaining.clone(),
        );
        r.register(
            "budget_paused_seconds",
            "Seconds until the budget's pause after a 429 ends (0 when not paused)",
            self.budget_paused.clone(),
        );
        r.register(
            "db_commit_duration_seconds",
            "Duration of one batched commit of step outcomes (one fsync)",
            self.commit_latency.clone(),
        );
        r.register(
            "dispatcher_heartbeat_age_seconds",
            "Seconds since the dispatcher's loop last showed it is alive",
            self.heartbeat_age.clone(),
        );
        r.register("ready", "1 when /readyz answers 200", self.ready.clone());
        let build: Family<Labels2, Gauge> = Family::default();
        let labels = [
            ("version", env!("CARGO_PKG_VERSION").to_string()),
            (
                "profile",
                if cfg!(debug_assertions) {
                    "debug"
                } else {
                    "release"
                }
                .to_string(),
            ),
        ];
        build.get_or_create(&labels).set(1);
        r.register(
            "build_info",
            "Always 1; the labels say which build runs",
            build,
        );
        self.budget_remaining.set(-1);
    }

    /// The registry as OpenMetrics text (see [`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// A step's outcome: `result` is done, retried, failed or cancelled.
    pub fn step(&self, kind: &str, result: &str) {
        let labels = [("kind", kind.to_string()), ("result", result.to_string())];
        self.steps.get_or_create(&labels).inc();
    }

    pub fn retry(&self, reason: &'static str) {
        self.retries
            .get_or_create(&[("reason", reason.to_string())])
            .inc();
    }

    /// A look before re-sending: `kind` is ticket, message or time_entry.
    pub fn reconciliation(&self, kind: &'static str, found: bool) {
        let labels = [("kind", kind.to_string()), ("found", found.to_string())];
        self.reconciliations.get_or_create(&labels).inc();
    }

    pub fn lateness(&self, late_ms: i64) {
        self.lateness.observe(late_ms.max(0) as f64 / 1000.0);
    }

    pub fn commit(&self, took: Duration) {
        self.commit_latency.observe(took.as_secs_f64());
    }

    /// Replaces the lifecycle counts with `by_state` (every state, zeros included).
    pub fn set_lifecycles(&self, by_state: &[(String, i64)]) {
        for (state, n) in by_state {
            self.lifecycles
                .get_or_create(&[("state", state.clone())])
                .set(*n);
        }
    }

    /// The rate budget as the client sees it now.
    pub fn set_budget(&self, limit: u32, remaining: Option<u32>, paused: Duration) {
        self.budget_limit.set(i64::from(limit));
        self.budget_remaining.set(remaining.map_or(-1, i64::from));
        self.budget_paused.set(paused.as_secs_f64());
    }

    pub fn set_health(&self, heartbeat_age: Duration, ready: bool) {
        self.heartbeat_age.set(heartbeat_age.as_secs_f64());
        self.ready.set(i64::from(ready));
    }

    /// A client observer recording into these metrics.
    pub fn observer(self: &Arc<Self>) -> ObserverHook {
        ObserverHook(Arc::new(ApiMetrics(self.clone())))
    }
}

/// Records every Freshdesk answer: latency by endpoint and status class, 429s.
struct ApiMetrics(Arc<Metrics>);

impl Observer for ApiMetrics {
    fn observe(&self, r: &Observed) {
        let labels = [
            ("method", r.method.clone()),
            // `:id`, not `{id}`: braces inside label values trip some parsers.
            ("endpoint", r.template.replace("{id}", ":id")),
            ("status", status_class(r.status).to_string()),
        ];
        let m = &self.0;
        m.api_latency
            .get_or_create(&labels)
            .observe(r.latency.as_secs_f64());
        if r.status == 429 {
            m.rate_limited.inc();
            if let Some(wait) = r.retry_after {
                m.retry_after_seconds.inc_by(wait.as_secs_f64());
            }
        }
    }
}

/// `2xx`, `4xx`, …; 429 on its own (it is not a failure); `none` without an answer.
fn status_class(status: u16) -> &'static str {
    match status {
        429 => "429",
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_observed_429_counts_once_and_adds_its_retry_after() {
        let m = Arc::new(Metrics::new());
        let hook = m.observer();
        hook.0.observe(&Observed {
            method: "POST".into(),
            template: "/api/v2/tickets".into(),
            status: 429,
            latency: Duration::from_millis(12),
            retry_after: Some(Duration::from_secs(7)),
        });
        let text = m.encode();
        assert!(
            text.contains("ticketsim_api_rate_limited_total 1\n"),
            "{text}"
        );
        assert!(
            text.contains("ticketsim_api_retry_after_seconds_total 7.0\n"),
            "{text}"
        );
        assert!(
            text.contains(r#"endpoint="/api/v2/tickets",status="429""#),
            "{text}"
        );
    }

    /// Every `ticketsim_*` name in the shipped dashboard and alert rules is a
    /// family this registry declares (or one of its sample suffixes).
    #[test]
    fn the_dashboard_and_alerts_use_only_metrics_that_exist() {
        let m = Arc::new(Metrics::new());
        // Families show in the text once they hold one label set.
        m.set_lifecycles(&[("open".to_string(), 1)]);
        m.step("create", "done");
        m.retry("busy");
        m.reconciliation("ticket", true);
        m.observer().0.observe(&Observed {
            method: "GET".into(),
            template: "/api/v2/agents/me".into(),
            status: 200,
            latency: Duration::from_millis(3),
            retry_after: None,
        });
        let text = m.encode();
        let declared: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split(' ').next())
            .collect();
        let contrib = [
            include_str!("../contrib/grafana/ticketsim.json"),
            include_str!("../contrib/prometheus/alerts.yml"),
        ];
        let mut checked = 0;
        for file in contrib {
            for (i, _) in file.match_indices("ticketsim_") {
                let name: String = file[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let family = ["_total", "_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s).filter(|f| declared.contains(f)))
                    .unwrap_or(&name);
                assert!(declared.contains(&family), "{name} is not exposed");
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }

    #[test]
    fn status_classes_group_answers_and_keep_429_apart() {
        assert_eq!(status_class(201), "2xx");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(429), "429");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(0), "none");
    }
}
