//! The records the emulated account (`World`) keeps:
//! tickets, time entries and bulk jobs, with what each knows of itself. A
//! leaf: it imports nothing of the emulator, so the modules that change these
//! records (`ticket_store`, `time_store`, `jobs`) and the account that holds
//! them do not import each other.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::clock::{UnixMs, format_iso};
use crate::freshdesk::types::{Conversation, Ticket, TicketStats, TimeEntry, status};

/// How long a bulk job waits `QUEUED`, and when it has run (ms after it was made).
pub(crate) const QUEUED_MS: i64 = 1_000;
pub(crate) const RUN_MS: i64 = 2_000;

/// A stored ticket: the wire record plus what Freshdesk tracks beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TicketRec {
    /// Embeds (`requester`, `stats`, `conversations`) are always `None` here.
    pub wire: Ticket,
    pub created_ms: UnixMs,
    pub updated_ms: UnixMs,
    pub stats: TicketStats,
    /// `(when, status)`, starting with the status it was created with.
    pub status_history: Vec<(UnixMs, i64)>,
    /// `(when, responder)`, starting with the responder it was created with.
    pub responder_history: Vec<(UnixMs, Option<i64>)>,
    /// In the order added.
    pub conversations: Vec<Conversation>,
}

impl TicketRec {
    /// Deleted and spam tickets can be viewed but not changed.
    pub(crate) fn is_locked(&self) -> bool {
        self.wire.spam || self.wire.deleted == Some(true)
    }

    pub(crate) fn is_deleted(&self) -> bool {
        self.wire.deleted == Some(true)
    }

    pub(crate) fn touch(&mut self, now: UnixMs) {
        self.updated_ms = now;
        self.wire.updated_at = Some(format_iso(now));
    }

    /// Records a status change and the stats Freshdesk derives from it.
    pub(crate) fn set_status(&mut self, new: i64, now: UnixMs) {
        let old = self.wire.status;
        let at = Some(format_iso(now));
        self.wire.status = new;
        self.status_history.push((now, new));
        self.stats.status_updated_at = at.clone();
        self.stats.pending_since = if new == status::PENDING {
            at.clone()
        } else {
            None
        };
        match new {
            status::RESOLVED => self.stats.resolved_at = at,
            status::CLOSED => {
                self.stats.resolved_at = self.stats.resolved_at.take().or(at.clone());
                self.stats.closed_at = at;
            }
            _ if old == status::RESOLVED || old == status::CLOSED => self.stats.reopened_at = at,
            _ => {}
        }
    }

    pub(crate) fn set_responder(&mut self, responder: Option<i64>, now: UnixMs) {
        self.wire.responder_id = responder;
        self.responder_history.push((now, responder));
    }

    /// Conversations sorted by `created_at`, ties in the order added.
    pub(crate) fn conversations_oldest_first(&self) -> Vec<Conversation> {
        let mut list = self.conversations.clone();
        list.sort_by_key(|c| c.created_at.clone());
        list
    }
}

/// A stored time entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TimeEntryRec {
    pub id: i64,
    pub ticket_id: i64,
    pub agent_id: i64,
    pub billable: bool,
    pub note: String,
    pub executed_ms: UnixMs,
    /// When the entry was started (or its timer last started).
    pub start_ms: UnixMs,
    /// Seconds logged, not counting the running timer.
    pub seconds: i64,
    /// Since when the timer runs; `None` when it is stopped.
    pub running_since: Option<UnixMs>,
    pub created_ms: UnixMs,
    pub updated_ms: UnixMs,
}

impl TimeEntryRec {
    /// Logged seconds including the running timer at `now`.
    pub(crate) fn total_seconds(&self, now: UnixMs) -> i64 {
        let running = self.running_since.map_or(0, |s| (now - s).max(0) / 1000);
        self.seconds + running
    }

    /// The record as Freshdesk answers it at `now`.
    pub(crate) fn wire(&self, now: UnixMs) -> TimeEntry {
        let secs = self.total_seconds(now);
        TimeEntry {
            id: self.id,
            billable: self.billable,
            note: Some(self.note.clone()),
            timer_running: self.running_since.is_some(),
            agent_id: Some(self.agent_id),
            ticket_id: Some(self.ticket_id),
            company_id: None,
            time_spent: Some(hh_mm(secs)),
            time_spent_in_seconds: Some(secs),
            executed_at: Some(format_iso(self.executed_ms)),
            start_time: Some(format_iso(self.start_ms)),
            created_at: Some(format_iso(self.created_ms)),
            updated_at: Some(format_iso(self.updated_ms)),
        }
    }

    pub(crate) fn stop(&mut self, now: UnixMs) {
        self.seconds = self.total_seconds(now);
        self.running_since = None;
    }
}

/// `"hh:mm"`, minutes rounded down (103 s → `"00:01"`).
pub(crate) fn hh_mm(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The reply a bulk update sends on every ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BulkReply {
    pub body: String,
}

/// A bulk update waiting, running or done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobRec {
    /// 32 hex digits.
    pub id: String,
    pub created_ms: UnixMs,
    pub ids: Vec<i64>,
    /// The checked `properties` object, applied to each ticket as an update.
    pub properties: Option<Map<String, Value>>,
    pub reply: Option<BulkReply>,
    /// One result a ticket, once the job has run.
    pub data: Option<Vec<Value>>,
}

impl JobRec {
    /// `QUEUED`, `IN_PROGRESS`, then `SUCCESS`, `PARTIAL` or `FAILED`.
    pub(crate) fn status(&self, now: UnixMs) -> &'static str {
        match &self.data {
            Some(items) => {
                let ok = items.iter().filter(|i| i["success"] == true).count();
                if ok == items.len() {
                    "SUCCESS"
                } else if ok == 0 {
                    "FAILED"
                } else {
                    "PARTIAL"
                }
            }
            None if now < self.created_ms + QUEUED_MS => "QUEUED",
            None => "IN_PROGRESS",
        }
    }

    /// Due to run at `now`.
    pub(crate) fn is_due(&self, now: UnixMs) -> bool {
        self.data.is_none() && now >= self.created_ms + RUN_MS
    }
}
