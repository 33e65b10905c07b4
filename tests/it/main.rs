//! One integration binary with a shared harness: real SQLite files, the real
//! client against the real emulator over loopback, and real processes for the
//! crash and configuration tests.

mod admin;
mod adoption;
mod bad_input;
mod client;
mod crash_suite;
mod databases;
mod disk_faults;
mod emulator_cli;
mod engine;
mod export;
mod fault_suite;
mod first_hour;
mod guards;
mod harness;
mod invariants;
mod late_write;
mod lifecycle;
mod load;
mod playbooks;
mod process;
mod properties;
mod purge;
mod read_only_disk;
mod restart;
mod secrets;
mod spawn_cap;
mod systemd;
mod training;
mod watchdog;
