//! Playbooks end to end: each one through the real dispatcher and client against
//! the emulator with a manual clock, checked in the emulator's own state; crash
//! safety of the new POSTing steps; `preview` and `seed-contacts`.

mod crash;
mod end_to_end;
mod kill;
mod preview;

use std::sync::Arc;

use ticketsim::app::{Daemon, Schedule};
use ticketsim::clock::{Clock, UnixMs};
use ticketsim::content::Library;
use ticketsim::dispatcher::{Content, DispatcherConfig};
use ticketsim::domain::{LifecycleState, StageOffsets};
use ticketsim::freshdesk::types::Ticket;

use crate::harness::TestApp;

/// A daemon whose lifecycles follow only `playbooks` (a `TICKETSIM_PLAYBOOKS` value).
pub async fn daemon_with(app: &TestApp, playbooks: &str) -> Daemon {
    let library = Library::embedded();
    let content = Content {
        playbooks: library.select_playbooks(playbooks).unwrap(),
        library,
        offsets: StageOffsets::DEFAULT,
        tag: "ticketsim".into(),
    };
    let schedule = Schedule {
        cron: "0 0 * * * *".into(),
        seed: 42,
        offsets: StageOffsets::DEFAULT,
    };
    let dcfg = DispatcherConfig {
        content,
        backoff_base_ms: 1_000,
        backoff_cap_ms: 10_000,
        ..Default::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(app.clock.clone());
    Daemon::build(&app.db, app.client(), clock, &schedule, dcfg, None)
        .await
        .unwrap()
}

/// Runs every step as it falls due, moving the manual clock to each due time,
/// until nothing is left. Returns how many steps ran.
pub async fn run_to_end(app: &TestApp, d: &Daemon) -> usize {
    let mut steps = 0;
    for _ in 0..200 {
        let Some(next) = d.store.next_due_at().await.unwrap() else {
            return steps;
        };
        let at = next.max(app.clock.now_ms());
        steps += app.tick_at(d, at).await;
    }
    panic!("the lifecycles never finished");
}

/// The lifecycle's ticket as the emulator holds it, after checking it closed.
pub async fn closed_ticket(app: &TestApp, d: &Daemon, id: i64) -> Ticket {
    let l = d.store.lifecycle(id).await.unwrap();
    assert_eq!(l.state, LifecycleState::Closed, "{:?}", l.last_error);
    let ticket_id = l.ticket_id.unwrap();
    app.emulator
        .tickets()
        .into_iter()
        .find(|t| t.id == ticket_id)
        .unwrap()
}

/// Statuses as set, without their times.
pub fn statuses(app: &TestApp, ticket: i64) -> Vec<i64> {
    app.emulator
        .status_history(ticket)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

/// The slot times of `n` lifecycles a minute apart from `start`.
pub fn slots(start: UnixMs, n: i64) -> Vec<UnixMs> {
    (0..n).map(|i| start + i * 60_000).collect()
}
