//! `GET /tickets` with its filters, and the `updated_since` cursor that walks past
//! Freshdesk's 300-page cap (api §2.4, gotchas 1-2).
//!
//! Freshdesk refuses `page > 300`. Ordered by `updated_at` ascending, the list can
//! start again from the last `updated_at` seen (`updated_since` means `>=`), which
//! repeats the tickets updated in that very second: those are skipped by id.

use std::collections::{HashMap, HashSet};

use reqwest::Url;

use super::budget::Lane;
use super::client::{Call, Client, PER_PAGE};
use super::error::Error;
use super::types::Ticket;

/// Freshdesk's page cap on the ticket list.
const MAX_LIST_PAGES: u32 = 300;

/// `filter=` of the ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketFilter {
    /// Open, and unassigned or assigned to the key's agent.
    NewAndMyOpen,
    Watching,
    Spam,
    Deleted,
}

/// `order_by=` of the ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketOrder {
    CreatedAt,
    UpdatedAt,
    Priority,
    Status,
    DueBy,
}

/// `include=` of the ticket list: each costs two more credits per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListInclude {
    Requester,
    Stats,
    Company,
    Description,
}

/// The filters of `GET /tickets`. Without `filter`, `requester_id`, `email`,
/// `company_id` or `updated_since`, Freshdesk lists only tickets created in the last
/// 30 days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketQuery {
    pub filter: Option<TicketFilter>,
    pub requester_id: Option<i64>,
    /// Turned into a requester by Freshdesk; an unknown email gives 400.
    pub email: Option<String>,
    pub company_id: Option<i64>,
    /// ISO 8601 (`2024-01-01T00:00:00Z`), `updated_at >=`. With it the list is
    /// ordered by `updated_at` ascending and walks past the 300-page cap.
    pub updated_since: Option<String>,
    /// Ignored with `updated_since`.
    pub order_by: Option<TicketOrder>,
    /// Ignored with `updated_since`; Freshdesk's default is descending.
    pub ascending: bool,
    pub include: Vec<ListInclude>,
    /// 1 to 100; 100 when unset.
    pub per_page: Option<u32>,
}

impl TicketQuery {
    /// Everything updated since `iso`, oldest change first, past the page cap.
    pub fn updated_since(iso: impl Into<String>) -> TicketQuery {
        TicketQuery {
            updated_since: Some(iso.into()),
            ..TicketQuery::default()
        }
    }

    fn call(&self, cursor: Option<&str>) -> Call {
        let mut call = Call::get("tickets", Lane::New).cost(1 + 2 * self.include.len() as u32);
        let filter = self.filter.map(|f| match f {
            TicketFilter::NewAndMyOpen => "new_and_my_open",
            TicketFilter::Watching => "watching",
            TicketFilter::Spam => "spam",
            TicketFilter::Deleted => "deleted",
        });
        let pairs: [(&'static str, Option<String>); 4] = [
            ("filter", filter.map(String::from)),
            ("requester_id", self.requester_id.map(|v| v.to_string())),
            ("email", self.email.clone()),
            ("company_id", self.company_id.map(|v| v.to_string())),
        ];
        for (key, value) in pairs {
            if let Some(value) = value {
                call = call.query(key, value);
            }
        }
        if let Some(since) = cursor {
            call = call
                .query("updated_since", since)
                .query("order_by", "updated_at")
                .query("order_type", "asc");
        } else if let Some(order) = self.order_by {
            call = call
                .query("order_by", order_name(order))
                .query("order_type", if self.ascending { "asc" } else { "desc" });
        }
        if !self.include.is_empty() {
            let names: Vec<&str> = self.include.iter().map(|i| include_name(*i)).collect();
            call = call.query("include", names.join(","));
        }
        call.query(
            "per_page",
            self.per_page.unwrap_or(PER_PAGE).clamp(1, PER_PAGE),
        )
    }
}

fn order_name(order: TicketOrder) -> &'static str {
    match order {
        TicketOrder::CreatedAt => "created_at",
        TicketOrder::UpdatedAt => "updated_at",
        TicketOrder::Priority => "priority",
        TicketOrder::Status => "status",
        TicketOrder::DueBy => "due_by",
    }
}

fn include_name(include: ListInclude) -> &'static str {
    match include {
        ListInclude::Requester => "requester",
        ListInclude::Stats => "stats",
        ListInclude::Company => "company",
        ListInclude::Description => "description",
    }
}

