//! One request, start to finish: wait for the budget, send, classify the answer,
//! and repeat what may be repeated.
//!
//! The API key lives only in the prepared `Authorization` header value, which is
//! marked sensitive (hidden from `Debug`). Errors are built from statuses and bodies,
//! and reqwest errors are stripped of their URL, so no secret can leak through them.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{HeaderMap, HeaderValue, LINK};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use super::budget::{Budget, Grant, Lane, RateHeaders};
use super::config::{ApiKey, ClientConfig};
use super::error::Error;
use super::observe::{Observed, ObserverHook, template};
use super::retry::{Policy, backoff};
use super::wire::Wire;

/// A `Retry-After` longer than this is returned to the caller instead of waited out.
const MAX_IN_PLACE_WAIT: Duration = Duration::from_secs(3600);
/// Used when a 429 carries no readable `Retry-After`: one full window.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Consecutive 429s one request waits out before it gives up with `RateLimited`, so
/// that a stuck account shows up as an error instead of a silent hang.
const MAX_RATE_LIMITED_WAITS: u32 = 10;

/// One request as the client means it; `what` names the target in 404 messages.
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub body: Option<Vec<u8>>,
    pub lane: Lane,
    pub policy: Policy,
    pub what: String,
    /// Rate-limit credits the call costs (1, more with `include`).
    pub cost: u32,
    /// A status that, answered to a repeated attempt, means an earlier attempt took
    /// effect: 405 to a second DELETE, 404 to a second restore.
    pub ok_on_repeat: Option<u16>,
}

/// A decoded success and the next page, if Freshdesk announced one.
pub(crate) struct Page<T> {
    pub value: T,
    pub next: Option<Url>,
}

/// Why one attempt did not succeed.
enum Failure {
    /// 429: not processed by Freshdesk; wait and send again.
    RateLimited(Duration),
    Failed(Error),
}

pub(crate) struct Transport {
    wire: Wire,
    /// Normalized base URL (no `/api/v2`), also the origin every request goes to.
    base: Url,
    base_display: String,
    auth: HeaderValue,
    budget: Budget,
    max_attempts: u32,
    backoff_base: Duration,
    backoff_cap: Duration,
    dry_run: bool,
    observer: Option<ObserverHook>,
}

impl Transport {
    pub(crate) fn new(cfg: &ClientConfig, base: Url) -> Result<Transport, Error> {
        let wire = match &cfg.in_process {
            Some(server) => Wire::local(server.clone(), cfg.request_timeout, &base),
            None => Wire::net(cfg.connect_timeout, cfg.request_timeout)?,
        };
        let base_display = base.as_str().trim_end_matches('/').to_string();
        Ok(Transport {
            wire,
            base,
            base_display,
            auth: auth_header(&cfg.api_key)?,
            budget: if cfg.budget_off {
                Budget::unlimited()
            } else {
                Budget::new(cfg.rate_per_min)
            },
            max_attempts: cfg.max_attempts.max(1),
            backoff_base: cfg.backoff_base,
            backoff_cap: cfg.backoff_cap,
            dry_run: cfg.dry_run,
            observer: cfg.observer.clone(),
        })
    }

    pub(crate) fn base_display(&self) -> &str {
        &self.base_display
    }

    pub(crate) fn budget(&self) -> &Budget {
        &self.budget
    }

