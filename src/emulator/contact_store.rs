//! Contacts inside the [`World`]: update, soft delete, restore, hard delete
//! and blocking (freshdesk-api.md §2.1). The email index follows every change,
//! so duplicate checks and `email=` lookups stay right.

use super::state::World;
use super::ticket_store::DeleteError;
use crate::clock::{UnixMs, format_iso};
use crate::freshdesk::types::Contact;

/// A validated contact update: `None` leaves a field alone; `Some(None)`
/// clears a field that may be empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ContactPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub twitter_id: Option<String>,
    pub address: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub tags: Option<Vec<String>>,
    pub other_emails: Option<Vec<String>>,
}

impl World {
    /// Deleted or blocked: viewable, but every write gives 405.
    pub(crate) fn contact_is_locked(&self, id: i64) -> bool {
        let deleted = self
            .contacts
            .get(&id)
            .is_some_and(|c| c.deleted == Some(true));
        deleted || self.blocked.contains(&id)
    }

    /// Applies a patch; `updated_at` moves only when something changed.
    pub(crate) fn update_contact(
        &mut self,
        id: i64,
        p: ContactPatch,
        now: UnixMs,
    ) -> Option<Contact> {
        let mut c = self.contacts.get(&id)?.clone();
        let before = c.clone();
        set(&mut c.name, p.name);
        set(&mut c.email, p.email.map(Some));
        set(&mut c.phone, p.phone.map(Some));
        set(&mut c.mobile, p.mobile.map(Some));
        set(&mut c.twitter_id, p.twitter_id.map(Some));
        set(&mut c.address, p.address);
        set(&mut c.description, p.description);
        set(&mut c.job_title, p.job_title);
        set(&mut c.language, p.language.map(Some));
        set(&mut c.time_zone, p.time_zone.map(Some));
        set(&mut c.tags, p.tags.map(Some));
        set(&mut c.other_emails, p.other_emails.map(Some));
        if c != before {
            c.updated_at = Some(format_iso(now));
        }
        self.unindex_contact(&before);
        self.index_contact(&c);
        self.contacts.insert(id, c.clone());
        Some(c)
    }

    /// Soft delete: the contact stays viewable with `deleted: true`.
    pub(crate) fn soft_delete_contact(&mut self, id: i64, now: UnixMs) -> Result<(), DeleteError> {
        if !self.contacts.contains_key(&id) {
            return Err(DeleteError::NotFound);
        }
        if self.contact_is_locked(id) {
            return Err(DeleteError::Locked);
        }
        if let Some(c) = self.contacts.get_mut(&id) {
            c.deleted = Some(true);
            c.updated_at = Some(format_iso(now));
        }
        Ok(())
    }

    /// Undoes a soft delete; false when the contact is unknown or not deleted.
    pub(crate) fn restore_contact(&mut self, id: i64, now: UnixMs) -> bool {
        match self.contacts.get_mut(&id) {
            Some(c) if c.deleted == Some(true) => {
                c.deleted = None;
                c.updated_at = Some(format_iso(now));
                true
            }
            _ => false,
        }
    }

    /// Removes a contact for good (its tickets stay, as orphans).
    pub(crate) fn hard_delete_contact(&mut self, id: i64) -> bool {
        let Some(c) = self.contacts.remove(&id) else {
            return false;
        };
        self.unindex_contact(&c);
        self.blocked.remove(&id);
        true
    }

    /// A human marks the contact as spam: false when unknown.
    pub(crate) fn block_contact(&mut self, id: i64) -> bool {
        if !self.contacts.contains_key(&id) {
            return false;
        }
        self.blocked.insert(id);
        true
    }

    fn unindex_contact(&mut self, c: &Contact) {
        let emails = c.email.iter().chain(c.other_emails.iter().flatten());
        for e in emails {
            let key = e.to_lowercase();
            if self.emails.get(&key) == Some(&c.id) {
                self.emails.remove(&key);
            }
        }
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}