/// Pages of a ticket list, fetched one at a time so that a long sync runs in
/// bounded memory. A ticket changed while the walk runs can come again later with
/// its newer `updated_at`, as in any `updated_since` sync.
pub struct TicketPages<'c> {
    client: &'c Client,
    query: TicketQuery,
    /// The `updated_since` of the current run of up to 300 pages.
    cursor: Option<String>,
    next: Option<Url>,
    started: bool,
    pages_in_run: u32,
    /// Ids already returned whose `updated_at` equals the current cursor.
    skip: HashSet<i64>,
    /// The newest `updated_at` returned, and the ids that have it.
    newest: Option<String>,
    at_newest: HashSet<i64>,
}

impl<'c> TicketPages<'c> {
    /// The next page (tickets already returned left out), or `None` at the end.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Ticket>>, Error> {
        if self.started && self.next.is_none() {
            return Ok(None);
        }
        if self.pages_in_run == MAX_LIST_PAGES {
            self.start_next_run()?;
        }
        let call = self.query.call(self.cursor.as_deref());
        let page = self
            .client
            .fetch_page::<Vec<Ticket>>(call, self.next.take())
            .await?;
        self.started = true;
        self.pages_in_run += 1;
        self.next = page.next;
        let tickets: Vec<Ticket> = page
            .value
            .into_iter()
            .filter(|t| !self.already_returned(t))
            .collect();
        for t in &tickets {
            self.note_updated(t);
        }
        Ok(Some(tickets))
    }

    /// Returned by the previous run at the very `updated_at` this run starts from.
    fn already_returned(&self, t: &Ticket) -> bool {
        self.skip.contains(&t.id) && t.updated_at.is_some() && t.updated_at == self.cursor
    }

    fn note_updated(&mut self, t: &Ticket) {
        let Some(at) = t.updated_at.as_deref() else {
            return;
        };
        match self.newest.as_deref() {
            Some(newest) if at < newest => {}
            Some(newest) if at == newest => {
                self.at_newest.insert(t.id);
            }
            _ => {
                self.newest = Some(at.to_string());
                self.at_newest = HashSet::from([t.id]);
            }
        }
    }

    /// Page 300 announced a next page: start again from the newest `updated_at`.
    fn start_next_run(&mut self) -> Result<(), Error> {
        if self.cursor.is_none() {
            return Err(Error::Invalid(
                "the ticket list has more than 300 pages, Freshdesk's limit; set \
                 updated_since to walk past it"
                    .into(),
            ));
        }
        if self.newest == self.cursor {
            return Err(Error::Invalid(format!(
                "more than 300 pages of tickets share updated_at {}; the list cannot \
                 go further",
                self.newest.as_deref().unwrap_or("?")
            )));
        }
        self.cursor = self.newest.clone();
        self.skip = std::mem::take(&mut self.at_newest);
        self.at_newest = self.skip.clone();
        self.next = None;
        self.pages_in_run = 0;
        tracing::debug!(cursor = ?self.cursor, "ticket list: 300 pages read; moving updated_since on");
        Ok(())
    }
}

impl Client {
    /// The pages of `GET /tickets` for `query`, one request per page.
    pub fn ticket_pages(&self, query: &TicketQuery) -> TicketPages<'_> {
        TicketPages {
            client: self,
            query: query.clone(),
            cursor: query.updated_since.clone(),
            next: None,
            started: false,
            pages_in_run: 0,
            skip: HashSet::new(),
            newest: None,
            at_newest: HashSet::new(),
        }
    }

    /// Every ticket `query` selects, each once (its newest version when it changed
    /// during the walk). With `updated_since` it goes past the 300-page cap;
    /// without it, more than 300 pages is an [`Error::Invalid`].
    #[tracing::instrument(skip(self))]
    pub async fn list_tickets(&self, query: &TicketQuery) -> Result<Vec<Ticket>, Error> {
        let mut pages = self.ticket_pages(query);
        let mut tickets: Vec<Ticket> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        while let Some(page) = pages.next_page().await? {
            for t in page {
                match index.get(&t.id) {
                    Some(&i) => tickets[i] = t,
                    None => {
                        index.insert(t.id, tickets.len());
                        tickets.push(t);
                    }
                }
            }
        }
        Ok(tickets)
    }
}
