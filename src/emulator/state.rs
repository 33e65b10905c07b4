//! The emulated account: people, groups and tickets, as plain data.
//!
//! Everything here is synchronous and takes `now` from the caller, so it is
//! cheap under the one mutex and easy to test. Records are kept as the wire
//! types of `freshdesk::types`, so responses carry the real field names.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::ratelimit::Limiter;
use super::records::{JobRec, TicketRec, TimeEntryRec};
use super::seed::{Seeded, new_contact_record};
use crate::clock::UnixMs;
use crate::freshdesk::types::{Agent, Contact, Group};

/// The account and its rate window, behind one `std::sync::Mutex`.
pub(crate) struct Inner {
    pub world: World,
    pub limiter: Limiter,
}

/// One account. Serialized whole into the `--state` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct World {
    /// In seeded order; the first agent owns the API key.
    pub agents: Vec<Agent>,
    pub contacts: BTreeMap<i64, Contact>,
    /// Lower-cased email → user id, for contacts and agents alike (Freshdesk
    /// keeps one user table, so an agent's email is taken for contacts too).
    #[serde(skip)]
    pub(crate) emails: HashMap<String, i64>,
    /// Contacts blocked (as spam) by a human: listed only with
    /// `state=blocked`, and closed to updates and deletes.
    pub blocked: BTreeSet<i64>,
    pub groups: Vec<Group>,
    /// Index = display id - 1.
    pub tickets: Vec<TicketRec>,
    pub time_entries: BTreeMap<i64, TimeEntryRec>,
    /// Bulk-update jobs of the last day, oldest first.
    pub jobs: Vec<JobRec>,
    pub(crate) next_id: i64,
    pub email_config_id: i64,
    /// `support@<domain>`: the account's one active support address.
    pub support_email: String,
    /// The support address as replies show it in `from_email`.
    pub from_email: String,
}

/// The fields of a user (contact or agent) other records embed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserRef {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub is_agent: bool,
    pub deleted: bool,
}

/// A contact to create (through `POST /contacts` or a ticket's requester).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NewContact {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub twitter_id: Option<String>,
    pub facebook_id: Option<String>,
    pub address: Option<String>,
    pub description: Option<String>,
    pub job_title: Option<String>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub tags: Vec<String>,
    pub other_emails: Vec<String>,
}

impl World {
    pub(crate) fn new(seeded: Seeded, domain: &str) -> World {
        let support_email = format!("support@{domain}");
        let mut world = World {
            agents: seeded.agents,
            contacts: BTreeMap::new(),
            emails: HashMap::new(),
            blocked: BTreeSet::new(),
            groups: seeded.groups,
            tickets: Vec::new(),
            time_entries: BTreeMap::new(),
            jobs: Vec::new(),
            next_id: seeded.next_id,
            email_config_id: seeded.email_config_id,
            from_email: format!("Ticketsim Support <{support_email}>"),
            support_email,
        };
        for c in seeded.contacts {
            world.contacts.insert(c.id, c);
        }
        world.rebuild_index();
        world
    }

    /// Rebuilds the email index (it is not stored in the state file).
    pub(crate) fn rebuild_index(&mut self) {
        self.emails.clear();
        for a in &self.agents {
            if let Some(email) = &a.contact.email {
                self.emails.insert(email.to_lowercase(), a.id);
            }
        }
        for c in self.contacts.values() {
            for e in c.email.iter().chain(c.other_emails.iter().flatten()) {
                self.emails.insert(e.to_lowercase(), c.id);
            }
        }
    }

    /// A fresh id for any record but a ticket.
    pub(crate) fn next_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The agent the API key belongs to.
    pub(crate) fn owner(&self) -> Option<&Agent> {
        self.agents.first()
    }

    pub(crate) fn agent(&self, id: i64) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    pub(crate) fn group(&self, id: i64) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// A contact or an agent.
    pub(crate) fn user(&self, id: i64) -> Option<UserRef> {
        if let Some(c) = self.contacts.get(&id) {
            return Some(UserRef {
                id,
                name: c.name.clone(),
                email: c.email.clone(),
                phone: c.phone.clone(),
                mobile: c.mobile.clone(),
                is_agent: false,
                deleted: c.deleted == Some(true),
            });
        }
        let a = self.agent(id)?;
        Some(UserRef {
            id,
            name: a.contact.name.clone(),
            email: a.contact.email.clone(),
            phone: a.contact.phone.clone(),
            mobile: a.contact.mobile.clone(),
            is_agent: true,
            deleted: false,
        })
    }

    /// The user (contact or agent) with this email, case-insensitively.
    pub(crate) fn user_id_by_email(&self, email: &str) -> Option<i64> {
        self.emails.get(&email.trim().to_lowercase()).copied()
    }

    /// The contact whose `field` (`phone`, `mobile`, `twitter_id`,
    /// `facebook_id`) equals `value`.
    pub(crate) fn contact_id_by(&self, field: &str, value: &str) -> Option<i64> {
        self.contacts.values().find_map(|c| {
            let v = match field {
                "phone" => c.phone.as_deref(),
                "mobile" => c.mobile.as_deref(),
                "twitter_id" => c.twitter_id.as_deref(),
                "facebook_id" => c.facebook_id.as_deref(),
                _ => None,
            };
            (v == Some(value)).then_some(c.id)
        })
    }

    /// Stores a new contact (unverified, as Freshdesk makes them).
    pub(crate) fn insert_contact(&mut self, new: NewContact, now: UnixMs) -> Contact {
        let id = self.next_id();
        let mut c = new_contact_record(id, new.name, new.email, new.phone, now);
        c.mobile = new.mobile;
        c.twitter_id = new.twitter_id;
        c.facebook_id = new.facebook_id;
        c.address = new.address;
        c.description = new.description;
        c.job_title = new.job_title;
        if new.language.is_some() {
            c.language = new.language;
        }
        if new.time_zone.is_some() {
            c.time_zone = new.time_zone;
        }
        c.tags = Some(new.tags);
        c.other_emails = Some(new.other_emails);
        self.index_contact(&c);
        self.contacts.insert(id, c.clone());
        c
    }

    pub(crate) fn index_contact(&mut self, c: &Contact) {
        let emails = c.email.iter().chain(c.other_emails.iter().flatten());
        for e in emails {
            self.emails.insert(e.to_lowercase(), c.id);
        }
    }
}
