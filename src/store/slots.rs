//! Starting slots: from the cron or from `ticketsim spawn`, under the daily cap
//! (`TICKETSIM_MAX_TICKETS_PER_DAY`), which is counted here, in the database,
//! so that it holds across restarts and across processes.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sqlx::Row;

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
    /// Lifecycles the slot starts: 1, but for `load` above 1000 arrivals/s,
    /// where several share a millisecond (each has a seed of its own,
    /// [`domain::nth_lifecycle_seed`]). The daily cap counts slots: `load`,
    /// the only caller that asks for more than one, has no cap.
    pub lifecycles: u32,
}

/// What became of a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotStart {
    /// Started: the ids of its lifecycles (one, unless it asked for more).
    Started(Vec<i64>),
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
        let mut out = self.start_slots(std::slice::from_ref(req)).await?;
        Ok(out.pop().unwrap_or(SlotStart::Exists))
    }

    /// Starts several slots in one transaction (one commit for all: `load`
    /// starts every arrival that is due at once this way). Each gets what
    /// [`Store::start_slot_with`] would have given it, in order; the cap
    /// counts the earlier ones of the same batch.
    pub async fn start_slots(&self, reqs: &[SlotRequest<'_>]) -> Result<Vec<SlotStart>> {
        self.write_sync(|c| reqs.iter().map(|r| start_one(c, r)).collect())
            .await
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
        Ok(sqlx::query_scalar(STARTED_BETWEEN)
            .bind(day)
            .bind(day + DAY_MS)
            .fetch_one(&self.pool)
            .await?)
    }

    /// The playbook a spawned slot asked for, if any.
    pub async fn requested_playbook(&self, lifecycle_id: i64) -> Result<Option<String>> {
        let found = self.read_sync(|c| {
            c.prepare_cached(
                "SELECT s.playbook FROM slots s JOIN lifecycles l ON l.slot_id = s.id WHERE l.id = ?1",
            )?
            .query_row([lifecycle_id], |r| r.get::<_, Option<String>>(0))
            .optional()
        })?;
        Ok(found.flatten())
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

/// Slots started in `[?1, ?2)`: what the daily cap counts.
const STARTED_BETWEEN: &str =
    "SELECT COUNT(*) FROM slots WHERE state = 'started' AND inserted_at >= ?1 AND inserted_at < ?2";

/// One slot of [`Store::start_slots`], inside its transaction.
fn start_one(c: &rusqlite::Connection, req: &SlotRequest<'_>) -> rusqlite::Result<SlotStart> {
    let exists = c
        .prepare_cached("SELECT 1 FROM slots WHERE scheduled_at = ?1")?
        .exists(params![req.at])?;
    if exists {
        return Ok(SlotStart::Exists);
    }
    if let Some(cap) = req.daily_cap {
        let day = utc_day_start(req.now);
        let started: i64 = c
            .prepare_cached(STARTED_BETWEEN)?
            .query_row(params![day, day + DAY_MS], |r| r.get(0))?;
        if started >= i64::from(cap) {
            let note = cap_note(cap, day);
            c.prepare_cached(
                "INSERT INTO slots (scheduled_at, state, inserted_at, note, source, playbook)
                 VALUES (?1, 'skipped', ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                req.at,
                req.now,
                note,
                req.source.as_str(),
                req.playbook
            ])?;
            return Ok(SlotStart::Capped(note));
        }
    }
    insert_started(c, req).map(SlotStart::Started)
}

/// Inserts the started slot, its lifecycles and their creation steps (due at
/// the slot's time); returns the lifecycle ids.
fn insert_started(c: &rusqlite::Connection, req: &SlotRequest<'_>) -> rusqlite::Result<Vec<i64>> {
    let slot_id: i64 = c
        .prepare_cached(
            "INSERT INTO slots (scheduled_at, state, inserted_at, source, playbook)
             VALUES (?1, 'started', ?2, ?3, ?4) RETURNING id",
        )?
        .query_row(
            params![req.at, req.now, req.source.as_str(), req.playbook],
            |r| r.get(0),
        )?;
    let mut ids = Vec::with_capacity(req.lifecycles.max(1) as usize);
    for n in 0..req.lifecycles.max(1) {
        let seed = domain::nth_lifecycle_seed(req.run_seed, req.at, n) as i64;
        let lifecycle_id: i64 = c
            .prepare_cached(
                "INSERT INTO lifecycles (slot_id, state, seed, created_at, updated_at)
                 VALUES (?1, 'scheduled', ?2, ?3, ?4) RETURNING id",
            )?
            .query_row(params![slot_id, seed, req.at, req.now], |r| r.get(0))?;
        c.prepare_cached(
            "INSERT INTO steps (lifecycle_id, seq, stage, offset_ms, due_at, state)
             VALUES (?1, 0, 'create', 0, ?2, 'pending')",
        )?
        .execute(params![lifecycle_id, req.at])?;
        ids.push(lifecycle_id);
    }
    Ok(ids)
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
            lifecycles: 1,
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
    async fn a_slot_of_several_lifecycles_starts_them_together_once_with_seeds_of_their_own() {
        let (s, _d) = temp_store().await;
        let req = SlotRequest {
            lifecycles: 3,
            ..cron(DAY0, DAY0, None)
        };
        let got = s
            .start_slots(&[req, cron(DAY0 + 1, DAY0, None)])
            .await
            .unwrap();
        let SlotStart::Started(ids) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(ids.len(), 3);
        assert!(matches!(&got[1], SlotStart::Started(one) if one.len() == 1));
        let mut seeds = Vec::new();
        for (n, id) in ids.iter().enumerate() {
            let l = s.lifecycle(*id).await.unwrap();
            assert_eq!(l.created_at, DAY0);
            assert_eq!(l.seed, domain::nth_lifecycle_seed(1, DAY0, n as u32));
            seeds.push(l.seed);
        }
        seeds.dedup();
        assert_eq!(seeds.len(), 3, "each lifecycle has its own seed");
        assert_eq!(s.open_steps().await.unwrap(), 4, "one creation step each");
        let again = s.start_slots(&[req]).await.unwrap();
        assert_eq!(again, vec![SlotStart::Exists], "a slot never starts twice");
        assert_eq!(s.open_steps().await.unwrap(), 4);
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
        let (at, SlotStart::Started(ids)) = s.spawn_slot(&req).await.unwrap() else {
            panic!("not started")
        };
        let id = ids[0];
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
