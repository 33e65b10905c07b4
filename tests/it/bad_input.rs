//! Bad-input suite (issue 14): a table of bad configuration values, CLI
//! arguments, content files, databases and Freshdesk answers. Each must exit
//! with the documented code, name its culprit in its first line, never panic,
//! and leave the database as it was (same bytes, or still absent).

use std::path::Path;
use std::time::Duration;

use std::sync::Arc;

use ticketsim::clock::SystemClock;

use crate::harness::{API_KEY, emulator_config, spawn_emulator};
use crate::process::ticketsim;

/// What a case puts in its directory before it runs.
#[derive(Clone, Copy)]
enum Db {
    None,
    NotSqlite,
    NewerSchema,
    HeldLock,
}

struct Case {
    env: Vec<(&'static str, String)>,
    args: Vec<String>,
    db: Db,
    exit: i32,
    culprit: &'static str,
}

fn cfg(var: &'static str, value: &str) -> Case {
    Case {
        env: vec![(var, value.to_string())],
        args: vec!["--db".into(), "t.db".into(), "run".into()],
        db: Db::None,
        exit: 2,
        culprit: var,
    }
}

fn missing(var: &'static str) -> Case {
    Case {
        env: vec![(var, "\u{0}unset".to_string())],
        ..cfg(var, "")
    }
}

fn cli(args: &[&str], culprit: &'static str) -> Case {
    Case {
        env: vec![],
        args: args.iter().map(|a| a.to_string()).collect(),
        db: Db::None,
        exit: 2,
        culprit,
    }
}

fn db(db: Db, culprit: &'static str) -> Case {
    Case {
        db,
        culprit,
        ..cfg("TICKETSIM_SEED", "1")
    }
}

fn config_cases() -> Vec<Case> {
    let mut v = vec![missing("FRESHDESK_URL"), missing("FRESHDESK_API_KEY")];
    for (var, value) in [
        ("FRESHDESK_URL", ""),
        ("FRESHDESK_URL", "not a url"),
        ("FRESHDESK_URL", "ftp://acme.freshdesk.com"),
        ("FRESHDESK_URL", "http://acme.freshdesk.com"),
        ("FRESHDESK_API_KEY", ""),
        ("TICKETSIM_CREATE_CRON", "bogus"),
        ("TICKETSIM_CREATE_CRON", "0 * * * *"),
        ("TICKETSIM_CREATE_CRON", "0 0 0 31 2 *"),
        ("TICKETSIM_STAGE_OFFSETS", "5m,5m,15m,20m"),
        ("TICKETSIM_STAGE_OFFSETS", "5m,ten,15m,20m"),
        ("TICKETSIM_STAGE_OFFSETS", "5m,10m"),
        ("TICKETSIM_STAGE_OFFSETS", "-5m,10m,15m,20m"),
        ("TICKETSIM_RATE_PER_MIN", "0"),
        ("TICKETSIM_RATE_PER_MIN", "-1"),
        ("TICKETSIM_RATE_PER_MIN", "forty"),
        ("TICKETSIM_RATE_PER_MIN", "99999999999999999999999"),
        ("TICKETSIM_CONNECT_TIMEOUT", "0s"),
        ("TICKETSIM_CONNECT_TIMEOUT", "1h"),
        ("TICKETSIM_REQUEST_TIMEOUT", "soon"),
        ("TICKETSIM_REQUEST_TIMEOUT", "11m"),
        ("TICKETSIM_SEED", "1.5"),
        ("TICKETSIM_PLAYBOOKS", "bogus"),
        ("TICKETSIM_SCENARIOS_DIR", "/nonexistent/scenarios"),
        ("TICKETSIM_SCENARIOS_DIR", "bad-scenarios"),
        ("TICKETSIM_CATCHUP_WINDOW", "a while"),
        ("TICKETSIM_CATCHUP_WINDOW", "-1h"),
        ("TICKETSIM_LOG_FORMAT", "xml"),
        ("TICKETSIM_CUSTOM_FIELDS", "order_id"),
    ] {
        v.push(cfg(var, value));
    }
    v
}

fn other_cases() -> Vec<Case> {
    vec![
        cli(&["--db", "t.db", "run", "--bogus"], "--bogus"),
        cli(&["frobnicate"], "frobnicate"),
        cli(&["--db", "t.db", "export", "--format", "xml"], "xml"),
        cli(&["preview", "-n", "0"], "0"),
        cli(&["demo", "--for", "abc", "--db", "d.db"], "abc"),
        cli(
            &["--db", "/nonexistent/dir/t.db", "status"],
            "/nonexistent/dir",
        ),
        cli(&["--db", "t.db", "show", "not-a-number"], "not-a-number"),
        db(Db::NotSqlite, "t.db"),
        db(Db::NewerSchema, "t.db"),
        db(Db::HeldLock, "pid"),
        Case {
            db: Db::NotSqlite,
            ..cli(&["--db", "t.db", "status"], "t.db")
        },
    ]
}

async fn prepare(dir: &Path, db: Db) -> Option<std::fs::File> {
    std::fs::create_dir_all(dir.join("bad-scenarios")).unwrap();
    std::fs::write(dir.join("bad-scenarios/x.json"), "{ not json").unwrap();
    let path = dir.join("t.db");
    match db {
        Db::None => None,
        Db::NotSqlite => {
            std::fs::write(&path, "this is a text file, not a database\n").unwrap();
            None
        }
        Db::NewerSchema | Db::HeldLock => {
            migrated(&path).await;
            if matches!(db, Db::NewerSchema) {
                add_future_migration(&path).await;
            }
            matches!(db, Db::HeldLock).then(|| hold_lock(&path))
        }
    }
}

async fn migrated(path: &Path) {
    let store = ticketsim::store::Store::open(path).await.unwrap();
    store.close().await;
}

/// Records a migration newer than this binary knows, as a later ticketsim would.
async fn add_future_migration(path: &Path) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (29991231000000, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// Holds `<db>.lock` as a running daemon would, with this process's pid.
fn hold_lock(path: &Path) -> std::fs::File {
    use std::io::Write;
    let mut f = std::fs::File::create(path.with_extension("db.lock")).unwrap();
    f.try_lock().unwrap();
    write!(f, "{}", std::process::id()).unwrap();
    f
}

fn hash(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

#[tokio::test]
async fn every_bad_input_exits_with_its_code_names_the_culprit_and_leaves_the_database_alone() {
    let mut cases = config_cases();
    cases.extend(other_cases());
    let (mut panics, mut wrong_exit, mut unnamed, mut changed) = (0, 0, 0, 0);
    let mut report = vec![];
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    for case in &cases {
        let dir = tempfile::tempdir().unwrap();
        let _lock = prepare(dir.path(), case.db).await;
        let before = hash(&dir.path().join("t.db"));
        let mut env: Vec<(&str, &str)> = vec![
            ("FRESHDESK_URL", url.as_str()),
            ("FRESHDESK_API_KEY", API_KEY),
        ];
        for (k, v) in &case.env {
            env.retain(|(e, _)| e != k);
            if !v.starts_with('\u{0}') {
                env.push((k, v));
            }
        }
        let out = ticketsim(dir.path(), &env).args(&case.args).output();
        let Ok(out) = tokio::time::timeout(Duration::from_secs(6), out).await else {
            report.push(format!(
                "{:?} {:?} → accepted: still running after 6 s",
                case.env, case.args
            ));
            wrong_exit += 1;
            continue;
        };
        let out = out.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // `run` logs its seed first; its error is the line that is not a log line.
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with(" INFO") && !l.starts_with(" WARN"))
            .unwrap_or("");
        let what = format!("{:?} {:?}", case.env, case.args);
        assert!(
            !stderr.contains(API_KEY),
            "{what}: the key leaked: {stderr}"
        );
        let mut bad = vec![];
        if stderr.contains("panicked") {
            panics += 1;
            bad.push("panicked");
        }
        if out.status.code() != Some(case.exit) {
            wrong_exit += 1;
            bad.push("wrong exit");
        }
        if !first.contains(case.culprit) {
            unnamed += 1;
            bad.push("culprit not named");
        }
        if hash(&dir.path().join("t.db")) != before {
            changed += 1;
            bad.push("database changed");
        }
        if !bad.is_empty() {
            report.push(format!(
                "{what} → {:?} {bad:?}: {stderr}",
                out.status.code()
            ));
        }
    }
    eprintln!(
        "bad inputs {}, panics {panics}, wrong exit {wrong_exit}, unnamed {unnamed}, databases changed {changed}",
        cases.len()
    );
    assert!(report.is_empty(), "{report:#?}");
    let writes = emulator
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(writes, 0, "no bad input led to a write in Freshdesk");
    assert!(cases.len() >= 40);
}

/// Serves `body` with status 200 to every request on 127.0.0.1.
async fn raw_stub(body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let body = Arc::new(body);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16_384];
                let _ = s.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&body).await;
            });
        }
    });
    url
}

