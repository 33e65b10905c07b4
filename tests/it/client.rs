//! The real client against the real emulator over loopback, one action at a time:
//! the request it sends (method, path, JSON types, from the emulator's request
//! log), the answer it decodes, and a 4xx turned into its readable error. Time is
//! tokio's paused clock, which the emulator reads too, so waits cost nothing.
//!
//! `faults.rs` runs every action under the emulator's injected 429 bursts, 5xx
//! and hangs; `resilience.rs` meets its real fixed window; `check.rs` runs
//! `ticketsim check` as a process.

mod check;
mod conversations;
mod faults;
mod listing;
mod people;
mod records;
mod resilience;
mod search_bulk;
mod tickets;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use ticketsim::clock::{Clock, UnixMs};
use ticketsim::emulator::{Emulator, EmulatorConfig, RequestLogEntry};
use ticketsim::freshdesk::{ApiKey, Client, ClientConfig, CreateTicket, Ticket};

use crate::harness::{API_KEY, T0, emulator_config};

/// The emulator's clock follows tokio's, so `start_paused` tests move both.
#[derive(Clone)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    pub fn new() -> TokioClock {
        TokioClock {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> UnixMs {
        T0 + self.origin.elapsed().as_millis() as i64
    }
}

/// An emulator on a free loopback port, and clients for it.
pub struct Fd {
    pub emulator: Emulator,
    pub url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Fd {
    pub async fn start() -> Fd {
        Fd::start_with(emulator_config()).await
    }

    pub async fn start_with(cfg: EmulatorConfig) -> Fd {
        let clock = Arc::new(TokioClock::new());
        let (emulator, url, stop) = crate::harness::spawn_emulator(cfg, clock).await;
        Fd {
            emulator,
            url,
            _stop: stop,
        }
    }

    pub fn config(&self) -> ClientConfig {
        ClientConfig {
            rate_per_min: 100_000,
            backoff_base: Duration::from_millis(100),
            ..ClientConfig::new(&self.url, ApiKey::new(API_KEY))
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.config()).unwrap()
    }

    /// The last request the emulator logged.
    pub fn last(&self) -> RequestLogEntry {
        self.emulator
            .requests()
            .pop()
            .expect("a request was logged")
    }

    /// The JSON body of the last request.
    pub fn last_body(&self) -> Value {
        self.last().body.expect("the last request had a JSON body")
    }

    /// `(method, path, query)` of the last request.
    pub fn last_line(&self) -> (String, String, Option<String>) {
        let r = self.last();
        (r.method, r.path, r.query)
    }

    pub fn contact_ids(&self) -> Vec<i64> {
        self.emulator.contacts().iter().map(|c| c.id).collect()
    }

    pub fn agent_ids(&self) -> Vec<i64> {
        self.emulator.agents().iter().map(|a| a.id).collect()
    }

    /// A ticket for the first seeded contact, made through the client.
    pub async fn ticket(&self, client: &Client, subject: &str) -> Ticket {
        client
            .create_ticket(&new_ticket(self.contact_ids()[0], subject))
            .await
            .unwrap()
    }
}

pub fn new_ticket(requester_id: i64, subject: &str) -> CreateTicket {
    CreateTicket {
        subject: subject.into(),
        description: "<p>The printer is on fire.</p>".into(),
        status: 2,
        priority: 1,
        requester_id: Some(requester_id),
        ..CreateTicket::default()
    }
}

/// Asserts the JSON type of each key of `body`: "i", "s", "b", "a", "o".
pub fn assert_types(body: &Value, expected: &[(&str, &str)]) {
    for (key, kind) in expected {
        let v = &body[key];
        let ok = match *kind {
            "i" => v.is_i64(),
            "s" => v.is_string(),
            "b" => v.is_boolean(),
            "a" => v.is_array(),
            "o" => v.is_object(),
            _ => unreachable!("unknown kind {kind}"),
        };
        assert!(ok, "{key} should be {kind} in {body}");
    }
}
