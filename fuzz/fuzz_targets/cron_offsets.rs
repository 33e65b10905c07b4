//! The cron, offset and duration parsers on any text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = ticketsim::cron::parse(text);
    let _ = ticketsim::domain::StageOffsets::parse(text);
    let _ = ticketsim::domain::parse_duration(text);
});
