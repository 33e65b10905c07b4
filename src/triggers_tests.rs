//! The cron: a firing starts its slot once, catch-up runs or skips missed
//! slots; and its edges: a slot whose insert failed is retried, the catch-up
//! scan judges the latest missed slots, no slot falls between catch-up and the
//! scheduler's start, and none starts after `stop()`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::*;
use crate::clock::ManualClock;
use crate::store::testutil::temp_store;

const MIN: i64 = 60_000;
/// 2023-11-14T22:13:00Z, a whole minute.
const BASE: UnixMs = 1_700_000_040_000 - 1_700_000_040_000 % MIN;

async fn triggers(expr: &str) -> (Triggers, Store, tempfile::TempDir) {
    let (s, d) = temp_store().await;
    let t = Triggers::new(s.clone(), expr, 1, Arc::new(Notify::new())).unwrap();
    (t, s, d)
}

#[tokio::test]
async fn after_a_long_outage_with_a_per_second_cron_the_latest_missed_slot_runs() {
    let (t, s, _d) = triggers("* * * * * *").await;
    s.start_slot(BASE, BASE, 1).await.unwrap();
    // Down for longer than the scan bound counts: the slot judged latest must
    // still be the last second before now, not one a day ago.
    let now = BASE + (MAX_MISSED_SCAN as i64 + 5_000) * 1_000 + 400;
    let plan = t.catch_up(now, MIN).await.unwrap();
    assert_eq!(plan.run, Some(now - 400));
    assert_eq!(s.last_slot_at().await.unwrap(), Some(now - 400));
}

/// Makes every slot insert fail (as a full disk or a locked file would)
/// until [`let_inserts_through`].
async fn refuse_inserts(dir: &tempfile::TempDir) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_slots BEFORE INSERT ON slots \
         BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool
}

async fn let_inserts_through(pool: sqlx::SqlitePool) {
    sqlx::query("DROP TRIGGER refuse_slots")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_slot_whose_insert_failed_is_retried_with_its_own_time_not_lost() {
    let (t, s, d) = triggers("0 * * * * *").await;
    s.start_slot(BASE, BASE, 1).await.unwrap();
    let pool = refuse_inserts(&d).await;
    // The firing of BASE + 1 min fails...
    assert!(t.fire(BASE + MIN + 20).await.is_err());
    assert_eq!(s.last_slot_at().await.unwrap(), Some(BASE));
    let_inserts_through(pool).await;
    // ...and a retry 5 s later records it with its scheduled time.
    let started = t.retry_unrecorded(BASE + MIN + 5_000).await.unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].0, BASE + MIN);
    assert!(started[0].1.is_some());
    assert_eq!(s.last_slot_at().await.unwrap(), Some(BASE + MIN));
    assert!(
        t.retry_unrecorded(BASE + MIN + 9_000)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_failed_slot_is_recorded_by_the_next_firing_before_its_own() {
    let (t, s, d) = triggers("0 * * * * *").await;
    let pool = refuse_inserts(&d).await;
    assert!(t.fire(BASE + 10).await.is_err());
    let_inserts_through(pool).await;
    assert!(t.fire(BASE + MIN + 10).await.unwrap().is_some());
    let st = s.status(0).await.unwrap();
    assert_eq!(st.slots_started, 2, "the failed slot was not lost");
}

#[tokio::test]
async fn a_failed_slot_older_than_the_catch_up_window_is_given_up() {
    let (t, s, d) = triggers("0 * * * * *").await;
    t.catch_up(BASE, 5 * MIN).await.unwrap();
    let pool = refuse_inserts(&d).await;
    assert!(t.fire(BASE + MIN).await.is_err());
    let_inserts_through(pool).await;
    assert!(t.retry_unrecorded(BASE + 7 * MIN).await.unwrap().is_empty());
    assert_eq!(s.last_slot_at().await.unwrap(), None);
}

#[tokio::test]
async fn a_slot_due_between_catch_up_and_the_scheduler_start_is_started() {
    let (t, s, _d) = triggers("0 0 * * * *").await;
    let hour = 60 * MIN;
    let top = BASE - BASE % hour + hour;
    s.start_slot(top - hour, top - hour, 1).await.unwrap();
    let clock = ManualClock::new(top - 100);
    assert_eq!(t.catch_up(top - 100, hour).await.unwrap().run, None);
    // The top of the hour passes before the scheduler is running.
    clock.set(top + 150);
    t.spawn(Arc::new(clock.clone())).await.unwrap();
    assert_eq!(s.last_slot_at().await.unwrap(), Some(top));
    t.stop().await;
}

#[tokio::test]
async fn no_slot_starts_once_stop_has_returned() {
    let (t, s, _d) = triggers("* * * * * *").await;
    let inserts: Vec<_> = (0..40)
        .map(|i| {
            let t = t.clone();
            tokio::spawn(async move { t.start_slot(BASE + i * 1_000, BASE).await })
        })
        .collect();
    tokio::task::yield_now().await;
    t.stop().await;
    let at_stop = s.status(0).await.unwrap().slots_started;
    for insert in inserts {
        insert.await.unwrap().unwrap();
    }
    assert_eq!(s.status(0).await.unwrap().slots_started, at_stop);
    assert_eq!(t.fire(BASE + 60_000).await.unwrap(), None);
    assert_eq!(t.start_slot(BASE + 61_000, BASE).await.unwrap(), None);
    assert_eq!(s.status(0).await.unwrap().slots_started, at_stop);
}

#[tokio::test]
async fn a_failed_firing_is_retried_with_backoff_until_recorded_or_stopped() {
    let (t, s, d) = triggers("0 * * * * *").await;
    let clock = ManualClock::new(BASE + 10);
    let retry = |t: &Triggers| {
        let (t, clock) = (t.clone(), clock.clone());
        tokio::spawn(async move {
            t.retry_with_backoff(&clock, Duration::from_millis(1)).await;
        })
    };
    let within = |secs| Duration::from_secs(secs);
    let pool = refuse_inserts(&d).await;
    assert!(t.fire(BASE + 10).await.is_err());
    let retrying = retry(&t);
    let_inserts_through(pool).await;
    tokio::time::timeout(within(10), retrying)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.last_slot_at().await.unwrap(), Some(BASE));

    // Still failing when the triggers stop: the retries end, nothing starts.
    let pool = refuse_inserts(&d).await;
    assert!(t.fire(BASE + MIN + 10).await.is_err());
    let retrying = retry(&t);
    t.stop().await;
    let_inserts_through(pool).await;
    tokio::time::timeout(within(10), retrying)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.last_slot_at().await.unwrap(), Some(BASE));
}

