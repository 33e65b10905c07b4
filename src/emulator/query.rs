//! Query strings: strict parameter names, typed values, pages and the `Link`
//! header (freshdesk-api.md §2.4, §5).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::ctx::Ctx;
use super::error::{ApiError, field_error, json_response};
use super::validate::{BAD_DATE, BAD_EMAIL, INVALID_FIELD, INVALID_VALUE, UNEXPECTED, is_email};
use crate::clock::{UnixMs, parse_iso};
use crate::freshdesk::types::FieldError;

pub(crate) const DEFAULT_PER_PAGE: usize = 30;
pub(crate) const MAX_PER_PAGE: usize = 100;
const PER_PAGE_MESSAGE: &str = "It should be a Positive Integer less than or equal to 100";

/// Parsed query parameters (the last value wins for a repeated name).
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

/// Which page of a list was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageReq {
    pub page: usize,
    pub per_page: usize,
}

impl Query {
    /// Parses `ctx`'s query string; 400 `invalid_field` for a name not in `allowed`.
    pub(crate) fn parse(ctx: &Ctx, allowed: &[&str]) -> Result<Query, ApiError> {
        let pairs = match ctx.raw_query.as_deref() {
            None | Some("") => Vec::new(),
            Some(raw) => parse_pairs(raw)?,
        };
        let mut seen: Vec<&str> = Vec::new();
        let mut errors = Vec::new();
        for (name, _) in &pairs {
            if !allowed.contains(&name.as_str()) && !seen.contains(&name.as_str()) {
                seen.push(name);
                errors.push(field_error(name, UNEXPECTED, INVALID_FIELD));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Query {
            pairs,
            errors: Vec::new(),
        })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn push(&mut self, field: &str, message: impl Into<String>, code: &str) {
        self.errors.push(field_error(field, message, code));
    }

    /// All value errors so far as one 400 response.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    /// A positive integer parameter (ids given as query strings).
    pub(crate) fn pos_int(&mut self, name: &str) -> Option<i64> {
        let raw = self.get(name)?;
        match raw.trim().parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                self.push(
                    name,
                    "It should be a/an Positive Integer",
                    "datatype_mismatch",
                );
                None
            }
        }
    }

    pub(crate) fn email(&mut self, name: &str) -> Option<String> {
        let raw = self.get(name)?.trim().to_owned();
        if is_email(&raw) {
            Some(raw)
        } else {
            self.push(name, BAD_EMAIL, INVALID_VALUE);
            None
        }
    }

    pub(crate) fn datetime(&mut self, name: &str) -> Option<UnixMs> {
        let raw = self.get(name)?;
        let parsed = parse_iso(raw.trim());
        if parsed.is_none() {
            self.push(name, BAD_DATE, INVALID_VALUE);
        }
        parsed
    }

    /// One of a fixed set of words; `list` is the message's list.
    pub(crate) fn word(&mut self, name: &str, allowed: &[&str], list: &str) -> Option<String> {
        let raw = self.get(name)?;
        if allowed.contains(&raw) {
            Some(raw.to_owned())
        } else {
            let msg = super::validate::one_of(list);
            self.push(name, msg, INVALID_VALUE);
            None
        }
    }

    /// `page` (default 1) and `per_page` (default 30, at most 100).
    pub(crate) fn page_req(&mut self) -> PageReq {
        let page = match self.get("page").map(|p| p.trim().parse::<usize>()) {
            None => 1,
            Some(Ok(n)) if n >= 1 => n,
            Some(_) => {
                self.push("page", "It should be a Positive Integer", INVALID_VALUE);
                1
            }
        };
        let per_page = match self.get("per_page").map(|p| p.trim().parse::<usize>()) {
            None => DEFAULT_PER_PAGE,
            Some(Ok(n)) if (1..=MAX_PER_PAGE).contains(&n) => n,
            Some(_) => {
                self.push("per_page", PER_PAGE_MESSAGE, INVALID_VALUE);
                DEFAULT_PER_PAGE
            }
        };
        PageReq { page, per_page }
    }
}

/// Splits a raw query string into decoded pairs.
fn parse_pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let uri: axum::http::Uri = format!("/?{raw}").parse().map_err(|_| invalid_encoding())?;
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|_| invalid_encoding())
}

fn invalid_encoding() -> ApiError {
    ApiError::request(
        StatusCode::BAD_REQUEST,
        "invalid_encoding",
        "Request has invalid encoding in its query string",
    )
}

/// The requested page of `items`, and whether rows exist after it.
pub(crate) fn paginate<T>(items: Vec<T>, req: PageReq) -> (Vec<T>, bool) {
    let start = (req.page - 1).saturating_mul(req.per_page);
    let more = items.len() > start.saturating_add(req.per_page);
    let page = items.into_iter().skip(start).take(req.per_page).collect();
    (page, more)
}

/// `<absolute URL with page=N+1>; rel="next"`: the request's own scheme, host,
/// path and query parameters, with `page` replaced.
pub(crate) fn next_link(ctx: &Ctx, next_page: usize) -> String {
    let mut parts: Vec<&str> = ctx
        .raw_query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some("page"))
        .collect();
    let page = format!("page={next_page}");
    parts.push(&page);
    format!(
        "<{}{}?{}>; rel=\"next\"",
        ctx.base_url,
        ctx.path,
        parts.join("&")
    )
}

/// A 200 list response with `Link` when more rows exist.
pub(crate) fn list_response(ctx: &Ctx, items: Vec<Value>, more: bool, req: PageReq) -> Response {
    let mut resp = json_response(StatusCode::OK, &items);
    if more && let Ok(v) = HeaderValue::from_str(&next_link(ctx, req.page + 1)) {
        resp.headers_mut().insert(header::LINK, v);
    }
    resp
}
