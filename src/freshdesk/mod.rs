//! Typed Freshdesk v2 client: every action of the integration guide, wire types,
//! errors, the account-wide rate budget and retries.
//!
//! Freshdesk has no idempotency keys, so the client never repeats a POST whose
//! outcome is uncertain; it says so through [`Error::outcome_uncertain`], and the
//! dispatcher looks before sending again. GETs and set-style PUTs are repeated here.
//!
//! | file | actions |
//! |---|---|
//! | `tickets.rs` | create, update, assign, change status, view with embeds, delete, restore |
//! | `listing.rs` | ticket list with filters and the `updated_since` cursor past 300 pages |
//! | `conversations.rs` | reply, note, conversation list, time entries |
//! | `people.rs` | contacts (create with 409 → existing id, update, list), agents, groups |
//! | `search.rs` | ticket and contact search with a typed query builder |
//! | `bulk.rs` | bulk update and its job |
//! | `fields.rs` | ticket fields, custom-field mapping |

mod bodies;
mod budget;
mod bulk;
mod client;
mod config;
mod conversations;
mod dry_run;
mod error;
mod fields;
mod listing;
mod observe;
mod people;
mod retry;
mod search;
mod sent;
mod ticket_bodies;
mod tickets;
mod transport;
pub mod types;
mod wire;

pub use budget::Lane;
pub use bulk::MAX_BULK_IDS;
pub use client::Client;
pub use config::{ApiKey, ClientConfig};
pub use error::Error;
pub use fields::{CustomFieldMap, TicketFields};
pub use listing::{ListInclude, TicketFilter, TicketOrder, TicketPages, TicketQuery};
pub use observe::{Observed, Observer, ObserverHook, template as path_template};
pub use people::{ContactQuery, ContactState};
pub use search::{MAX_QUERY_CHARS, SearchOp, SearchQuery, SearchValue};
pub use sent::track_writes;
pub use types::*;
pub use wire::{Answer, InProcess, LocalServer};

#[cfg(test)]
mod action_tests;
#[cfg(test)]
mod client_error_tests;
#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod query_tests;
#[cfg(test)]
mod stub;
