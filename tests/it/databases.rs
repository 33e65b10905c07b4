//! Real processes on real database files: another program's database is never
//! touched, the demo replaces only its own, read-only directories can be read,
//! and a clean stop leaves a complete `.db`.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use ticketsim::clock::SystemClock;

use crate::harness::{API_KEY, emulator_config, spawn_emulator};
use crate::process::ticketsim;

/// An SQLite file of another program: one table `foo` with one row.
async fn foreign_database(path: &Path) -> Vec<u8> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new().connect_with(opts).await.unwrap();
    sqlx::query("CREATE TABLE foo (id INTEGER PRIMARY KEY, name TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO foo (name) VALUES ('precious')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    std::fs::read(path).unwrap()
}

/// The files in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Waits at most 60 s for a command: on a regression `run` would not stop.
trait Timeout {
    async fn timeout(self) -> Output;
}

impl<F: std::future::Future<Output = std::io::Result<Output>>> Timeout for F {
    async fn timeout(self) -> Output {
        tokio::time::timeout(std::time::Duration::from_secs(60), self)
            .await
            .expect("the command did not finish within 60 s")
            .unwrap()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 2 with a single line naming `file`.
fn assert_refused(out: &Output, file: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(file), "names {file}: {err}");
}

async fn demo(dir: &Path, args: &[&str]) -> Output {
    let out = ticketsim(dir, &[])
        .arg("demo")
        .args(args)
        .output()
        .timeout()
        .await;
    assert!(out.status.success(), "demo failed: {}", stderr(&out));
    out
}

#[tokio::test]
async fn run_and_demo_refuse_another_programs_database_with_exit_2_leaving_it_unchanged() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let before = foreign_database(&path).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_LOG", "warn"),
    ];
    let run = ticketsim(dir.path(), &env)
        .args(["--db", "other.db", "run"])
        .output()
        .timeout()
        .await;
    assert_refused(&run, "other.db");
    assert!(stderr(&run).contains("another program"), "{}", stderr(&run));
    let demo = ticketsim(dir.path(), &[])
        .args(["demo", "--for", "1s", "--db", "other.db"])
        .output()
        .timeout()
        .await;
    assert_refused(&demo, "other.db");
    for cmd in [&["status"][..], &["show", "1"], &["export"]] {
        let out = ticketsim(dir.path(), &[])
            .args(["--db", "other.db"])
            .args(cmd)
            .output()
            .await
            .unwrap();
        assert_refused(&out, "other.db");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "byte for byte");
    assert_eq!(
        files(dir.path()),
        ["other.db"],
        "no -wal, -shm or lock file"
    );
    assert!(
        emulator
            .requests()
            .iter()
            .all(|r| !r.path.contains("tickets")),
        "no ticket was created"
    );
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_with_exit_2_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let text = b"name,count\nwidgets,3\n".repeat(20);
    std::fs::write(dir.path().join("notes.csv"), &text).unwrap();
    let out = ticketsim(dir.path(), &[])
        .args(["demo", "--for", "1s", "--db", "notes.csv"])
        .output()
        .timeout()
        .await;
    assert_refused(&out, "notes.csv");
    assert_eq!(std::fs::read(dir.path().join("notes.csv")).unwrap(), text);
    assert_eq!(files(dir.path()), ["notes.csv"]);
}

#[tokio::test]
async fn the_demo_keeps_its_previous_database_as_prev_and_refuses_a_daemons_database() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), &["--for", "1s", "--db", "d.db"]).await;
    let first = std::fs::read(dir.path().join("d.db")).unwrap();
    let again = demo(dir.path(), &["--for", "1s", "--db", "d.db"]).await;
    assert!(stderr(&again).contains("d.db.prev"), "{}", stderr(&again));
    assert_eq!(std::fs::read(dir.path().join("d.db.prev")).unwrap(), first);

    // A database of `run` (ours, but not a demo's) is not the demo's to replace.
    let (_emu, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
    ];
    let drained = ticketsim(dir.path(), &env)
        .args(["--db", "run.db", "run", "--drain"])
        .output()
        .timeout()
        .await;
    assert!(drained.status.success(), "{}", stderr(&drained));
    let before = std::fs::read(dir.path().join("run.db")).unwrap();
    let out = ticketsim(dir.path(), &[])
        .args(["demo", "--for", "1s", "--db", "run.db"])
        .output()
        .timeout()
        .await;
    assert_refused(&out, "run.db");
    assert_eq!(std::fs::read(dir.path().join("run.db")).unwrap(), before);
    assert!(!dir.path().join("run.db.prev").exists());
}

