//! `ticketsim purge` as a process against the emulator: it deletes exactly the
//! tickets ticketsim made, keeps everything else unless told, deletes nothing on
//! a dry run, and a SIGKILL mid-purge is finished by a rerun.

use std::collections::HashSet;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use ticketsim::freshdesk::CreateTicket;
use ticketsim::store::{DbLock, Store};

use crate::harness::{API_KEY, T0, TestApp, spawn_app};
use crate::process::ticketsim;

/// `n` lifecycles run to ticket creation by the real daemon; their ticket ids.
async fn made_by_ticketsim(app: &TestApp, n: i64) -> Vec<i64> {
    let d = app.daemon().await;
    for k in 0..n {
        d.triggers.start_slot(T0 + k * 1_000, T0).await.unwrap();
    }
    for _ in 0..50 {
        if app.tick_at(&d, T0 + n * 1_000).await == 0 {
            break;
        }
    }
    drop(d);
    let store = Store::open_read_only(&app.db).await.unwrap();
    let ids = store.made_ticket_ids().await.unwrap();
    store.close().await;
    assert_eq!(ids.len(), n as usize);
    ids
}

/// A ticket someone else made, with or without ticketsim's tag.
async fn made_elsewhere(app: &TestApp, tags: &[&str]) -> i64 {
    let body = CreateTicket {
        subject: "Printer on fire".into(),
        description: "Made by a human".into(),
        status: 2,
        priority: 1,
        email: Some("human@example.com".into()),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    };
    app.client().create_ticket(&body).await.unwrap().id
}

fn deleted(app: &TestApp) -> HashSet<i64> {
    let tickets = app.emulator.tickets().into_iter();
    tickets
        .filter(|t| t.deleted == Some(true))
        .map(|t| t.id)
        .collect()
}

