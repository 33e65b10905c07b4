//! `ticketsim purge`: deletes from Freshdesk what ticketsim made. A ticket is
//! deleted only when the database knows it (a lifecycle recorded its id) and it
//! still carries the tag; `--include-tagged` adds tagged tickets the database
//! does not know. `--contacts` adds the contacts `seed-contacts` made: the
//! database does not record those, so they are found by the tag and deleted only
//! when their email is on a reserved domain (example.com, *.test, ...).
//!
//! Everything goes through the client's rate budget, one `DELETE` per object
//! (the client has no bulk delete). Each removal is recorded in the database
//! (`purged`), and an object already deleted (404, or 405 on `DELETE`) counts as
//! done, so a killed purge is finished by running it again.

use std::collections::HashSet;
use std::io::Write;

use serde::Serialize;

use super::AppError;
use crate::clock::{Clock, SystemClock, parse_iso};
use crate::config::Config;
use crate::domain::UnixMs;
use crate::freshdesk::{Client, ContactQuery, Error, SearchQuery, Ticket};
use crate::store::{DbLock, PurgeKind, PurgeOutcome, Store, StoreError};

/// How many ticket ids the summary lists.
const FIRST_IDS: usize = 20;
/// Bound on tag searches with `--include-tagged` (each finds up to 300 tickets).
const MAX_SEARCH_ROUNDS: usize = 20;

/// What `purge` may do.
#[derive(Debug, Clone, Copy, Default)]
pub struct PurgeOptions {
    /// List what would be deleted; delete nothing and record nothing.
    pub dry_run: bool,
    /// Also delete tagged tickets the database does not know.
    pub include_tagged: bool,
    /// Also delete the tagged contacts on reserved domains.
    pub contacts: bool,
    /// Only tickets created at least this long ago (ms); contacts are not aged.
    pub older_than_ms: Option<i64>,
}

/// What `purge` did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeSummary {
    pub dry_run: bool,
    /// Tickets the database knows, deleted now (or that would be).
    pub tickets_deleted: usize,
    /// Tickets the database knows that were already deleted (this or an earlier run).
    pub tickets_already_gone: usize,
    /// Tickets the database knows that no longer carry the tag: kept.
    pub tickets_untagged_kept: usize,
    /// Tagged tickets unknown to the database, deleted (`--include-tagged`).
    pub tagged_unknown_deleted: usize,
    /// Tagged tickets unknown to the database, kept (no `--include-tagged`).
    pub tagged_unknown_kept: usize,
    pub contacts_deleted: usize,
    /// Tagged contacts whose email is not on a reserved domain: kept.
    pub contacts_kept: usize,
    /// Tickets (known or tagged) created within `--older-than`: kept.
    pub too_recent_kept: usize,
    /// The first ticket ids deleted (or that would be).
    pub first_ids: Vec<i64>,
}

impl PurgeSummary {
    fn note_deleted(&mut self, id: i64) {
        if self.first_ids.len() < FIRST_IDS {
            self.first_ids.push(id);
        }
    }
}

/// One purge run: the store, the client, the tag and where progress goes.
struct Purge<'a, W: Write> {
    store: Store,
    client: Client,
    tag: &'a str,
    opts: PurgeOptions,
    progress: W,
    summary: PurgeSummary,
    clock: SystemClock,
}

/// The database ids a purge would start from: lifecycles' tickets not yet purged.
pub async fn purge_plan(cfg: &Config) -> Result<Vec<i64>, AppError> {
    let store = Store::open_read_only(&cfg.db_path).await?;
    let done = store
        .purged_ids(PurgeKind::Ticket)
        .await
        .unwrap_or_default();
    let ids = store.made_ticket_ids().await?;
    store.close().await;
    Ok(ids.into_iter().filter(|id| !done.contains(id)).collect())
}

/// Runs the purge; progress lines go to `progress` (stderr in the CLI).
pub async fn purge(
    cfg: &Config,
    opts: PurgeOptions,
    progress: impl Write,
) -> Result<PurgeSummary, AppError> {
    // A dry run only reads, so it may run beside the daemon; a purge takes the lock.
    let (_lock, store) = if opts.dry_run {
        (None, Store::open_read_only(&cfg.db_path).await?)
    } else {
        if !cfg.db_path.exists() {
            let path = cfg.db_path.clone();
            return Err(StoreError::Missing { path }.into());
        }
        let lock = DbLock::acquire(&cfg.db_path)?;
        (Some(lock), Store::open(&cfg.db_path).await?)
    };
    let mut p = Purge {
        store: store.clone(),
        client: Client::new(cfg.client_config())?,
        tag: &cfg.tag,
        opts,
        progress,
        summary: PurgeSummary {
            dry_run: opts.dry_run,
            ..PurgeSummary::default()
        },
        clock: SystemClock,
    };
    let result = p.run().await;
    store.close().await;
    result.map(|()| p.summary)
}