    /// `<base>/api/v2/<path>` with the given query pairs.
    pub(crate) fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, Error> {
        let joined = format!("{}/api/v2/{path}", self.base_display);
        let mut url = Url::parse(&joined)
            .map_err(|e| Error::Config(format!("cannot build a URL for {path}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Sends `req` until it succeeds or may not be repeated, waiting out 429s.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        req: &Request,
    ) -> Result<Page<T>, Error> {
        if self.dry_run && req.method != Method::GET {
            return Err(super::dry_run::refuse_write(req));
        }
        let mut failures = 0u32;
        let mut waits = 0u32;
        loop {
            let grant = self.budget.acquire(req.lane, req.cost).await;
            if req.method != Method::GET {
                super::sent::note_write();
            }
            let error = match self.attempt(req, grant).await {
                Ok(page) => return Ok(page),
                Err(Failure::RateLimited(retry_after)) => {
                    waits += 1;
                    self.pause_for_429(req, retry_after, waits)?;
                    continue;
                }
                Err(Failure::Failed(error)) => error,
            };
            if failures > 0 && req.ok_on_repeat.is_some() && error.status() == req.ok_on_repeat {
                tracing::info!(
                    path = req.url.path(),
                    status = error.status(),
                    "a repeated request found its earlier attempt had taken effect"
                );
                return decode(req, b"").map(|value| Page { value, next: None });
            }
            failures += 1;
            if !req.policy.allows(&error) || failures >= self.max_attempts {
                return Err(error);
            }
            self.back_off(req, failures, &error).await;
        }
    }

    /// Pauses the whole budget for a 429, unless the wait is absurd or keeps
    /// coming back; then the caller gets [`Error::RateLimited`] to retry later.
    fn pause_for_429(&self, req: &Request, retry_after: Duration, waits: u32) -> Result<(), Error> {
        if retry_after > MAX_IN_PLACE_WAIT || waits > MAX_RATE_LIMITED_WAITS {
            return Err(Error::RateLimited { retry_after });
        }
        tracing::warn!(
            path = req.url.path(),
            "Rate limit exceeded: waiting {} s (Retry-After); all requests pause",
            retry_after.as_secs()
        );
        self.budget.on_rate_limited(retry_after);
        Ok(())
    }

    /// Sleeps a jittered, capped, exponentially growing delay before attempt
    /// `failures + 1`.
    async fn back_off(&self, req: &Request, failures: u32, error: &Error) {
        let delay = backoff(
            failures - 1,
            self.backoff_base,
            self.backoff_cap,
            &mut rand::rng(),
        );
        tracing::warn!(
            attempt = failures,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            path = req.url.path(),
            error = %error,
            "Freshdesk request failed; retrying"
        );
        tokio::time::sleep(delay).await;
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        req: &Request,
        grant: Grant,
    ) -> Result<Page<T>, Failure> {
        tracing::debug!(method = %req.method, path = req.url.path(), "Freshdesk request");
        let sent = std::time::Instant::now();
        let reply = self.wire.send(req, &self.auth).await;
        let status = reply.as_ref().map_or(0, |r| r.status().as_u16());
        let waited = (status == 429)
            .then(|| reply.as_ref().ok().map(|r| retry_after(r.headers())))
            .flatten();
        self.tell_observer(req, status, sent.elapsed(), waited);
        let reply = reply.map_err(Failure::Failed)?;
        let status = reply.status();
        let headers = reply.headers().clone();
        self.observe_rate_headers(&headers, grant);
        if status.as_u16() == 429 {
            return Err(Failure::RateLimited(retry_after(&headers)));
        }
        let body = match reply.body().await {
            Ok(body) => body,
            Err(e) if status.is_success() => return Err(Failure::Failed(e)),
            Err(_) => Default::default(),
        };
        if !status.is_success() {
            let error = Error::from_response(status.as_u16(), &body, &self.base_display, &req.what);
            return Err(Failure::Failed(error));
        }
        Ok(Page {
            value: decode(req, &body).map_err(Failure::Failed)?,
            next: self.next_page(&headers),
        })
    }

    fn tell_observer(
        &self,
        req: &Request,
        status: u16,
        latency: Duration,
        retry_after: Option<Duration>,
    ) {
        if let Some(hook) = &self.observer {
            hook.0.observe(&Observed {
                method: req.method.to_string(),
                template: template(req.url.path()),
                status,
                latency,
                retry_after,
            });
        }
    }

    fn observe_rate_headers(&self, headers: &HeaderMap, grant: Grant) {
        let number = |name: &str| {
            let text = headers.get(name)?.to_str().ok()?;
            let n: i64 = text.trim().parse().ok()?;
            Some(u32::try_from(n.max(0)).unwrap_or(u32::MAX))
        };
        if let (Some(total), Some(remaining)) =
            (number("x-ratelimit-total"), number("x-ratelimit-remaining"))
        {
            let used = number("x-ratelimit-used-currentrequest");
            let headers = RateHeaders {
                total,
                remaining,
                used,
            };
            self.budget.observe(headers, grant);
        }
    }

    /// The `rel="next"` link, always sent to our own origin: a `Link` pointing at
    /// another host must not receive the key.
    fn next_page(&self, headers: &HeaderMap) -> Option<Url> {
        let value = headers.get(LINK)?.to_str().ok()?;
        let target = next_link(value)?;
        let link = self.base.join(target).ok()?;
        let mut url = self.base.clone();
        url.set_path(link.path());
        url.set_query(link.query());
        Some(url)
    }
}

/// Parses a success body; an empty one (204) reads as JSON `null`, i.e. `()`.
fn decode<T: DeserializeOwned>(req: &Request, body: &[u8]) -> Result<T, Error> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        &b"null"[..]
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        Error::Decode(format!(
            "{} {} answered with a body that does not parse: {e}",
            req.method,
            req.url.path()
        ))
    })
}

/// `Basic base64("<key>:X")`, marked sensitive so that it never shows in `Debug`.
fn auth_header(key: &ApiKey) -> Result<HeaderValue, Error> {
    let encoded = STANDARD.encode(format!("{}:X", key.expose()));
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
        .map_err(|_| Error::Config("the API key cannot be sent in a header".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs)
}

/// The target of the `rel="next"` entry of a `Link` header value. Targets may hold
/// commas (`include=requester,stats`), so entries are found by their `<...>`.
pub(crate) fn next_link(value: &str) -> Option<&str> {
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
        let is_next = rest[close + 1..params_end].split(';').any(|param| {
            let param = param.trim().trim_end_matches(',').trim();
            param.strip_prefix("rel=").is_some_and(|rel| {
                rel.trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target);
        }
        rest = &rest[params_end..];
    }
    None
}

#[cfg(test)]
#[path = "transport_tests.rs"]
mod tests;
