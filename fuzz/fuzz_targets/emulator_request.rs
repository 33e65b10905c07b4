//! Any body POSTed to the emulator's ticket, reply, note and contact routes:
//! an answer below 500, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const PATHS: [&str; 4] = ["/api/v2/tickets", "/api/v2/tickets/1/reply", "/api/v2/tickets/1/notes", "/api/v2/contacts"];

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    let req = axum::http::Request::post(PATHS[which as usize % PATHS.len()])
        .header("content-type", "application/json")
        .header("authorization", "Basic azpY") // "k:X"
        .body(axum::body::Body::from(body.to_vec()))
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _guard = rt.enter();
    let cfg = ticketsim::emulator::EmulatorConfig { api_key: "k".into(), ..Default::default() };
    let clock = std::sync::Arc::new(ticketsim::clock::ManualClock::new(1_767_225_600_000));
    let emu = ticketsim::emulator::Emulator::new(cfg, clock);
    let status = rt.block_on(async move { emu.router().oneshot(req).await }).unwrap().status();
    assert!(status.as_u16() < 500, "{status}");
});
