//! Starting slots: from the cron or from `ticketsim spawn`, under the daily cap
//! (`TICKETSIM_MAX_TICKETS_PER_DAY`), which is counted here, in the database,
//! so that it holds across restarts and across processes.

use serde::Serialize;
use sqlx::{Row, SqliteConnection};

use super::{Result, Store};
use crate::clock::{UnixMs, format_iso};
use crate::domain;

/// A UTC day in milliseconds: the cap's "day" runs from 00:00 to 24:00 UTC.
pub const DAY_MS: i64 = 86_400_000;

/// How many times a spawned slot looks for a free time (one ms further each time).
const MAX_SPAWN_PROBES: i64 = 10_000;

/// Where a slot comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotSource {
    /// A cron firing (or a missed firing run at start-up).
    Cron,
    /// `ticketsim spawn`.
    Spawn,
}

impl SlotSource {
    fn as_str(self) -> &'static str {
        match self {
            SlotSource::Cron => "cron",
            SlotSource::Spawn => "spawn",
        }
    }
}

/// A slot to start.
#[derive(Debug, Clone, Copy)]
pub struct SlotRequest<'a> {
    /// The cron time the slot stands for (for a spawned slot: the time it was asked for).
    pub at: UnixMs,
    pub now: UnixMs,
    /// The run's seed; the lifecycle's seed is derived from it and `at`.
    pub run_seed: u64,
    pub source: SlotSource,
    /// The playbook asked for (`spawn --playbook`); `None` lets the plan choose.
    pub playbook: Option<&'a str>,
    /// `TICKETSIM_MAX_TICKETS_PER_DAY`; `None` for no cap.
    pub daily_cap: Option<u32>,
}

/// What became of a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotStart {
    /// Started: the id of its lifecycle.
    Started(i64),
    /// A slot with that time exists already (a slot never starts twice).
    Exists,
    /// Recorded as skipped: the day's cap was reached. The note says so.
    Capped(String),
}

/// A skipped slot, for `status`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SkippedSlot {
    pub scheduled_at: String,
    pub note: Option<String>,
}

/// The start of the UTC day holding `t`.
pub fn utc_day_start(t: UnixMs) -> UnixMs {
    t - t.rem_euclid(DAY_MS)
}

impl Store {
    /// Starts a slot with its lifecycle and its creation step in one
    /// `BEGIN IMMEDIATE` transaction, so that the cap's count and the insert
    /// cannot be split by another writer (the daemon and `spawn` may both write).
    pub async fn start_slot_with(&self, req: &SlotRequest<'_>) -> Result<SlotStart> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if slot_exists(&mut tx, req.at).await? {
            return Ok(SlotStart::Exists);
        }
        if let Some(cap) = req.daily_cap {
            let day = utc_day_start(req.now);
            let started = started_between(&mut tx, day, day + DAY_MS).await?;
            if started >= i64::from(cap) {
                let note = cap_note(cap, day);
                insert_skipped(&mut tx, req, &note).await?;
                tx.commit().await?;
                return Ok(SlotStart::Capped(note));
            }
        }
        let id = insert_started(&mut tx, req).await?;
        tx.commit().await?;
        Ok(SlotStart::Started(id))
    }

    /// Starts a slot asked for by `ticketsim spawn` at `req.at` or, when that
    /// time is taken, the next free millisecond. Whole seconds are avoided:
    /// they belong to the cron, whose slot would otherwise be taken.
    /// Returns the time used, too.
    pub async fn spawn_slot(&self, req: &SlotRequest<'_>) -> Result<(UnixMs, SlotStart)> {
        let mut at = req.at;
        for _ in 0..MAX_SPAWN_PROBES {
            if at.rem_euclid(1_000) == 0 {
                at += 1;
                continue;
            }
            let r = SlotRequest { at, ..*req };
            match self.start_slot_with(&r).await? {
                SlotStart::Exists => at += 1,
                other => return Ok((at, other)),
            }
        }
        Err(super::StoreError::Data(format!(
            "no free slot time near {}",
            format_iso(req.at)
        )))
    }

    /// Slots started in the UTC day holding `now` (what the cap counts).
    pub async fn started_on_day(&self, now: UnixMs) -> Result<i64> {
        let day = utc_day_start(now);
        let mut conn = self.pool.acquire().await?;
        started_between(&mut conn, day, day + DAY_MS).await
    }

    /// The playbook a spawned slot asked for, if any.
    pub async fn requested_playbook(&self, lifecycle_id: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT s.playbook FROM slots s JOIN lifecycles l ON l.slot_id = s.id WHERE l.id = ?1",
        )
        .bind(lifecycle_id)
        .fetch_optional(&self.reads)
        .await?
        .flatten())
    }

    /// The latest skipped slots, newest first, with why they were skipped.
    pub async fn recent_skips(&self, limit: i64) -> Result<Vec<SkippedSlot>> {
        let rows = sqlx::query(
            "SELECT scheduled_at, note FROM slots WHERE state = 'skipped'
             ORDER BY scheduled_at DESC LIMIT ?1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| SkippedSlot {
                scheduled_at: format_iso(r.get(0)),
                note: r.get(1),
            })
            .collect())
    }
}

fn cap_note(cap: u32, day: UnixMs) -> String {
    let date = format_iso(day);
    let date = date.get(..10).unwrap_or(&date);
    format!(
        "daily cap reached: {cap} tickets already started on {date} (UTC); TICKETSIM_MAX_TICKETS_PER_DAY={cap}"
    )
}

async fn slot_exists(conn: &mut SqliteConnection, at: UnixMs) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM slots WHERE scheduled_at = ?1")
        .bind(at)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

