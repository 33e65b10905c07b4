//! Typed Freshdesk v2 client.
pub mod types;