impl<W: Write> Purge<'_, W> {
    async fn run(&mut self) -> Result<(), AppError> {
        let made = self.store.made_tickets().await?;
        let done = match self.store.purged_ids(PurgeKind::Ticket).await {
            Ok(done) => done,
            // Read-only, a database no purge has migrated has no `purged` table yet.
            Err(_) if self.opts.dry_run => HashSet::new(),
            Err(e) => return Err(e.into()),
        };
        self.summary.tickets_already_gone = made.iter().filter(|t| done.contains(&t.0)).count();
        let (old, recent): (Vec<_>, Vec<_>) = made
            .iter()
            .filter(|t| !done.contains(&t.0))
            .partition(|t| self.old_enough(t.1));
        self.summary.too_recent_kept += recent.len();
        for (n, (id, _)) in old.iter().enumerate() {
            self.known_ticket(*id, n + 1, old.len()).await?;
        }
        let known: HashSet<i64> = made.into_iter().map(|t| t.0).collect();
        self.tagged_unknown(&known).await?;
        if self.opts.contacts {
            self.contacts().await?;
        }
        Ok(())
    }

    /// Whether a ticket created at `created` is outside `--older-than` (an
    /// unknown time is kept when an age is asked for).
    fn old_enough(&self, created: Option<UnixMs>) -> bool {
        match (self.opts.older_than_ms, created) {
            (None, _) => true,
            (Some(age), Some(at)) => at <= self.clock.now_ms() - age,
            (Some(_), None) => false,
        }
    }

    /// A ticket a lifecycle made: deleted if it still carries the tag.
    async fn known_ticket(&mut self, id: i64, n: usize, of: usize) -> Result<(), AppError> {
        let ticket = match self.client.get_ticket(id).await {
            Ok(t) => t,
            Err(Error::NotFound { .. }) => return self.gone(id).await,
            Err(e) => return Err(e.into()),
        };
        if ticket.deleted == Some(true) {
            return self.gone(id).await;
        }
        if !has_tag(&ticket, self.tag) {
            self.summary.tickets_untagged_kept += 1;
            return self.say(format!(
                "ticket {id} kept: it no longer carries the tag \"{}\" ({n}/{of})",
                self.tag
            ));
        }
        self.delete_ticket(id).await?;
        self.summary.tickets_deleted += 1;
        self.summary.note_deleted(id);
        self.say(format!("ticket {id} {} ({n}/{of})", self.verb()))
    }

    async fn gone(&mut self, id: i64) -> Result<(), AppError> {
        self.summary.tickets_already_gone += 1;
        if !self.opts.dry_run {
            let now = self.clock.now_ms();
            let outcome = PurgeOutcome::Gone;
            self.store
                .record_purged(PurgeKind::Ticket, id, outcome, now)
                .await?;
        }
        Ok(())
    }

    /// `DELETE`s the ticket (unless a dry run) and records it. An answer of 404
    /// or 405 means it was already deleted, which is what we want.
    async fn delete_ticket(&mut self, id: i64) -> Result<(), AppError> {
        if self.opts.dry_run {
            return Ok(());
        }
        let outcome = match self.client.delete_ticket(id).await {
            Ok(()) => PurgeOutcome::Deleted,
            Err(e) if already_gone(&e) => PurgeOutcome::Gone,
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now_ms();
        self.store
            .record_purged(PurgeKind::Ticket, id, outcome, now)
            .await?;
        Ok(())
    }

    /// Tagged tickets the database does not know: counted, and deleted with
    /// `--include-tagged`. Deleted tickets leave the search, so it is repeated
    /// (a bounded number of times) until it finds nothing new.
    async fn tagged_unknown(&mut self, known: &HashSet<i64>) -> Result<(), AppError> {
        let query = SearchQuery::is("tag", self.tag);
        let mut seen: HashSet<i64> = HashSet::new();
        for _ in 0..MAX_SEARCH_ROUNDS {
            let found = self.client.search_tickets(&query).await?;
            let fresh = self.fresh(&found.results, known, &mut seen);
            if fresh.is_empty() {
                break;
            }
            for id in fresh {
                self.tagged_ticket(id).await?;
            }
            if self.opts.dry_run || !self.opts.include_tagged {
                break;
            }
        }
        Ok(())
    }

    /// The search results not seen before, not deleted, unknown to the
    /// database and old enough; the too recent are counted.
    fn fresh(
        &mut self,
        found: &[Ticket],
        known: &HashSet<i64>,
        seen: &mut HashSet<i64>,
    ) -> Vec<i64> {
        let mut fresh = Vec::new();
        for t in found {
            if t.deleted == Some(true) || known.contains(&t.id) || !seen.insert(t.id) {
                continue;
            }
            if self.old_enough(t.created_at.as_deref().and_then(parse_iso)) {
                fresh.push(t.id);
            } else {
                self.summary.too_recent_kept += 1;
            }
        }
        fresh
    }

    async fn tagged_ticket(&mut self, id: i64) -> Result<(), AppError> {
        if !self.opts.include_tagged {
            self.summary.tagged_unknown_kept += 1;
            return self.say(format!(
                "ticket {id} kept: tagged but unknown to the database (--include-tagged deletes it)"
            ));
        }
        self.delete_ticket(id).await?;
        self.summary.tagged_unknown_deleted += 1;
        self.summary.note_deleted(id);
        self.say(format!(
            "ticket {id} {}: tagged, unknown to the database",
            self.verb()
        ))
    }

    /// The tagged contacts on reserved domains (the ones `seed-contacts` makes).
    async fn contacts(&mut self) -> Result<(), AppError> {
        let query = ContactQuery {
            tag: Some(self.tag.to_string()),
            ..ContactQuery::default()
        };
        for contact in self.client.list_contacts_where(&query).await? {
            let email = contact.email.clone().unwrap_or_default();
            if !is_reserved_email(&email) {
                self.summary.contacts_kept += 1;
                self.say(format!(
                    "contact {} kept: {email} is not on a reserved domain",
                    contact.id
                ))?;
                continue;
            }
            self.delete_contact(contact.id).await?;
            self.summary.contacts_deleted += 1;
            self.say(format!("contact {} <{email}> {}", contact.id, self.verb()))?;
        }
        Ok(())
    }

    async fn delete_contact(&mut self, id: i64) -> Result<(), AppError> {
        if self.opts.dry_run {
            return Ok(());
        }
        let outcome = match self.client.delete_contact(id).await {
            Ok(()) => PurgeOutcome::Deleted,
            Err(e) if already_gone(&e) => PurgeOutcome::Gone,
            Err(e) => return Err(e.into()),
        };
        let now = self.clock.now_ms();
        self.store
            .record_purged(PurgeKind::Contact, id, outcome, now)
            .await?;
        Ok(())
    }

    fn verb(&self) -> &'static str {
        if self.opts.dry_run {
            "would be deleted"
        } else {
            "deleted"
        }
    }

    fn say(&mut self, line: String) -> Result<(), AppError> {
        writeln!(self.progress, "purge: {line}")
            .map_err(|e| AppError::Io(format!("cannot write progress: {e}")))
    }
}