async fn started_between(conn: &mut SqliteConnection, from: UnixMs, to: UnixMs) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM slots WHERE state = 'started' AND inserted_at >= ?1 AND inserted_at < ?2",
    )
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?)
}

async fn insert_skipped(
    conn: &mut SqliteConnection,
    req: &SlotRequest<'_>,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO slots (scheduled_at, state, inserted_at, note, source, playbook)
         VALUES (?1, 'skipped', ?2, ?3, ?4, ?5)",
    )
    .bind(req.at)
    .bind(req.now)
    .bind(note)
    .bind(req.source.as_str())
    .bind(req.playbook)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts the started slot, its lifecycle and its creation step (due at the
/// slot's time); returns the lifecycle id.
async fn insert_started(conn: &mut SqliteConnection, req: &SlotRequest<'_>) -> Result<i64> {
    let slot_id: i64 = sqlx::query_scalar(
        "INSERT INTO slots (scheduled_at, state, inserted_at, source, playbook)
         VALUES (?1, 'started', ?2, ?3, ?4) RETURNING id",
    )
    .bind(req.at)
    .bind(req.now)
    .bind(req.source.as_str())
    .bind(req.playbook)
    .fetch_one(&mut *conn)
    .await?;
    let seed = domain::lifecycle_seed(req.run_seed, req.at) as i64;
    let lifecycle_id: i64 = sqlx::query_scalar(
        "INSERT INTO lifecycles (slot_id, state, seed, created_at, updated_at)
         VALUES (?1, 'scheduled', ?2, ?3, ?4) RETURNING id",
    )
    .bind(slot_id)
    .bind(seed)
    .bind(req.at)
    .bind(req.now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO steps (lifecycle_id, seq, stage, offset_ms, due_at, state)
         VALUES (?1, 0, 'create', 0, ?2, 'pending')",
    )
    .bind(lifecycle_id)
    .bind(req.at)
    .execute(&mut *conn)
    .await?;
    Ok(lifecycle_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil::temp_store;

    const DAY0: UnixMs = 20_000 * DAY_MS;

    fn cron(at: UnixMs, now: UnixMs, cap: Option<u32>) -> SlotRequest<'static> {
        SlotRequest {
            at,
            now,
            run_seed: 1,
            source: SlotSource::Cron,
            playbook: None,
            daily_cap: cap,
        }
    }

    #[tokio::test]
    async fn slots_past_the_daily_cap_are_recorded_as_skipped_with_the_reason() {
        let (s, _d) = temp_store().await;
        for k in 0..3 {
            let at = DAY0 + k * 1_000;
            let got = s.start_slot_with(&cron(at, at, Some(2))).await.unwrap();
            assert_eq!(matches!(got, SlotStart::Started(_)), k < 2, "slot {k}");
        }
        let skips = s.recent_skips(5).await.unwrap();
        assert_eq!(skips.len(), 1);
        let note = skips[0].note.as_deref().unwrap();
        assert!(note.contains("daily cap") && note.contains("TICKETSIM_MAX_TICKETS_PER_DAY=2"));
        assert!(note.contains("2024-10-04 (UTC)"), "{note}");
        assert_eq!(s.started_on_day(DAY0).await.unwrap(), 2);
        // a skipped slot is never started later
        let again = s.start_slot_with(&cron(DAY0 + 2_000, DAY0, None)).await;
        assert_eq!(again.unwrap(), SlotStart::Exists);
    }

    #[tokio::test]
    async fn the_cap_counts_the_utc_day_the_slot_starts_in() {
        let (s, _d) = temp_store().await;
        let late = DAY0 + DAY_MS - 1;
        assert!(matches!(
            s.start_slot_with(&cron(late, late, Some(1))).await.unwrap(),
            SlotStart::Started(_)
        ));
        let next_day = DAY0 + DAY_MS;
        assert!(matches!(
            s.start_slot_with(&cron(next_day, next_day, Some(1)))
                .await
                .unwrap(),
            SlotStart::Started(_)
        ));
        assert_eq!(s.started_on_day(late).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn spawned_slots_avoid_taken_times_and_whole_seconds_and_keep_their_playbook() {
        let (s, _d) = temp_store().await;
        s.start_slot(DAY0 + 1, DAY0, 1).await.unwrap();
        let req = SlotRequest {
            source: SlotSource::Spawn,
            playbook: Some("reopen"),
            ..cron(DAY0, DAY0, None)
        };
        let (at, SlotStart::Started(id)) = s.spawn_slot(&req).await.unwrap() else {
            panic!("not started")
        };
        let l = s.lifecycle(id).await.unwrap();
        assert_eq!(at, DAY0 + 2, "skips DAY0 (a whole second) and DAY0+1");
        assert_eq!(l.created_at, at);
        assert_eq!(
            s.requested_playbook(id).await.unwrap().as_deref(),
            Some("reopen")
        );
        // a spawned slot does not count as the last cron slot
        assert_eq!(s.last_slot_at().await.unwrap(), Some(DAY0 + 1));
    }

    #[tokio::test]
    async fn a_writer_beside_the_daemon_refuses_a_schema_not_yet_migrated() {
        let (s, dir) = temp_store().await;
        let path = dir.path().join("t.db");
        Store::open_current(&path).await.unwrap().close().await;
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
            .execute(&s.pool)
            .await
            .unwrap();
        let e = Store::open_current(&path).await.unwrap_err();
        assert!(matches!(e, crate::store::StoreError::Busy { .. }), "{e}");
        let missing = Store::open_current(&dir.path().join("none.db")).await;
        assert!(matches!(
            missing,
            Err(crate::store::StoreError::Missing { .. })
        ));
    }
}
