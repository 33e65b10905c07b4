//! How a request reaches Freshdesk: over the network with reqwest, or, for
//! `load --emulator`, handed to a server in this process ([`InProcess`]) as an
//! `http::Request` with the same method, path, headers and JSON body, and
//! answered with an `http::Response`, with no socket between them. Everything
//! around the exchange (budget, retries, classifying, decoding) is the same
//! for both.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};

use super::error::Error;
use super::transport::Request;

/// The future a [`LocalServer`] answers with.
pub type Answer = Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, String>> + Send>>;

/// A Freshdesk stand-in served inside this process.
pub trait LocalServer: Send + Sync {
    /// Answers one request; an `Err` is a failure to answer at all (read as a
    /// broken connection would be).
    fn answer(&self, request: http::Request<Bytes>) -> Answer;
}

/// Requests go to this server instead of over the network (see [`super::ClientConfig`]).
#[derive(Clone)]
pub struct InProcess(pub Arc<dyn LocalServer>);

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcess")
    }
}

pub(crate) enum Wire {
    Net(reqwest::Client),
    /// The server, the timeout of a whole request, and the `Host` every
    /// request names (all go to the base URL's origin).
    Local(InProcess, Duration, Option<HeaderValue>),
}

/// A response whose headers have arrived; the body is read with [`Reply::body`].
pub(crate) enum Reply {
    Net(reqwest::Response),
    Local(http::Response<Bytes>),
}

impl Reply {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Reply::Net(r) => r.status(),
            Reply::Local(r) => r.status(),
        }
    }

    pub(crate) fn headers(&self) -> &HeaderMap {
        match self {
            Reply::Net(r) => r.headers(),
            Reply::Local(r) => r.headers(),
        }
    }

    pub(crate) async fn body(self) -> Result<Bytes, Error> {
        match self {
            Reply::Net(r) => r.bytes().await.map_err(transport_error),
            Reply::Local(r) => Ok(r.into_body()),
        }
    }
}

impl Wire {
    pub(crate) fn net(connect: Duration, whole: Duration) -> Result<Wire, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(whole)
            // A redirect would be a misconfiguration (custom domain, http), never a
            // reason to send the key somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ticketsim/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Wire::Net(http))
    }

    /// Requests handed to `server` in this process, for the origin of `base`.
    pub(crate) fn local(server: InProcess, whole: Duration, base: &Url) -> Wire {
        let host = base.host_str().and_then(|h| {
            let host = match base.port() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_string(),
            };
            HeaderValue::from_str(&host).ok()
        });
        Wire::Local(server, whole, host)
    }

    /// Sends `req` once and waits for the response's headers.
    pub(crate) async fn send(&self, req: &Request, auth: &HeaderValue) -> Result<Reply, Error> {
        match self {
            Wire::Net(http) => {
                let mut builder = http
                    .request(req.method.clone(), req.url.clone())
                    .header(AUTHORIZATION, auth.clone())
                    .header(ACCEPT, "application/json");
                if let Some(body) = &req.body {
                    builder = builder
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.clone());
                }
                builder
                    .send()
                    .await
                    .map(Reply::Net)
                    .map_err(transport_error)
            }
            Wire::Local(server, whole, host) => {
                let request = local_request(req, auth, host.as_ref())?;
                match tokio::time::timeout(*whole, server.0.answer(request)).await {
                    Ok(Ok(response)) => Ok(Reply::Local(response)),
                    Ok(Err(e)) => Err(Error::Transport(e)),
                    Err(_) => Err(Error::Timeout),
                }
            }
        }
    }
}

/// The request as it would arrive over HTTP/1.1 (the `Host` header included).
fn local_request(
    req: &Request,
    auth: &HeaderValue,
    host: Option<&HeaderValue>,
) -> Result<http::Request<Bytes>, Error> {
    let path_and_query = match req.url.query() {
        Some(q) => format!("{}?{q}", req.url.path()),
        None => req.url.path().to_string(),
    };
    let mut builder = http::Request::builder()
        .method(req.method.clone())
        .uri(path_and_query)
        .header(AUTHORIZATION, auth.clone())
        .header(ACCEPT, "application/json");
    if let Some(host) = host {
        builder = builder.header(HOST, host.clone());
    }
    let body = match &req.body {
        Some(body) => {
            builder = builder.header(CONTENT_TYPE, "application/json");
            Bytes::from(body.clone())
        }
        None => Bytes::new(),
    };
    builder
        .body(body)
        .map_err(|e| Error::Config(format!("cannot build a request for {}: {e}", req.what)))
}

/// Classifies a failed send. A connect error means nothing was sent; anything later
/// (timeouts, resets, broken bodies) leaves the outcome unknown.
fn transport_error(e: reqwest::Error) -> Error {
    let e = e.without_url();
    if e.is_connect() {
        Error::Connect(root_cause(&e))
    } else if e.is_timeout() {
        Error::Timeout
    } else {
        Error::Transport(error_chain(&e))
    }
}

/// The innermost cause ("Connection refused (os error 111)", "failed to lookup
/// address information: ..."): what the operator can act on.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(inner) = current.source() {
        current = inner;
    }
    current.to_string()
}

/// "outer: inner: innermost", skipping repeats.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}
