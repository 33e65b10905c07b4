//! The crash suite's invariants, checked against the emulator's state
//! (`GET /_emulator/state`) and the database, and its kills during migrations.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;
use sqlx::Row;

use crate::harness::API_KEY;
use crate::process::ticketsim;

#[derive(Debug, Default)]
pub(crate) struct Figures {
    pub lifecycles: usize,
    pub closed: usize,
    pub failed: usize,
    pub messages: usize,
    pub time_entries: usize,
    pub duplicates: usize,
    pub lost: usize,
    pub mismatched: usize,
    pub fresh_starts_killed: usize,
    pub problems: Vec<String>,
}

impl Figures {
    fn dup(&mut self, what: String) {
        self.duplicates += 1;
        self.problems.push(format!("duplicate: {what}"));
    }
    fn lost(&mut self, what: String) {
        self.lost += 1;
        self.problems.push(format!("lost: {what}"));
    }
    fn mismatch(&mut self, what: String) {
        self.mismatched += 1;
        self.problems.push(format!("mismatched: {what}"));
    }
}

/// Kills 1–3 first starts on fresh databases within their first
/// milliseconds (while migrating), then checks each database opens,
/// migrates and passes `PRAGMA integrity_check`.
pub(crate) async fn kill_fresh_starts(dir: &Path, env: &[(&str, &str)], rng: &mut StdRng) {
    for i in 0..rng.random_range(1..4) {
        let db = format!("fresh-{}-{i}.db", rng.random::<u32>());
        let mut child = ticketsim(dir, env)
            .args(["--db", &db, "run"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(rng.random_range(1..40))).await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        let out = ticketsim(dir, &[])
            .args(["--db", &db, "status", "--json"])
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        // A kill before the file was created leaves nothing to open.
        if dir.join(&db).exists() {
            assert!(
                out.status.success(),
                "{db} after a kill while migrating: {stderr}"
            );
            assert_eq!(integrity(&dir.join(&db)).await, "ok");
        }
        FRESH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

static FRESH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub(crate) async fn integrity(db: &Path) -> String {
    let pool = pool(db).await;
    let row = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    let s: String = row.get(0);
    pool.close().await;
    s
}

async fn pool(db: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .unwrap()
}

/// Checks every invariant of issue 14 and returns the figures.
pub(crate) async fn check(dir: &Path, url: &str) -> Figures {
    let http = reqwest::Client::new();
    // Faults off for the checker's own requests (late writes have landed:
    // the daemon waited 2 × its timeout before reconciling).
    http.delete(format!("{url}/_emulator/faults"))
        .send()
        .await
        .unwrap();
    let state: Value = http
        .get(format!("{url}/_emulator/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let db = dir.join("t.db");
    assert_eq!(integrity(&db).await, "ok", "PRAGMA integrity_check");
    let pool = pool(&db).await;
    let mut f = Figures {
        fresh_starts_killed: FRESH.load(std::sync::atomic::Ordering::Relaxed),
        ..Figures::default()
    };
    let lifecycles = check_lifecycles(&pool, &mut f).await;
    check_tickets(&state, &lifecycles, &mut f);
    check_messages(&pool, &state, &lifecycles, &mut f).await;
    check_time_entries(&pool, url, &lifecycles, &mut f).await;
    pool.close().await;
    f
}

/// lifecycle id → ticket id, for those that have one.
type Tickets = BTreeMap<i64, i64>;

/// Every lifecycle ended (closed, or failed/cancelled with a reason); its
/// steps are done in order, with no done step after one that is not.
async fn check_lifecycles(pool: &sqlx::SqlitePool, f: &mut Figures) -> Tickets {
    let rows = sqlx::query("SELECT id, state, ticket_id, last_error FROM lifecycles")
        .fetch_all(pool)
        .await
        .unwrap();
    let mut tickets = Tickets::new();
    for r in rows {
        let (id, state): (i64, String) = (r.get(0), r.get(1));
        let error: Option<String> = r.get(3);
        if let Some(t) = r.get::<Option<i64>, _>(2) {
            tickets.insert(id, t);
        }
        f.lifecycles += 1;
        match state.as_str() {
            "closed" => f.closed += 1,
            "failed" | "cancelled" if error.as_deref().is_some_and(|e| !e.is_empty()) => {
                f.failed += 1
            }
            _ => f.lost(format!("lifecycle {id} ended {state} ({error:?})")),
        }
        check_steps(pool, id, &state, f).await;
    }
    tickets
}

async fn check_steps(pool: &sqlx::SqlitePool, id: i64, state: &str, f: &mut Figures) {
    let steps = sqlx::query(
        "SELECT seq, state, finished_at FROM steps WHERE lifecycle_id = ? ORDER BY seq",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut open = false;
    let mut last_finish = i64::MIN;
    for s in steps {
        let (seq, st, fin): (i64, String, Option<i64>) = (s.get(0), s.get(1), s.get(2));
        if st != "done" {
            open = true;
            if state == "closed" {
                f.lost(format!("lifecycle {id} closed with step {seq} {st}"));
            }
        } else if open {
            f.mismatch(format!(
                "lifecycle {id}: step {seq} done after an unfinished one"
            ));
        } else if fin.unwrap_or(i64::MIN) < last_finish {
            f.mismatch(format!(
                "lifecycle {id}: step {seq} finished before the one before it"
            ));
        } else {
            last_finish = fin.unwrap_or(last_finish);
        }
    }
}

/// No ticket created twice: every emulator ticket belongs to exactly one
/// lifecycle, and no two lifecycles claim the same ticket.
fn check_tickets(state: &Value, tickets: &Tickets, f: &mut Figures) {
    let mut owners: HashMap<i64, usize> = HashMap::new();
    for t in tickets.values() {
        *owners.entry(*t).or_default() += 1;
    }
    for t in state["tickets"].as_array().unwrap() {
        let id = t["id"].as_i64().unwrap();
        match owners.get(&id) {
            Some(1) => {}
            Some(n) => f.dup(format!("ticket {id} claimed by {n} lifecycles")),
            None => f.dup(format!(
                "ticket {id} ({}) belongs to no lifecycle",
                t["subject"]
            )),
        }
    }
    let known: std::collections::HashSet<i64> = state["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    for (l, t) in tickets {
        if !known.contains(t) {
            f.lost(format!("lifecycle {l}'s ticket {t} is not in the emulator"));
        }
    }
}

/// The conversations the emulator holds for each ticket equal the messages
/// the database recorded as sent, in step order, once each.
async fn check_messages(
    pool: &sqlx::SqlitePool,
    state: &Value,
    tickets: &Tickets,
    f: &mut Figures,
) {
    let mut held: HashMap<i64, Vec<(String, bool)>> = HashMap::new();
    for c in state["conversations"].as_array().unwrap() {
        let body = c["body"].as_str().unwrap_or_default().to_string();
        let private = c["private"].as_bool().unwrap_or(false);
        held.entry(c["ticket_id"].as_i64().unwrap())
            .or_default()
            .push((body, private));
    }
    for (l, t) in tickets {
        let rows = sqlx::query(
            "SELECT body, private FROM messages WHERE lifecycle_id = ? AND stage != 'create' \
             AND sent_at IS NOT NULL ORDER BY step_seq",
        )
        .bind(l)
        .fetch_all(pool)
        .await
        .unwrap();
        let sent: Vec<(String, bool)> = rows
            .iter()
            .map(|r| (r.get(0), r.get::<i64, _>(1) == 1))
            .collect();
        f.messages += sent.len();
        let got = held.remove(t).unwrap_or_default();
        compare(*l, *t, &sent, &got, f);
    }
    for (t, convs) in held {
        f.dup(format!(
            "{} conversations on ticket {t}, which no lifecycle owns",
            convs.len()
        ));
    }
}

fn compare(l: i64, t: i64, sent: &[(String, bool)], got: &[(String, bool)], f: &mut Figures) {
    if sent == got {
        return;
    }
    let mut unique = got.to_vec();
    unique.dedup();
    if got.len() > sent.len() && unique.len() < got.len() {
        f.dup(format!(
            "lifecycle {l}, ticket {t}: {} sent, {} held",
            sent.len(),
            got.len()
        ));
    } else if got.len() < sent.len() {
        f.lost(format!(
            "lifecycle {l}, ticket {t}: {} sent, {} held",
            sent.len(),
            got.len()
        ));
    } else {
        f.mismatch(format!(
            "lifecycle {l}, ticket {t}: db {sent:?} ≠ emulator {got:?}"
        ));
    }
}

/// No time entry posted twice: each ticket holds as many as its done
/// `time_entry` steps, with the ids the database recorded.
async fn check_time_entries(
    pool: &sqlx::SqlitePool,
    url: &str,
    tickets: &Tickets,
    f: &mut Figures,
) {
    let client =
        ticketsim::app::client_for(url, ticketsim::freshdesk::ApiKey::new(API_KEY), 100_000)
            .unwrap();
    for (l, t) in tickets {
        let rows = sqlx::query(
            "SELECT fd_object_id FROM steps WHERE lifecycle_id = ? AND stage = 'time_entry' \
             AND state = 'done' ORDER BY seq",
        )
        .bind(l)
        .fetch_all(pool)
        .await
        .unwrap();
        let mut want: Vec<Option<i64>> = rows.iter().map(|r| r.get(0)).collect();
        let mut got: Vec<Option<i64>> = match client.list_time_entries(*t).await {
            Ok(v) => v.iter().map(|e| Some(e.id)).collect(),
            Err(_) => vec![], // a deleted ticket lists none
        };
        f.time_entries += got.len();
        want.sort();
        got.sort();
        if got.len() > want.len() {
            f.dup(format!(
                "lifecycle {l}: time entries {got:?}, recorded {want:?}"
            ));
        } else if got.len() < want.len() {
            f.lost(format!(
                "lifecycle {l}: time entries {got:?}, recorded {want:?}"
            ));
        } else if want != got {
            f.mismatch(format!(
                "lifecycle {l}: time entries {got:?}, recorded {want:?}"
            ));
        }
    }
}
