//! Time entries inside the [`World`] (freshdesk-api.md §2.7): logged seconds
//! plus an optional running timer, whose time grows with the injected clock.
//! At most one timer runs per agent: starting one stops the others.

use super::records::TimeEntryRec;
use super::state::World;
use crate::clock::UnixMs;

/// A validated new entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewTimeEntry {
    pub agent_id: i64,
    pub billable: bool,
    pub note: String,
    pub executed_ms: UnixMs,
    pub seconds: i64,
    pub running: bool,
    pub start_ms: UnixMs,
}

/// A validated update; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TimePatch {
    pub agent_id: Option<i64>,
    pub billable: Option<bool>,
    pub note: Option<String>,
    pub executed_ms: Option<UnixMs>,
    pub seconds: Option<i64>,
    pub running: Option<bool>,
    pub start_ms: Option<UnixMs>,
}

impl World {
    /// Stores a new entry; a running one stops the agent's other timers.
    pub(crate) fn add_time_entry(
        &mut self,
        ticket_id: i64,
        new: NewTimeEntry,
        now: UnixMs,
    ) -> TimeEntryRec {
        if new.running {
            self.stop_timers_of(new.agent_id, now);
        }
        let rec = TimeEntryRec {
            id: self.next_id(),
            ticket_id,
            agent_id: new.agent_id,
            billable: new.billable,
            note: new.note,
            executed_ms: new.executed_ms,
            start_ms: new.start_ms,
            seconds: new.seconds,
            running_since: new.running.then_some(new.start_ms),
            created_ms: now,
            updated_ms: now,
        };
        self.time_entries.insert(rec.id, rec.clone());
        rec
    }

    /// Applies a checked patch (the caller has enforced the timer rules).
    pub(crate) fn update_time_entry(
        &mut self,
        id: i64,
        p: TimePatch,
        now: UnixMs,
    ) -> Option<TimeEntryRec> {
        let agent = p
            .agent_id
            .or(self.time_entries.get(&id).map(|e| e.agent_id))?;
        if p.running == Some(true) {
            self.stop_timers_of(agent, now);
        }
        let e = self.time_entries.get_mut(&id)?;
        match p.running {
            Some(true) => e.running_since = Some(now),
            Some(false) => e.stop(now),
            None => {}
        }
        if let Some(secs) = p.seconds {
            e.seconds = secs;
            e.running_since = e.running_since.map(|_| now);
        }
        e.agent_id = agent;
        e.billable = p.billable.unwrap_or(e.billable);
        e.note = p.note.unwrap_or_else(|| e.note.clone());
        e.executed_ms = p.executed_ms.unwrap_or(e.executed_ms);
        e.start_ms = p.start_ms.unwrap_or(e.start_ms);
        e.updated_ms = now;
        Some(e.clone())
    }

    /// Starts a stopped timer or stops a running one.
    pub(crate) fn toggle_timer(&mut self, id: i64, now: UnixMs) -> Option<TimeEntryRec> {
        let running = self.time_entries.get(&id)?.running_since.is_some();
        let patch = TimePatch {
            running: Some(!running),
            start_ms: (!running).then_some(now),
            ..TimePatch::default()
        };
        self.update_time_entry(id, patch, now)
    }

    fn stop_timers_of(&mut self, agent_id: i64, now: UnixMs) {
        for e in self.time_entries.values_mut() {
            if e.agent_id == agent_id && e.running_since.is_some() {
                e.stop(now);
                e.updated_ms = now;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::emulator::records::hh_mm;

    #[test]
    fn time_spent_is_hours_and_minutes_rounded_down() {
        assert_eq!(hh_mm(103), "00:01");
        assert_eq!(hh_mm(5400), "01:30");
        assert_eq!(hh_mm(59), "00:00");
        assert_eq!(hh_mm(100 * 3600 + 61), "100:01");
    }
}
