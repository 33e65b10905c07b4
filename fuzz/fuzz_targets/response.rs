//! The client's response types decoded from any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ticketsim::freshdesk::types::{Agent, Contact, Conversation, Ticket, TimeEntry};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Ticket>(data);
    let _ = serde_json::from_slice::<Vec<Ticket>>(data);
    let _ = serde_json::from_slice::<Conversation>(data);
    let _ = serde_json::from_slice::<Contact>(data);
    let _ = serde_json::from_slice::<Agent>(data);
    let _ = serde_json::from_slice::<TimeEntry>(data);
});
