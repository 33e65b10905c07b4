//! One integration binary with a shared harness: real SQLite files, the real
//! client against the real emulator over loopback, and real processes for the
//! crash and configuration tests.

mod adoption;
mod client;
mod emulator_cli;
mod first_hour;
mod harness;
mod late_write;
mod lifecycle;
mod load;
mod playbooks;
mod process;
mod restart;