#[test]
fn six_field_crons_parse_and_five_field_ones_do_not_matter_here() {
    assert!(parse_schedule("0 0 * * * *").is_ok());
    assert!(parse_schedule("*/10 * * * * *").is_ok());
    assert!(parse_schedule("0 0 25 * * *").is_err());
}

#[tokio::test]
async fn a_firing_starts_the_slot_of_its_scheduled_time_once() {
    let (t, s, _d) = triggers("0 */5 * * * *").await;
    // fired a little late, at 10:07:01 → slot 10:05:00
    let now = 1_700_000_000_000 - 1_700_000_000_000 % (5 * MIN) + 2 * MIN + 1_000;
    assert!(t.fire(now).await.unwrap().is_some());
    assert!(t.fire(now + 500).await.unwrap().is_none());
    assert_eq!(s.last_slot_at().await.unwrap(), Some(now - 2 * MIN - 1_000));
}

#[tokio::test]
async fn catch_up_runs_a_recent_missed_slot_and_skips_older_ones() {
    let (t, s, _d) = triggers("0 * * * * *").await;
    let base = 1_700_000_040_000 - 1_700_000_040_000 % MIN;
    s.start_slot(base, base, 1).await.unwrap();
    // down for 10 minutes and 30 s; window 5 minutes → run the latest only
    let plan = t.catch_up(base + 10 * MIN + 30_000, 5 * MIN).await.unwrap();
    assert_eq!(plan.run, Some(base + 10 * MIN));
    assert_eq!(plan.skipped, 9);
    let st = s.status(0).await.unwrap();
    assert_eq!((st.slots_started, st.slots_skipped), (2, 0));
}

#[tokio::test]
async fn catch_up_after_long_downtime_records_one_skipped_slot() {
    let (t, s, _d) = triggers("0 * * * * *").await;
    let base = 1_700_000_040_000 - 1_700_000_040_000 % MIN;
    s.start_slot(base, base, 1).await.unwrap();
    let now = base + 120 * MIN + 30_000;
    let plan = t.catch_up(now, 10_000).await.unwrap();
    assert_eq!(plan.run, None);
    assert_eq!(plan.skipped, 120);
    let st = s.status(0).await.unwrap();
    assert_eq!((st.slots_started, st.slots_skipped), (1, 1));
    // a second start-up finds nothing more to catch up
    assert_eq!(t.catch_up(now, 10_000).await.unwrap().skipped, 0);
}

#[tokio::test]
async fn a_per_second_cron_counts_every_missed_second() {
    let (t, s, _d) = triggers("* * * * * *").await;
    let base = 1_700_000_000_000;
    s.start_slot(base, base, 1).await.unwrap();
    let plan = t.catch_up(base + 10_000, 60_000).await.unwrap();
    assert_eq!(plan.run, Some(base + 10_000));
    assert_eq!(plan.skipped, 9, "seconds 1..9 skipped, 10 runs");
}

#[tokio::test]
async fn a_first_start_catches_nothing_up() {
    let (t, s, _d) = triggers("0 * * * * *").await;
    let plan = t.catch_up(1_700_000_000_000, MIN).await.unwrap();
    assert_eq!((plan.run, plan.skipped), (None, 0));
    assert_eq!(s.last_slot_at().await.unwrap(), None);
}
