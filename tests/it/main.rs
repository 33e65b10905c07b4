//! One integration binary with a shared harness: real SQLite files, the real
//! client against the real emulator over loopback, and real processes for the
//! crash and configuration tests.

mod adoption;
mod client;
mod databases;
mod emulator_cli;
mod engine;
mod export;
mod first_hour;
mod guards;
mod harness;
mod late_write;
mod lifecycle;
mod load;
mod playbooks;
mod process;
mod purge;
mod restart;
mod systemd;
