//! Typed Freshdesk v2 client: wire types, errors, the account-wide rate budget and
//! retries.
//!
//! Freshdesk has no idempotency keys, so the client never repeats a POST whose
//! outcome is uncertain; it says so through [`Error::outcome_uncertain`], and the
//! dispatcher looks before sending again. GETs and set-style PUTs are repeated here.

mod budget;
mod client;
mod config;
mod error;
mod retry;
mod transport;
pub mod types;

pub use budget::Lane;
pub use client::Client;
pub use config::{ApiKey, ClientConfig};
pub use error::Error;
pub use types::*;

#[cfg(test)]
mod client_error_tests;
#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod stub;
