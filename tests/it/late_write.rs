//! Late writes end to end: the real dispatcher, in real time with short
//! offsets, against an emulator that applies every write (create, reply,
//! note, time entry, status update) only just before twice the client's
//! request timeout, after the client gave up on it (timed out, or its
//! connection dropped). A look made too early finds nothing and sends again;
//! the engine must wait long enough that nothing is duplicated, the history
//! in the database matches Freshdesk's, and closed tickets end Closed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ticketsim::app::{Daemon, Schedule};
use ticketsim::clock::{Clock, SystemClock};
use ticketsim::content::{Library, html_to_text};
use ticketsim::dispatcher::{Content, DispatcherConfig};
use ticketsim::domain::{LifecycleState, Stage, StageOffsets};
use ticketsim::emulator::{Emulator, Faults, LateWriteMode};
use ticketsim::freshdesk::{ApiKey, Client, ClientConfig};
use tokio::sync::watch;

use crate::harness::{API_KEY, emulator_config, spawn_emulator};

/// The client's request timeout.
const TIMEOUT_MS: u64 = 200;
/// Every write lands this long after it arrived: just before twice the timeout.
const LANDS_MS: u64 = 2 * TIMEOUT_MS - 30;
/// Lifecycles run side by side.
const LIFECYCLES: i64 = 2;
/// Longest the lifecycles may take before the test gives up on them.
const DEADLINE: Duration = Duration::from_secs(45);

fn client(url: &str, timeout_ms: u64) -> Client {
    let mut cc = ClientConfig::new(url, ApiKey::new(API_KEY));
    cc.rate_per_min = 100_000;
    cc.request_timeout = Duration::from_millis(timeout_ms);
    cc.connect_timeout = Duration::from_millis(timeout_ms);
    cc.max_attempts = 2;
    cc.backoff_base = Duration::from_millis(10);
    cc.backoff_cap = Duration::from_millis(20);
    Client::new(cc).unwrap()
}

/// A daemon on the system clock, following the time-logged playbook (reply,
/// customer note, private note, time entry, resolve, close) at short offsets.
/// The backoff is short, so only the engine's own reconciliation delay keeps
/// a look from coming before the late write has landed.
async fn daemon(url: &str, db: &std::path::Path) -> Daemon {
    let offsets = StageOffsets::parse("300ms,600ms,900ms,1200ms").unwrap();
    let library = Library::embedded();
    let content = Content {
        playbooks: library.select_playbooks("time-logged").unwrap(),
        library,
        offsets,
        tag: "ticketsim".into(),
    };
    let schedule = Schedule {
        cron: "0 0 * * * *".into(),
        seed: 42,
        offsets,
    };
    let dcfg = DispatcherConfig {
        content,
        backoff_base_ms: 20,
        backoff_cap_ms: 100,
        // as `run` sets it: one more request timeout after the client gave up
        reconcile_after_ms: 2 * TIMEOUT_MS as i64,
        ..Default::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    Daemon::build(db, client(url, TIMEOUT_MS), clock, &schedule, dcfg, None)
        .await
        .unwrap()
}

fn is_final(state: LifecycleState) -> bool {
    matches!(
        state,
        LifecycleState::Closed | LifecycleState::Failed | LifecycleState::Cancelled
    )
}

/// Runs the dispatcher until every lifecycle has ended (or the deadline),
/// then waits for the late writes still in flight to land.
async fn run_until_ended(d: &Daemon, ids: &[i64]) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let watcher = async {
        let started = Instant::now();
        while started.elapsed() < DEADLINE {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut ended = 0;
            for id in ids {
                ended += usize::from(is_final(d.store.lifecycle(*id).await.unwrap().state));
            }
            if ended == ids.len() {
                break;
            }
        }
        let _ = stop_tx.send(true);
    };
    let (ran, ()) = tokio::join!(d.dispatcher.run(stop_rx, false), watcher);
    ran.unwrap();
    tokio::time::sleep(Duration::from_millis(LANDS_MS + 200)).await;
}

/// Which kinds of write were hit by a late write, as `METHOD kind`.
fn late_kinds(emu: &Emulator) -> Vec<String> {
    let mut kinds: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| {
            r.fault
                .as_deref()
                .is_some_and(|f| f.starts_with("late_write"))
        })
        .map(|r| {
            let last = r.path.rsplit('/').next().unwrap_or("");
            let kind = if last.chars().all(|c| c.is_ascii_digit()) {
                "ticket"
            } else {
                last
            };
            format!("{} {kind}", r.method)
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

async fn every_write_late(mode: LateWriteMode) {
    let cfg = ticketsim::emulator::EmulatorConfig {
        faults: Faults {
            late_write_rate: 1.0,
            late_write_ms: LANDS_MS,
            late_write_mode: mode,
            ..Faults::default()
        },
        ..emulator_config()
    };
    let (emu, url, _stop) = spawn_emulator(cfg, Arc::new(SystemClock)).await;
    let dir = tempfile::tempdir().unwrap();
    let d = daemon(&url, &dir.path().join("ticketsim.db")).await;
    let now = SystemClock.now_ms();
    let mut ids = vec![];
    for i in 0..LIFECYCLES {
        let at = now - now % 1_000 - i * 1_000;
        ids.push(d.triggers.start_slot(at, now).await.unwrap().unwrap());
    }
    run_until_ended(&d, &ids).await;

    for id in &ids {
        let l = d.store.lifecycle(*id).await.unwrap();
        assert_eq!(l.state, LifecycleState::Closed, "{:?}", l.last_error);
    }
    assert_eq!(
        late_kinds(&emu),
        [
            "POST notes",
            "POST reply",
            "POST tickets",
            "POST time_entries",
            "PUT ticket"
        ],
        "every kind of write was late"
    );
    assert_eq!(
        emu.tickets().len(),
        ids.len(),
        "no duplicate ticket: {:?}",
        emu.tickets().iter().map(|t| &t.subject).collect::<Vec<_>>()
    );
    let reader = client(&url, 5_000);
    for id in ids {
        let l = d.store.lifecycle(id).await.unwrap();
        let ticket_id = l.ticket_id.unwrap();
        let ticket = reader.get_ticket(ticket_id).await.unwrap();
        assert_eq!(ticket.status, 5, "a closed lifecycle's ticket ends Closed");
        let rec = d.store.export_record(&l).await.unwrap();
        let stored: Vec<(String, i64, bool)> = rec
            .messages
            .iter()
            .filter(|m| m.step != Stage::Create)
            .map(|m| (html_to_text(&m.body), m.author_id, m.private))
            .collect();
        let posted: Vec<(String, i64, bool)> = emu
            .conversations(ticket_id)
            .iter()
            .map(|c| {
                let body = c.body.clone().unwrap_or_default();
                (
                    html_to_text(&body),
                    c.user_id.unwrap_or(0),
                    c.private == Some(true),
                )
            })
            .collect();
        assert_eq!(posted, stored, "Freshdesk's history is the database's");
        let entries = reader.list_time_entries(ticket_id).await.unwrap();
        assert_eq!(entries.len(), 1, "one time entry: {entries:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_writes_after_timed_out_answers_duplicate_nothing_and_closed_tickets_end_closed() {
    every_write_late(LateWriteMode::Hang).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_writes_after_dropped_connections_duplicate_nothing_and_closed_tickets_end_closed() {
    every_write_late(LateWriteMode::Drop).await;
}
