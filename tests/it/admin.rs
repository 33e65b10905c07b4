//! The admin endpoints over loopback, on a real database and the real client
//! against the emulator: `/metrics` parses as Prometheus text and its numbers
//! move as a lifecycle progresses; `/readyz` turns 503 once the database is
//! unreachable.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use ticketsim::app::{Daemon, DaemonHealth, Schedule};
use ticketsim::clock::Clock;
use ticketsim::dispatcher::DispatcherConfig;
use ticketsim::domain::StageOffsets;
use ticketsim::freshdesk::{ApiKey, Client, ClientConfig};
use ticketsim::http::{health_router, serve};
use ticketsim::metrics::Metrics;
use tokio::sync::watch;

use crate::harness::{API_KEY, MIN, T0, TestApp, spawn_app};

/// A daemon whose client and dispatcher record into `metrics`.
async fn daemon(app: &TestApp, metrics: &Arc<Metrics>) -> Daemon {
    let mut cc = ClientConfig::new(&app.url, ApiKey::new(API_KEY));
    cc.rate_per_min = 100_000;
    cc.observer = Some(metrics.observer());
    let dcfg = DispatcherConfig {
        metrics: Some(metrics.clone()),
        ..Default::default()
    };
    let schedule = Schedule {
        cron: "0 0 * * * *".into(),
        seed: 42,
        offsets: StageOffsets::DEFAULT,
    };
    let clock: Arc<dyn Clock> = Arc::new(app.clock.clone());
    let client = Client::new(cc).unwrap();
    Daemon::build(&app.db, client, clock, &schedule, dcfg, None)
        .await
        .unwrap()
}

/// Serves the daemon's admin endpoints on 127.0.0.1:0; returns the base URL.
async fn serve_admin(
    d: &Daemon,
    metrics: Arc<Metrics>,
) -> (String, DaemonHealth, watch::Sender<bool>) {
    let health = DaemonHealth::new(
        d.store.clone(),
        d.dispatcher.heartbeat(),
        d.dispatcher.client().clone(),
        metrics,
        Duration::from_secs(60),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = watch::channel(false);
    tokio::spawn(serve(listener, health_router(Arc::new(health.clone())), rx));
    (url, health, tx)
}

/// Scrapes `/metrics`, checks the text strictly enough to catch a broken
/// encoder, and parses it with `prometheus-parse`.
async fn scrape(url: &str) -> prometheus_parse::Scrape {
    let r = reqwest::get(format!("{url}/metrics")).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    let text = r.text().await.unwrap();
    check_exposition(&text);
    assert!(!text.contains(API_KEY), "no secret in the metrics");
    let lines = text.lines().map(|l| Ok(l.to_string()));
    prometheus_parse::Scrape::parse(lines).unwrap()
}

/// Every sample belongs to a family declared by `# TYPE`, every line is a
/// comment or `name[{labels}] value`, and the text ends with `# EOF`.
fn check_exposition(text: &str) {
    assert_eq!(text.lines().last(), Some("# EOF"), "{text}");
    let mut families = HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            families.insert(rest.split(' ').next().unwrap().to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let name_end = line.find(['{', ' ']).expect(line);
        let name = &line[..name_end];
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "not a number: {line}");
        let family = ["_total", "_bucket", "_sum", "_count", "_created"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| families.contains(*f)))
            .unwrap_or(name);
        assert!(families.contains(family), "no # TYPE for {line}");
    }
}

