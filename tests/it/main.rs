//! One integration binary with a shared harness: real SQLite files, the real
//! client against the real emulator over loopback, and real processes for the
//! crash and configuration tests.

mod client;
mod emulator_cli;
mod first_hour;
mod guards;
mod harness;
mod lifecycle;
mod playbooks;
mod process;
mod purge;
mod restart;
mod systemd;
