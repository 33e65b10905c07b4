//! A scripted stand-in for Freshdesk, for the client's tests: an axum server on
//! 127.0.0.1:0 that records every request and answers from a queue of replies.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tokio::time::Instant;

use super::{ApiKey, Client, ClientConfig};

pub(crate) const KEY: &str = "sEcReTkEy123";

/// One request as the stub saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub method: String,
    /// Path and query, e.g. `/api/v2/tickets?per_page=100`.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Seen {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// One scripted answer.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    /// Never answer (to provoke timeouts).
    hang: bool,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            hang: false,
        }
    }

    pub fn json(status: u16, value: serde_json::Value) -> Reply {
        Reply::new(status, value.to_string())
    }

    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::new(200, "")
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<Reply>>,
    seen: Mutex<Vec<Seen>>,
}

pub(crate) struct Stub {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Stub {
    pub async fn start() -> Stub {
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Stub { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues answers, used in order by the next requests.
    pub fn push(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.replies.lock().unwrap().extend(replies);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Test defaults: a generous budget and short backoff.
    pub fn config(&self) -> ClientConfig {
        ClientConfig {
            rate_per_min: 6000,
            ..ClientConfig::new(self.url(), ApiKey::new(KEY))
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.config()).unwrap()
    }
}

async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    shared.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        headers: parts.headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    let reply = shared.replies.lock().unwrap().pop_front();
    let reply = reply.unwrap_or_else(|| Reply::new(599, r#"{"message":"no scripted reply"}"#));
    if reply.hang {
        std::future::pending::<()>().await;
    }
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}
