//! Every configuration variable set to the input: an error or a config, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

const VARS: [&str; 11] = [
    "FRESHDESK_URL", "TICKETSIM_CREATE_CRON", "TICKETSIM_STAGE_OFFSETS",
    "TICKETSIM_RATE_PER_MIN", "TICKETSIM_CONNECT_TIMEOUT", "TICKETSIM_REQUEST_TIMEOUT",
    "TICKETSIM_SEED", "TICKETSIM_PLAYBOOKS", "TICKETSIM_CATCHUP_WINDOW",
    "TICKETSIM_CUSTOM_FIELDS", "TICKETSIM_TAG",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(value) = std::str::from_utf8(rest) else { return };
    let mut env = std::collections::HashMap::new();
    env.insert("FRESHDESK_URL".to_string(), "https://acme.freshdesk.com".to_string());
    env.insert("FRESHDESK_API_KEY".to_string(), "k".to_string());
    env.insert(VARS[which as usize % VARS.len()].to_string(), value.to_string());
    let _ = ticketsim::config::Config::from_env(&env, None);
});