/// A read-only connection to the demo's database once it has its tables
/// (waiting at most 10 s), kept open and idle.
async fn open_reader(dir: &Path) -> sqlx::SqlitePool {
    let opts = SqliteConnectOptions::new()
        .filename(dir.join("ticketsim-demo.db"))
        .read_only(true);
    for _ in 0..200 {
        if let Ok(pool) = SqlitePoolOptions::new().connect_with(opts.clone()).await {
            let read = sqlx::query("SELECT COUNT(*) FROM lifecycles");
            if read.fetch_one(&pool).await.is_ok() {
                return pool;
            }
            pool.close().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the demo database never appeared");
}

#[tokio::test]
async fn after_a_clean_demo_the_db_file_alone_is_complete_even_with_a_reader_open_and_status_points_to_it()
 {
    let dir = tempfile::tempdir().unwrap();
    let running = ticketsim(dir.path(), &[])
        .args(["demo", "--for", "3s"])
        .output();
    // A reader keeps the file open meanwhile, as `status` or a backup tool may:
    // SQLite then does not fold the WAL in by itself when the demo closes.
    let (out, reader) = tokio::join!(running.timeout(), open_reader(dir.path()));
    assert!(out.status.success(), "{}", stderr(&out));
    let wal = dir.path().join("ticketsim-demo.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "checkpointed at close: no WAL left to copy"
    );
    reader.close().await;
    // The .db copied alone holds every lifecycle.
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("ticketsim-demo.db"),
        copy.path().join("t.db"),
    )
    .unwrap();
    let st = crate::process::status_json(copy.path()).await;
    assert!(st["total"].as_i64().unwrap() >= 1, "{st}");
    assert!(
        st["by_state"].is_object(),
        "by_state is {{state: count}}: {st}"
    );
    assert!(st["by_state"]["closed"].is_i64(), "{st}");

    let out = ticketsim(dir.path(), &[])
        .arg("status")
        .output()
        .timeout()
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--db ticketsim-demo.db status"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_database_path_in_a_missing_directory_exits_2_naming_it() {
    let (emulator, url, _stop) = spawn_emulator(emulator_config(), Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("FRESHDESK_URL", url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_LOG", "warn"),
    ];
    let run = ticketsim(dir.path(), &env)
        .args(["--db", "gone/t.db", "run"])
        .output()
        .timeout()
        .await;
    assert_refused(&run, "gone");
    let status = ticketsim(dir.path(), &[])
        .args(["--db", "gone/t.db", "status"])
        .output()
        .timeout()
        .await;
    assert_refused(&status, "gone");
    assert!(!dir.path().join("gone").exists());
    assert!(
        emulator
            .requests()
            .iter()
            .all(|r| !r.path.contains("tickets"))
    );
}

/// `touch` run as nobody in `dir`: fails when `dir` is read-only to them.
fn touch_as_nobody(dir: &Path) -> std::process::ExitStatus {
    use std::os::unix::process::CommandExt;
    std::process::Command::new("touch")
        .arg(dir.join("probe"))
        .uid(65534)
        .gid(65534)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
}

/// As root, a mode 0555 directory does not stop writes, so the reads run as
/// `nobody` (uid 65534), for whom it does; as any other user, as that user.
#[tokio::test]
async fn status_show_and_export_read_a_database_in_a_directory_the_user_cannot_write() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path(), &["--for", "1s", "--db", "t.db"]).await;
    let db = dir.path().join("t.db");
    let before = std::fs::read(&db).unwrap();
    let listing = files(dir.path());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    for cmd in [&["status", "--json"][..], &["show", "1"], &["export"]] {
        let mut c = ticketsim(dir.path(), &[]);
        if root {
            c.uid(65534).gid(65534);
        }
        let out = c.args(["--db", "t.db"]).args(cmd).output().timeout().await;
        assert!(out.status.success(), "{cmd:?}: {}", stderr(&out));
        assert!(!out.stdout.is_empty(), "{cmd:?} printed nothing");
    }
    if root {
        // The same probe as nobody proves the directory really is read-only to them.
        let probe = touch_as_nobody(dir.path());
        assert!(!probe.success(), "nobody could write the directory");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(files(dir.path()), listing, "nothing created beside it");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}