async fn purge(app: &TestApp, rate: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = app.db.to_str().unwrap();
    let env = env(app, rate);
    let mut all = vec!["--db", db, "purge"];
    all.extend_from_slice(args);
    let out = ticketsim(dir.path(), &env)
        .args(&all)
        .output()
        .await
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn env<'a>(app: &'a TestApp, rate: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("FRESHDESK_URL", app.url.as_str()),
        ("FRESHDESK_API_KEY", API_KEY),
        ("TICKETSIM_RATE_PER_MIN", rate),
    ]
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test]
async fn purge_deletes_exactly_ticketsims_tickets_and_tagged_strangers_only_with_include_tagged() {
    let app = spawn_app().await;
    let ours = made_by_ticketsim(&app, 3).await;
    let untagged = made_elsewhere(&app, &[]).await;
    let tagged_stranger = made_elsewhere(&app, &["ticketsim"]).await;

    let (code, stdout, stderr) = purge(&app, "100000", &["--yes", "--json"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let s = json(&stdout);
    assert_eq!(s["tickets_deleted"], 3, "{s}");
    assert_eq!(s["tagged_unknown_kept"], 1, "{s}");
    assert_eq!(deleted(&app), ours.iter().copied().collect::<HashSet<_>>());
    assert!(
        stderr.contains(&format!("ticket {} deleted", ours[0])),
        "{stderr}"
    );
    assert!(!stderr.contains(API_KEY) && !stdout.contains(API_KEY));

    let (code, stdout, stderr) =
        purge(&app, "100000", &["--yes", "--json", "--include-tagged"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let s = json(&stdout);
    assert_eq!(
        s["tickets_already_gone"], 3,
        "recorded by the first run: {s}"
    );
    assert_eq!(s["tagged_unknown_deleted"], 1, "{s}");
    let gone = deleted(&app);
    assert!(gone.contains(&tagged_stranger));
    assert!(
        !gone.contains(&untagged),
        "a ticket without the tag survives"
    );
}

#[tokio::test]
async fn a_dry_run_reads_beside_the_daemon_and_deletes_nothing_and_without_yes_or_a_terminal_it_refuses()
 {
    let app = spawn_app().await;
    let ours = made_by_ticketsim(&app, 2).await;
    made_elsewhere(&app, &["ticketsim"]).await;
    let before = app.emulator.requests().len();

    // A dry run only reads the database, so it works while the daemon holds the lock.
    let lock = DbLock::acquire(&app.db).unwrap();
    let (code, stdout, stderr) = purge(&app, "100000", &["--dry-run", "--include-tagged"]).await;
    drop(lock);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("dry run") && stdout.contains("would delete 2"),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!("ticket {} would be deleted", ours[1])),
        "{stderr}"
    );
    let (code, _, stderr) = purge(&app, "100000", &[]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");

    let after = app.emulator.requests();
    let methods: HashSet<&str> = after[before..].iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, HashSet::from(["GET"]), "only reads");
    assert!(deleted(&app).is_empty());
}

#[tokio::test]
async fn a_purge_killed_midway_is_finished_by_a_rerun_with_no_error() {
    let app = spawn_app().await;
    let ours = made_by_ticketsim(&app, 12).await;
    let dir = tempfile::tempdir().unwrap();
    let db = app.db.to_str().unwrap();
    // 120 requests a minute: a GET and a DELETE per ticket take about a second.
    let mut child = ticketsim(dir.path(), &env(&app, "120"))
        .args(["--db", db, "purge", "--yes"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = 0;
    let wait = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            seen += line.contains(" deleted (") as usize;
            if seen == 2 {
                return;
            }
        }
    });
    wait.await.expect("two deletions within 20 s");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let halfway = deleted(&app).len();
    assert!(
        (2..12).contains(&halfway),
        "killed midway: {halfway} deleted"
    );

    let (code, stdout, stderr) = purge(&app, "100000", &["--yes", "--json"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let s = json(&stdout);
    let total =
        s["tickets_deleted"].as_u64().unwrap() + s["tickets_already_gone"].as_u64().unwrap();
    assert_eq!(total, 12, "{s}");
    assert_eq!(deleted(&app), ours.into_iter().collect::<HashSet<_>>());
}

#[tokio::test]
async fn contacts_made_by_seed_contacts_are_deleted_only_with_the_contacts_flag() {
    let app = spawn_app().await;
    made_by_ticketsim(&app, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let db = app.db.to_str().unwrap();
    let seeded = ticketsim(dir.path(), &env(&app, "100000"))
        .args(["--db", db, "seed-contacts", "--count", "3"])
        .output()
        .await
        .unwrap();
    assert!(seeded.status.success(), "{seeded:?}");
    let live = |app: &TestApp| {
        app.emulator
            .contacts()
            .iter()
            .filter(|c| c.deleted != Some(true))
            .count()
    };
    let before = live(&app);

    let (code, stdout, stderr) = purge(&app, "100000", &["--yes", "--json"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json(&stdout)["contacts_deleted"], 0);
    assert_eq!(live(&app), before, "contacts are kept without --contacts");

    let (code, stdout, stderr) = purge(&app, "100000", &["--yes", "--json", "--contacts"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json(&stdout)["contacts_deleted"], 3, "{stdout}");
    assert_eq!(
        live(&app),
        before - 3,
        "the emulator's own contacts survive"
    );
}

#[tokio::test]
async fn older_than_keeps_tickets_created_more_recently() {
    let app = spawn_app().await;
    let ours = made_by_ticketsim(&app, 2).await;
    let stranger = made_elsewhere(&app, &["ticketsim"]).await;
    // The tickets were created at T0 on the emulator's manual clock.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let age_hours = (now - T0) / 3_600_000;
    assert!(age_hours > 2, "the machine's clock is after T0");
    let younger = format!("{}h", age_hours + 1);
    let older = format!("{}h", age_hours - 1);

    let args = ["--yes", "--json", "--include-tagged", "--older-than"];
    let mut first = args.to_vec();
    first.push(&younger);
    let (code, stdout, stderr) = purge(&app, "100000", &first).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json(&stdout)["too_recent_kept"], 3, "{stdout}");
    assert!(deleted(&app).is_empty());

    let mut second = args.to_vec();
    second.push(&older);
    let (code, stdout, stderr) = purge(&app, "100000", &second).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json(&stdout)["too_recent_kept"], 0, "{stdout}");
    let mut all: HashSet<i64> = ours.into_iter().collect();
    all.insert(stranger);
    assert_eq!(deleted(&app), all);
}
