//! A scenario file with any content, and any playbook list.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let known: Vec<String> = ["classic", "pending"].iter().map(|s| s.to_string()).collect();
    let _ = ticketsim::content::Selection::parse(text, &known);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.json"), text).unwrap();
    let _ = ticketsim::content::Library::load(Some(dir.path()));
});
