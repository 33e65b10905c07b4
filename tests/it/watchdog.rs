//! The notify protocol spoken by a real `ticketsim run` to a Unix datagram
//! socket given as NOTIFY_SOCKET: READY=1 only after migrations and recovery,
//! WATCHDOG=1 while healthy, none once the dispatcher is wedged (the
//! `TICKETSIM_TEST_WEDGE_FILE` hook), STOPPING=1 on SIGTERM.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UnixDatagram;
use tokio::time::Instant;

use ticketsim::clock::{Clock, SystemClock};
use ticketsim::store::Store;

use crate::harness::{API_KEY, emulator_config, spawn_emulator};
use crate::process::ticketsim;

/// The datagrams that arrive within `window`, split into lines.
async fn lines_within(socket: &UnixDatagram, window: Duration) -> Vec<String> {
    let deadline = Instant::now() + window;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
        out.extend(
            String::from_utf8_lossy(&buf[..n])
                .lines()
                .map(str::to_string),
        );
    }
    out
}

/// Reads datagrams until a line equals `want` (at most 20 s); returns all lines read.
async fn until(socket: &UnixDatagram, want: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 4096];
    while !seen.iter().any(|l| l == want) {
        let got = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await;
        let n = got
            .unwrap_or_else(|_| panic!("no {want} within 20 s; got {seen:?}"))
            .unwrap();
        seen.extend(
            String::from_utf8_lossy(&buf[..n])
                .lines()
                .map(str::to_string),
        );
    }
    seen
}

/// A database left by a crash: one slot whose creation step is `running`.
async fn crashed_database(db: &Path) {
    let store = Store::open(db).await.unwrap();
    let now = SystemClock.now_ms();
    store
        .start_slot(now - 1_000, now, 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.claim_due(now, 1).await.unwrap().len(), 1);
    store.close().await;
}

async fn applied_migrations(db: &Path) -> i64 {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    n
}

/// The admin address the daemon logged (it listens on port 0 here).
fn admin_url(log: &str) -> String {
    let line = log
        .lines()
        .find(|l| l.contains("admin endpoints listening"))
        .expect(log);
    let addr = line
        .split("addr=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    format!("http://{addr}")
}

async fn readyz(url: &str) -> (u16, String) {
    let r = reqwest::get(format!("{url}/readyz")).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_watchdog_pings_while_healthy_and_stops_once_the_dispatcher_is_wedged() {
    let (_emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    crashed_database(&db).await;
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count() as i64;
    let (log, wedge) = (dir.path().join("log"), dir.path().join("wedge"));
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    let mut child = ticketsim(
        dir.path(),
        &[
            ("FRESHDESK_URL", &url),
            ("FRESHDESK_API_KEY", API_KEY),
            ("TICKETSIM_CREATE_CRON", "0 0 0 1 1 *"),
            ("NOTIFY_SOCKET", socket_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "2000000"),
            ("TICKETSIM_TEST_WEDGE_FILE", wedge.to_str().unwrap()),
        ],
    )
    .args(["--db", "t.db", "run"])
    .stderr(std::fs::File::create(&log).unwrap())
    .spawn()
    .unwrap();

    let before_ready = until(&socket, "READY=1").await;
    // While starting, only pings and the "starting" status.
    let early = |l: &String| {
        ["WATCHDOG=1", "STATUS=starting", "READY=1", "STATUS=running"].contains(&l.as_str())
    };
    assert!(before_ready.iter().all(early), "{before_ready:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("recovered steps interrupted by a crash"),
        "recovery ran before READY=1: {text}"
    );
    assert_eq!(
        applied_migrations(&db).await,
        migrations,
        "every migration ran before READY=1"
    );

    let healthy = lines_within(&socket, Duration::from_secs(4)).await;
    let pings = healthy.iter().filter(|l| *l == "WATCHDOG=1").count();
    assert!(pings >= 2, "a ping every second while healthy: {healthy:?}");
    assert!(
        healthy
            .iter()
            .any(|l| l.starts_with("STATUS=") && l.contains("lifecycles in flight")),
        "{healthy:?}"
    );
    let admin = admin_url(&text);
    assert_eq!(readyz(&admin).await.0, 200);

    std::fs::write(&wedge, "").unwrap();
    // The heartbeat goes stale after 3 s; pings already sent may still arrive.
    let _settling = lines_within(&socket, Duration::from_secs(5)).await;
    let wedged = lines_within(&socket, Duration::from_secs(4)).await;
    assert!(
        !wedged.iter().any(|l| l == "WATCHDOG=1"),
        "no ping once wedged: {wedged:?}"
    );
    assert!(
        wedged.iter().any(|l| l.starts_with("STATUS=")),
        "status lines go on: {wedged:?}"
    );
    let (code, why) = readyz(&admin).await;
    assert_eq!(code, 503, "{why}");
    assert!(why.contains("heartbeat"), "{why}");

    let pid = child.id().unwrap() as i32;
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    until(&socket, "STOPPING=1").await;
    // A wedged dispatcher never finishes: systemd would SIGKILL it after TimeoutStopSec.
    child.kill().await.unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("withholding the watchdog ping"), "{text}");
    assert!(!text.contains(API_KEY));
}
