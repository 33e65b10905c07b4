//! ticketsim: keeps a Freshdesk helpdesk alive with simulated support traffic.
//!
//! Module map (arrows point from a module to what it may use; nothing points up):
//!
//! - [`cli`] → [`app`]: argument parsing and one small function per subcommand.
//! - [`app`]: wiring only; builds everything from a [`config::Config`] and runs it.
//! - [`config`]: environment → typed, validated configuration.
//! - [`telemetry`]: tracing-subscriber setup.
//! - [`cron`]: cron expressions (parse, validate, next occurrence); a leaf.
//! - [`clock`]: the `Clock` trait, `SystemClock`, `ManualClock`.
//! - [`domain`]: pure lifecycle rules (stages, states, timing); no I/O.
//! - [`store`]: the only module that writes SQL.
//! - [`freshdesk`]: typed HTTP client, wire types, errors, rate budget.
//! - [`content`]: seeded conversation text.
//! - [`dispatcher`]: claims due steps, performs them, commits outcomes.
//! - [`triggers`]: cron → slot rows (the only user of tokio-cron-scheduler).
//! - [`emulator`]: a Freshdesk-compatible server (axum).
//! - [`metrics`]: the Prometheus registry and families (→ [`freshdesk`]'s observer trait only).
//! - [`http`]: admin endpoints (axum); serves what it is given as values and
//!   traits, imports no engine.
//! - [`http`]: admin endpoints, e.g. `POST /webhooks/freshdesk`; takes an inbox sink.
//! - [`training`] → {store, freshdesk, content, domain}: the simulated customer
//!   answering real trainee agents (inbox, reactions, chases, grading).

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod cron;
pub mod dispatcher;
pub mod domain;
pub mod emulator;
pub mod freshdesk;
pub mod http;
pub mod load;
pub mod metrics;
pub mod store;
pub mod telemetry;
pub mod training;
pub mod triggers;