fn has_tag(ticket: &Ticket, tag: &str) -> bool {
    ticket
        .tags
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|t| t.eq_ignore_ascii_case(tag))
}

/// 404 (unknown) or 405 (already deleted) on a delete: the object is gone.
fn already_gone(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. } | Error::Http { status: 405, .. })
}

/// True for an address on a domain reserved for documentation and testing
/// (RFC 2606/6761), where `seed-contacts` makes its people.
fn is_reserved_email(email: &str) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(_, domain)| crate::content::is_reserved_domain(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reserved_domains_count_as_made_up_contacts() {
        for ok in [
            "a@example.com",
            "b@mail.example.org",
            "c@acme.test",
            "d@x.invalid",
        ] {
            assert!(is_reserved_email(ok), "{ok}");
        }
        for no in ["a@gmail.com", "b@example.company", "c@test", "nobody"] {
            assert!(!is_reserved_email(no), "{no}");
        }
    }

    #[test]
    fn a_404_or_405_on_delete_means_already_gone() {
        let nf = Error::NotFound {
            what: "Ticket 1".into(),
        };
        let na = Error::Http {
            status: 405,
            code: None,
            message: String::new(),
        };
        let other = Error::Http {
            status: 400,
            code: None,
            message: String::new(),
        };
        assert!(already_gone(&nf) && already_gone(&na) && !already_gone(&other));
    }
}
