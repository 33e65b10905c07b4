//! End-to-end tests: a real server on 127.0.0.1:0, driven with reqwest and a
//! `ManualClock`, so every timestamp is known and nothing sleeps.

mod admin;
mod bulk;
mod contacts;
mod conversations;
mod faults;
mod fields;
mod fixtures;
mod in_process;
mod late_write;
mod limits;
mod listing;
mod people;
mod persist;
mod search;
mod strictness;
mod tickets;
mod time_entries;
mod validation;

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::{Method, Response};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::{Emulator, EmulatorConfig};
use crate::clock::{ManualClock, UnixMs};
use crate::freshdesk::types::{Contact, Ticket};

/// 2023-11-14T22:13:20Z.
pub(super) const T0: UnixMs = 1_700_000_000_000;
pub(super) const T0_ISO: &str = "2023-11-14T22:13:20Z";

/// A running emulator; it stops when dropped.
pub(super) struct Server {
    pub emu: Emulator,
    pub clock: ManualClock,
    pub base: String,
    client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

pub(super) async fn start() -> Server {
    start_with(EmulatorConfig::default()).await
}

pub(super) async fn start_with(cfg: EmulatorConfig) -> Server {
    let clock = ManualClock::new(T0);
    let emu = Emulator::new(cfg, Arc::new(clock.clone()));
    serve(emu, clock).await
}

/// Serves an emulator built elsewhere (its own clock is not steppable).
pub(super) async fn start_with_emulator(emu: Emulator) -> Server {
    serve(emu, ManualClock::new(T0)).await
}

async fn serve(emu: Emulator, clock: ManualClock) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(emu.clone().serve(listener, async {
        let _ = stopped.await;
    }));
    Server {
        emu,
        clock,
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        _stop: stop,
    }
}

impl Server {
    /// A request with the right key; `path` may carry a query string.
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .basic_auth(self.emu.api_key(), Some("X"))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.req(Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.req(Method::PUT, path)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path).send().await.unwrap()
    }

    /// Any call, for tables: `(status, JSON body or Null, raw body text)`.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.req(method, path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let allow = header(&resp, "allow");
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            json,
            text,
            allow,
        }
    }

    /// The same call without credentials must be 401 `invalid_credentials`.
    pub async fn assert_needs_auth(&self, method: &str, path: &str) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let resp = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(resp).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(body["code"], "invalid_credentials", "{path}");
    }

    /// The first seeded contact.
    pub fn customer(&self) -> Contact {
        self.emu.contacts().remove(0)
    }

    /// The agent the key belongs to.
    pub fn owner_id(&self) -> i64 {
        self.emu.agents()[0].id
    }

    /// Creates a valid ticket for the first contact, with `extra` merged in.
    pub async fn create_ticket(&self, extra: Value) -> Ticket {
        let mut body = json!({
            "subject": "Printer on fire",
            "description": "<p>It is <b>really</b> on fire.</p>",
            "status": 2,
            "priority": 1,
            "requester_id": self.customer().id,
        });
        // `null` in `extra` removes the key instead.
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                if v.is_null() {
                    b.remove(k);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        let resp = self.post("/api/v2/tickets", body).await;
        assert_eq!(resp.status(), 201);
        resp.json().await.unwrap()
    }
}

/// One refused call: `(method, path, body, status, error field, message)`;
/// field and message are "" where the body has none (404, 405's field).
pub(super) type Refusal = (
    &'static str,
    String,
    Option<Value>,
    u16,
    &'static str,
    &'static str,
);

/// Runs each call and checks status, first error field and message (or the
/// `message` of a request or base error), empty 404 bodies and `Allow: GET`.
pub(super) async fn expect_refusals(s: &Server, cases: Vec<Refusal>) {
    for (method, path, body, status, field, message) in cases {
        let a = s.call(method, &path, body.clone()).await;
        assert_eq!(a.status, status, "{method} {path} {body:?}: {}", a.text);
        let e = &a.json["errors"][0];
        let got = e["message"].as_str().or(a.json["message"].as_str());
        let got_field = e["field"].as_str().unwrap_or("");
        assert_eq!(
            (got_field, got.unwrap_or("")),
            (field, message),
            "{method} {path}"
        );
        if status == 404 {
            assert_eq!(a.text, "", "404 bodies are empty");
        }
        if status == 405 {
            assert_eq!(a.allow, "GET");
        }
    }
}

/// What [`Server::call`] got back.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: u16,
    pub json: Value,
    pub text: String,
    /// The `Allow` header ("" when absent).
    pub allow: String,
}

/// Status and JSON body of a response.
pub(super) async fn status_json(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// A header as a string ("" when absent).
pub(super) fn header(resp: &Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The single validation error of a 400 body, as `(field, message, code)`.
pub(super) fn only_error(body: &Value) -> (String, String, String) {
    assert_eq!(body["description"], "Validation failed", "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    let s = |k: &str| errors[0][k].as_str().unwrap_or_default().to_owned();
    (s("field"), s("message"), s("code"))
}

/// The real records in `fixtures/freshdesk/<name>`.
pub(super) fn fixture(name: &str) -> Vec<Value> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var("TICKETSIM_FIXTURES").map(PathBuf::from).ok(),
        Some(manifest.join("tests/fixtures/freshdesk")),
        Some(manifest.join("../shared/fixtures/freshdesk")),
        Some(manifest.join("../../shared/fixtures/freshdesk")),
    ];
    let dir = candidates
        .into_iter()
        .flatten()
        .find(|d| d.join(name).exists())
        .expect("fixtures/freshdesk not found; set TICKETSIM_FIXTURES");
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}