/// The value of the sample `metric` whose labels include `labels`; 0 if absent.
fn value(s: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    use prometheus_parse::Value;
    s.samples
        .iter()
        .filter(|x| x.metric == metric)
        .filter(|x| labels.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .map(|x| match &x.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(b) => b.iter().map(|c| c.count).fold(0.0, f64::max),
            Value::Summary(_) => f64::NAN,
        })
        .sum()
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_move_as_a_lifecycle_progresses() {
    let app = spawn_app().await;
    let metrics = Arc::new(Metrics::new());
    let d = daemon(&app, &metrics).await;
    let (url, _health, _stop) = serve_admin(&d, metrics).await;
    let before = scrape(&url).await;
    assert_eq!(value(&before, "ticketsim_build_info", &[]), 1.0);
    assert_eq!(value(&before, "ticketsim_steps_total", &[]), 0.0);

    d.triggers.start_slot(T0, T0).await.unwrap().unwrap();
    let scheduled = scrape(&url).await;
    assert_eq!(
        value(
            &scheduled,
            "ticketsim_lifecycles",
            &[("state", "scheduled")]
        ),
        1.0
    );

    assert_eq!(app.tick_at(&d, T0).await, 1);
    let created = scrape(&url).await;
    let create_done = [("kind", "create"), ("result", "done")];
    assert_eq!(value(&created, "ticketsim_steps_total", &create_done), 1.0);
    assert_eq!(
        value(&created, "ticketsim_lifecycles", &[("state", "open")]),
        1.0
    );
    let posts = [
        ("method", "POST"),
        ("endpoint", "/api/v2/tickets"),
        ("status", "2xx"),
    ];
    assert_eq!(
        value(
            &created,
            "ticketsim_api_request_duration_seconds_count",
            &posts
        ),
        1.0
    );
    assert!(value(&created, "ticketsim_db_commit_duration_seconds_count", &[]) >= 1.0);
    assert_eq!(
        value(&created, "ticketsim_step_lateness_seconds_count", &[]),
        1.0
    );
    // The configured 100 000/min, or the emulator's plan limit when lower.
    let limit = value(&created, "ticketsim_budget_limit_per_minute", &[]);
    assert!(limit > 0.0 && limit <= 100_000.0, "{limit}");
    assert!(
        value(&created, "ticketsim_budget_remaining", &[]) >= 0.0,
        "learnt from the headers"
    );

    for at in [5, 10, 15, 20] {
        assert_eq!(app.tick_at(&d, T0 + at * MIN).await, 1);
    }
    let closed = scrape(&url).await;
    assert_eq!(
        value(&closed, "ticketsim_lifecycles", &[("state", "closed")]),
        1.0
    );
    assert_eq!(
        value(&closed, "ticketsim_lifecycles", &[("state", "open")]),
        0.0
    );
    assert_eq!(
        value(&closed, "ticketsim_steps_total", &[("result", "done")]),
        5.0
    );
    assert_eq!(
        value(&closed, "ticketsim_step_lateness_seconds_count", &[]),
        5.0
    );
    let replies = [("endpoint", "/api/v2/tickets/:id/reply"), ("status", "2xx")];
    assert!(
        value(
            &closed,
            "ticketsim_api_request_duration_seconds_count",
            &replies
        ) >= 1.0
    );
}

#[tokio::test]
async fn readyz_turns_503_naming_the_database_once_it_is_unreachable() {
    let app = spawn_app().await;
    let metrics = Arc::new(Metrics::new());
    let d = daemon(&app, &metrics).await;
    let (url, health, _stop) = serve_admin(&d, metrics).await;
    let readyz = || async {
        let r = reqwest::get(format!("{url}/readyz")).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let (code, text) = readyz().await;
    assert_eq!(code, 503, "not ready before recovery: {text}");
    assert!(text.contains("starting"), "{text}");

    health.mark_started();
    d.dispatcher.heartbeat().beat();
    assert_eq!(readyz().await, (200, "ready\n".to_string()));
    let healthz = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(healthz.status().as_u16(), 200);

    d.store.close().await;
    let (code, text) = readyz().await;
    assert_eq!(code, 503, "{text}");
    assert!(text.contains("database"), "{text}");
    let healthz = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(healthz.status().as_u16(), 200, "the process still answers");
    let down = scrape(&url).await;
    assert_eq!(value(&down, "ticketsim_ready", &[]), 0.0);
}

#[tokio::test]
async fn a_taken_admin_address_exits_2_naming_the_variable_before_any_request() {
    use ticketsim::clock::SystemClock;
    let (emulator, url, _stop) =
        crate::harness::spawn_emulator(crate::harness::emulator_config(), Arc::new(SystemClock))
            .await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = crate::process::ticketsim(
        dir.path(),
        &[
            ("FRESHDESK_URL", &url),
            ("FRESHDESK_API_KEY", API_KEY),
            ("TICKETSIM_HTTP_ADDR", &addr),
        ],
    )
    .args(["--db", "t.db", "run"])
    .output()
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    let last = lines[0];
    assert!(
        last.contains("TICKETSIM_HTTP_ADDR") && last.contains("off"),
        "{stderr}"
    );
    assert!(emulator.requests().is_empty(), "no request was made");
    assert!(!dir.path().join("t.db").exists(), "no database was created");
}
