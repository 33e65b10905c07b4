//! The emulator served inside the process (`load --emulator`): the real client
//! reaches its routes through the same pipeline (auth, limits, request log,
//! headers) as over a socket.

use std::sync::Arc;

use crate::clock::ManualClock;
use crate::emulator::{Emulator, EmulatorConfig};
use crate::freshdesk::{ApiKey, Client, ClientConfig, Error};

use super::T0;
use super::faults::new_ticket;

fn in_process_client(emu: &Emulator, key: &str) -> Client {
    let mut cfg = ClientConfig::new("http://localhost", ApiKey::new(key));
    cfg.rate_per_min = 100_000;
    cfg.in_process = Some(emu.in_process());
    Client::new(cfg).unwrap()
}

#[tokio::test]
async fn the_client_reaches_the_routes_in_process_through_the_whole_pipeline() {
    let emu = Emulator::new(EmulatorConfig::default(), Arc::new(ManualClock::new(T0)));
    let s = super::start_with_emulator(emu.clone()).await;
    let client = in_process_client(&emu, emu.api_key());
    let made = client.create_ticket(&new_ticket(&s)).await.unwrap();
    let read = client.get_ticket(made.id).await.unwrap();
    assert_eq!((read.id, read.subject), (made.id, made.subject));
    assert!(matches!(
        client.get_ticket(made.id + 100).await,
        Err(Error::NotFound { .. })
    ));
    let wrong = in_process_client(&emu, "not-the-key");
    assert!(matches!(
        wrong.get_ticket(made.id).await,
        Err(Error::Auth { .. })
    ));
    let log: Vec<(String, String, u16)> = emu
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.status))
        .collect();
    assert_eq!(
        log,
        [
            ("POST".into(), "/api/v2/tickets".into(), 201),
            ("GET".into(), format!("/api/v2/tickets/{}", made.id), 200),
            (
                "GET".into(),
                format!("/api/v2/tickets/{}", made.id + 100),
                404
            ),
            ("GET".into(), format!("/api/v2/tickets/{}", made.id), 401),
        ],
        "every request went through the emulator's pipeline, in order"
    );
}
