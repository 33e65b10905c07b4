//! How many Freshdesk calls the configured schedule needs, from the cron, the
//! stage offsets and the calls each step makes, against the budget.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::clock::UnixMs;
use crate::domain::StageOffsets;

/// Calls each step makes: create (`POST /tickets`, `PUT` to assign), agent reply,
/// customer note, resolution (a reply, `PUT` status 4), close (`PUT` status 5).
pub const CALLS_PER_STEP: [u32; 5] = [2, 1, 1, 2, 1];
/// The dispatcher reloads contacts and agents at most this often.
const PEOPLE_REFRESH_MS: i64 = 600_000;
const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
/// Firings looked at in one day; more than this is far beyond any plan anyway.
const MAX_FIRINGS: usize = 200_000;

/// What one day of the schedule asks of the budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleNeed {
    pub tickets_per_day: usize,
    pub calls_per_lifecycle: u32,
    /// Calls to reload contacts and agents (one per page), at most every 10 minutes.
    pub people_calls_per_refresh: u32,
    /// The busiest clock hour of the next 24 hours.
    pub peak_hour_calls: u32,
    /// The busiest minute: above the per-minute budget, steps wait their turn.
    pub peak_minute_calls: u32,
}

/// Simulates the next 24 hours from `from_ms`: every firing starts a lifecycle
/// whose steps land at the offsets; the people are reloaded when a ticket starts
/// and the last load is over 10 minutes old.
pub fn estimate(
    cron: &str,
    offsets: StageOffsets,
    from_ms: UnixMs,
    people_calls_per_refresh: u32,
) -> Result<ScheduleNeed, String> {
    let firings = firings(cron, from_ms)?;
    let mut per_minute: BTreeMap<i64, u32> = BTreeMap::new();
    let mut last_people: Option<UnixMs> = None;
    for &t in &firings {
        let mut add = |at: UnixMs, calls: u32| *per_minute.entry(at / 60_000).or_default() += calls;
        if last_people.is_none_or(|p| t - p >= PEOPLE_REFRESH_MS) {
            add(t, people_calls_per_refresh);
            last_people = Some(t);
        }
        add(t, CALLS_PER_STEP[0]);
        for (offset, calls) in offsets.0.iter().zip(&CALLS_PER_STEP[1..]) {
            add(t + offset, *calls);
        }
    }
    let mut per_hour: BTreeMap<i64, u32> = BTreeMap::new();
    for (minute, calls) in &per_minute {
        *per_hour.entry(minute * 60_000 / HOUR_MS).or_default() += calls;
    }
    Ok(ScheduleNeed {
        tickets_per_day: firings.len(),
        calls_per_lifecycle: CALLS_PER_STEP.iter().sum(),
        people_calls_per_refresh,
        peak_hour_calls: per_hour.values().copied().max().unwrap_or(0),
        peak_minute_calls: per_minute.values().copied().max().unwrap_or(0),
    })
}

/// The cron's firings in `[from_ms, from_ms + 24 h)`. (croner's `iter_after`
/// yields only every other second of a per-second cron, so each next firing is
/// looked up on its own.)
fn firings(cron: &str, from_ms: UnixMs) -> Result<Vec<UnixMs>, String> {
    let cron = crate::cron::parse(cron)?;
    let mut at = DateTime::<Utc>::from_timestamp_millis(from_ms).ok_or("bad start time")?;
    let mut out = Vec::new();
    while out.len() < MAX_FIRINGS {
        let Ok(next) = cron.find_next_occurrence(&at, true) else {
            break;
        };
        let ms = next.timestamp_millis();
        if ms >= from_ms + DAY_MS {
            break;
        }
        out.push(ms);
        at = next + chrono::Duration::seconds(1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T00:00:00Z
    const T0: UnixMs = 1_767_225_600_000;

    #[test]
    fn the_hourly_default_needs_seven_calls_and_a_people_load_an_hour() {
        let need = estimate("0 0 * * * *", StageOffsets::DEFAULT, T0, 2).unwrap();
        assert_eq!(need.tickets_per_day, 24);
        assert_eq!(need.calls_per_lifecycle, 7);
        assert_eq!(need.peak_hour_calls, 9);
        assert_eq!(need.peak_minute_calls, 4);
    }

    #[test]
    fn a_ticket_a_minute_overlaps_lifecycles_and_reloads_people_every_ten_minutes() {
        let need = estimate("0 * * * * *", StageOffsets::DEFAULT, T0, 3).unwrap();
        assert_eq!(need.tickets_per_day, 1440);
        // 60 lifecycles' worth of steps an hour, plus 6 people loads of 3 pages.
        assert_eq!(need.peak_hour_calls, 60 * 7 + 6 * 3);
        assert_eq!(need.peak_minute_calls, 7 + 3);
    }

    #[test]
    fn an_every_second_cron_is_counted_not_looped_forever() {
        let need = estimate("* * * * * *", StageOffsets::DEFAULT, T0, 1).unwrap();
        assert_eq!(need.tickets_per_day, 86_400);
        assert!(need.peak_minute_calls >= 60 * 7);
    }

    #[test]
    fn a_bad_cron_is_an_error() {
        assert!(estimate("nope", StageOffsets::DEFAULT, T0, 1).is_err());
    }
}