fn ticket_page(n: usize) -> Vec<u8> {
    let t = |i| serde_json::json!({"id": i, "subject": "s", "status": 2, "priority": 1});
    serde_json::to_vec(&(0..n).map(t).collect::<Vec<_>>()).unwrap()
}

/// Freshdesk answers that are not JSON, of the wrong type, cut short or
/// huge: `check` and `run` fail with one line naming Freshdesk's answer,
/// exit 1 (a runtime failure), never panic, and `run` writes nothing.
#[tokio::test]
async fn bad_freshdesk_answers_fail_with_one_line_and_no_panic() {
    let huge = [
        b"{\"id\": 1, \"name\": \"".to_vec(),
        vec![b'a'; 50 << 20],
        b"\"}".to_vec(),
    ]
    .concat();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "not JSON",
            b"<html><body>Service unavailable</body></html>".to_vec(),
        ),
        (
            "wrong types",
            br#"{"id": "one", "contact": {"name": 5}}"#.to_vec(),
        ),
        ("truncated", br#"{"id": 1, "contact": {"na"#.to_vec()),
        ("50 MB", huge),
        ("10,000 tickets", ticket_page(10_000)),
    ];
    for (what, body) in bodies {
        let url = raw_stub(body).await;
        let dir = tempfile::tempdir().unwrap();
        let env = [
            ("FRESHDESK_URL", url.as_str()),
            ("FRESHDESK_API_KEY", API_KEY),
        ];
        let out = ticketsim(dir.path(), &env)
            .args(["check", "--no-probe"])
            .output();
        let out = tokio::time::timeout(Duration::from_secs(60), out)
            .await
            .unwrap()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(!stderr.contains(API_KEY) && !stdout.contains(API_KEY));
        assert_eq!(out.status.code(), Some(1), "{what}: {stdout}");
        let fail: Vec<&str> = stdout.lines().filter(|l| l.contains("FAIL")).collect();
        assert_eq!(fail.len(), 1, "{what}: {stdout}");
        assert!(
            fail[0].contains("/api/v2/agents/me") && fail[0].contains("does not parse"),
            "{what}: {stdout}"
        );
    }
}

/// The client lists a ticket page of 10,000 entries (a page of 100 was
/// asked for) without panicking, in bounded time and memory.
#[tokio::test]
async fn a_ticket_page_of_ten_thousand_entries_is_listed_without_panic_in_bounded_time() {
    let url = raw_stub(ticket_page(10_000)).await;
    let client =
        ticketsim::app::client_for(&url, ticketsim::freshdesk::ApiKey::new(API_KEY), 100_000)
            .unwrap();
    let query = ticketsim::freshdesk::TicketQuery::default();
    let listed = tokio::time::timeout(Duration::from_secs(60), client.list_tickets(&query)).await;
    let listed = listed.expect("listing ended within 60 s");
    assert_eq!(
        listed.unwrap().len(),
        10_000,
        "one over-long page, taken as the last"
    );
}
