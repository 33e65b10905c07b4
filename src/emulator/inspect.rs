//! Reading the account from outside (tests, demos, `/_emulator/state`) and
//! changing it as a human in the Freshdesk UI would; plus the `--state` file.

use std::time::Duration;

use super::persist::{self, StateFileError};
use super::{Emulator, RequestLogEntry};
use crate::clock::format_iso;
use crate::freshdesk::types::{Agent, Contact, Conversation, Ticket};

/// How soon after a change the state file is brought up to date.
const SAVE_EVERY: Duration = Duration::from_millis(250);

impl Emulator {
    /// Agents in seeded order; the first one owns the API key.
    pub fn agents(&self) -> Vec<Agent> {
        self.lock().world.agents.clone()
    }

    /// All contacts (seeded and created), in id order.
    pub fn contacts(&self) -> Vec<Contact> {
        self.lock().world.contacts.values().cloned().collect()
    }

    /// All tickets, deleted ones included, in id order, with their description.
    pub fn tickets(&self) -> Vec<Ticket> {
        let inner = self.lock();
        inner.world.tickets.iter().map(|t| t.wire.clone()).collect()
    }

    /// A ticket's conversations, oldest first (empty for an unknown ticket).
    pub fn conversations(&self, ticket_id: i64) -> Vec<Conversation> {
        let inner = self.lock();
        inner
            .world
            .ticket(ticket_id)
            .map(|t| t.conversations_oldest_first())
            .unwrap_or_default()
    }

    /// Every request received, in arrival order (the last
    /// [`REQUEST_LOG_CAPACITY`](super::REQUEST_LOG_CAPACITY)). Admin routes are not logged.
    pub fn requests(&self) -> Vec<RequestLogEntry> {
        self.shared.log.entries()
    }

    /// Marks a ticket as spam as a human would in the UI: it leaves the
    /// lists (but `filter=spam`), stays viewable, and refuses updates and
    /// deletes with 405. False when the ticket is unknown, deleted or spam.
    pub fn mark_ticket_spam_as_someone(&self, ticket_id: i64) -> bool {
        let now = self.now_ms();
        let marked = match self.lock().world.ticket_mut(ticket_id) {
            Some(t) if !t.is_locked() => {
                t.wire.spam = true;
                t.updated_ms = now;
                t.wire.updated_at = Some(format_iso(now));
                true
            }
            _ => false,
        };
        if marked {
            self.mark_changed();
        }
        marked
    }

    /// Soft-deletes a ticket as a human would in the UI. False when the
    /// ticket is unknown or already deleted.
    pub fn delete_ticket_as_someone(&self, ticket_id: i64) -> bool {
        let now = self.now_ms();
        let deleted = self.lock().world.soft_delete(ticket_id, now).is_ok();
        if deleted {
            self.mark_changed();
        }
        deleted
    }

    /// Blocks a contact as a human would in the UI (marks it as spam). False
    /// when the contact is unknown.
    pub fn block_contact_as_someone(&self, contact_id: i64) -> bool {
        let blocked = self.lock().world.block_contact(contact_id);
        if blocked {
            self.mark_changed();
        }
        blocked
    }

    /// The ticket's statuses in the order they were set, starting with the
    /// status it was created with: `(ISO time, status)`.
    pub fn status_history(&self, ticket_id: i64) -> Vec<(String, i64)> {
        let inner = self.lock();
        let Some(t) = inner.world.ticket(ticket_id) else {
            return Vec::new();
        };
        t.status_history
            .iter()
            .map(|(at, s)| (format_iso(*at), *s))
            .collect()
    }

    /// The ticket's responders in the order they were set, starting with the
    /// one it was created with (`None` = unassigned).
    pub fn responder_history(&self, ticket_id: i64) -> Vec<(String, Option<i64>)> {
        let inner = self.lock();
        let Some(t) = inner.world.ticket(ticket_id) else {
            return Vec::new();
        };
        t.responder_history
            .iter()
            .map(|(at, r)| (format_iso(*at), *r))
            .collect()
    }

    /// Notes that the account changed, so the state file is behind.
    pub(crate) fn mark_changed(&self) {
        self.shared
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Writes the state file if the account changed since the last write;
    /// true when it wrote. The account is copied under its lock and written
    /// outside it, so requests are not held up by the disk.
    pub(crate) fn save_now(&self) -> Result<bool, StateFileError> {
        let Some(path) = &self.shared.state_file else {
            return Ok(false);
        };
        let mut saved = self
            .shared
            .saved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let generation = self
            .shared
            .generation
            .load(std::sync::atomic::Ordering::Relaxed);
        if generation == *saved {
            return Ok(false);
        }
        let world = self.lock().world.clone();
        persist::save(path, &world)?;
        *saved = generation;
        Ok(true)
    }

    /// Brings the state file up to date every [`SAVE_EVERY`] while serving.
    /// A failed write is reported once (until one succeeds again).
    pub(crate) fn spawn_saver(&self) -> tokio::task::JoinHandle<()> {
        let emu = self.clone();
        tokio::spawn(async move {
            let mut reported = false;
            loop {
                tokio::time::sleep(SAVE_EVERY).await;
                let e2 = emu.clone();
                let result = tokio::task::spawn_blocking(move || e2.save_now()).await;
                match result {
                    Ok(Err(e)) if !reported => {
                        eprintln!("emulator: {e}");
                        reported = true;
                    }
                    Ok(Ok(_)) => reported = false,
                    _ => {}
                }
            }
        })
    }
}
