//! Errors of the Freshdesk client, phrased for the operator and classified for the
//! dispatcher.
//!
//! Two questions decide what the dispatcher does with a failed call:
//! [`Error::is_transient`] (try again later, or give up now) and
//! [`Error::outcome_uncertain`] (the request may have taken effect, so look before
//! re-sending it, because Freshdesk has no idempotency keys).
//!
//! No variant ever holds the API key or the `Authorization` header: messages are built
//! from the status, Freshdesk's error body and the base URL only.

use std::time::Duration;

use super::types::{ErrorBody, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client was configured wrongly (bad base URL, unusable key); fix the configuration.
    #[error("Invalid Freshdesk client configuration: {0}")]
    Config(String),

    /// 401: the key is wrong, or belongs to another account.
    #[error(
        "Authentication failed: invalid API key for {url} (401 {code}); check the API key \
         and that the URL is the account's own freshdesk.com address (custom domains do not work)"
    )]
    Auth { url: String, code: String },

    /// 403: the key's agent may not do this.
    #[error("{}", forbidden_text(code, message))]
    Forbidden { code: String, message: String },

    /// 404. `what` is "<Kind> <identifier>", e.g. `Ticket 12345`.
    #[error("{}", not_found_text(what))]
    NotFound { what: String },

    /// 400 (or 409 for duplicates) with Freshdesk's per-field errors.
    #[error("{}", validation_text(*status, errors))]
    Validation {
        status: u16,
        errors: Vec<FieldError>,
    },

    /// Any other 4xx (405, 406, 415, ...) and unexpected 3xx.
    #[error("{}", http_text(*status, code.as_deref(), message))]
    Http {
        status: u16,
        code: Option<String>,
        message: String,
    },

    /// 5xx: Freshdesk failed; the request may or may not have taken effect.
    #[error(
        "Freshdesk server error (HTTP {status}); try again later, and check whether the \
         request took effect before re-sending a create, reply or note"
    )]
    Server { status: u16 },

    /// No complete answer within the request timeout; the request may have taken effect.
    #[error(
        "Request to Freshdesk timed out; it may still have taken effect, so check before \
         re-sending a create, reply or note"
    )]
    Timeout,

    /// The connection could not be opened, so nothing was sent.
    #[error("Cannot connect to Freshdesk: {0}; check the base URL and the network")]
    Connect(String),

    /// The connection broke after the request was sent: the outcome is unknown.
    /// (Not in the original brief; added so that such failures are never taken for
    /// "nothing was sent".)
    #[error(
        "Connection to Freshdesk failed after the request was sent ({0}); it may have \
         taken effect, so check before re-sending a create, reply or note"
    )]
    Transport(String),

    /// A success response whose body does not parse; the request did take effect.
    #[error("Unreadable response from Freshdesk: {0}")]
    Decode(String),

    /// Freshdesk asked us to wait longer than the client is willing to wait in place
    /// (or kept refusing); the request was not processed.
    #[error(
        "Rate limit exceeded: waiting {} s (Retry-After) is more than this request may wait; \
         try again later or lower TICKETSIM_RATE_PER_MIN",
        retry_after.as_secs()
    )]
    RateLimited { retry_after: Duration },

    /// The call was refused before sending: the arguments cannot be valid
    /// (a search query over 512 characters, a malformed "hh:mm", ...).
    #[error("Invalid request: {0}")]
    Invalid(String),

    /// A bulk job was still running when the client stopped polling it; it may
    /// still finish, so look at `GET /jobs/{job_id}` before repeating it.
    #[error(
        "Bulk job {job_id} was still {status} after {} s; check it later with GET /api/v2/jobs/{job_id}",
        waited.as_secs()
    )]
    JobUnfinished {
        job_id: String,
        status: String,
        waited: Duration,
    },
}

impl Error {
    /// True when the same request may succeed later: 5xx, timeouts, connection
    /// failures, undecodable success bodies and rate limiting.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Server { .. }
                | Error::Timeout
                | Error::Connect(_)
                | Error::Transport(_)
                | Error::Decode(_)
                | Error::RateLimited { .. }
        )
    }

    /// True when the request may have taken effect although it failed: reconcile
    /// (look) before sending a non-idempotent request again.
    pub fn outcome_uncertain(&self) -> bool {
        matches!(
            self,
            Error::Server { .. }
                | Error::Timeout
                | Error::Transport(_)
                | Error::Decode(_)
                | Error::JobUnfinished { .. }
        )
    }

    /// The HTTP status behind the error, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Auth { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::RateLimited { .. } => Some(429),
            Error::Validation { status, .. }
            | Error::Http { status, .. }
            | Error::Server { status } => Some(*status),
            Error::Config(_)
            | Error::Invalid(_)
            | Error::JobUnfinished { .. }
            | Error::Timeout
            | Error::Connect(_)
            | Error::Transport(_)
            | Error::Decode(_) => None,
        }
    }

    /// Maps a non-success, non-429 response to an error. `base_url` is named in
    /// authentication errors; `what` ("Ticket 12345") in 404s. Never assumes the
    /// body is JSON: 404s are empty and 5xx may be HTML.
    pub(crate) fn from_response(status: u16, body: &[u8], base_url: &str, what: &str) -> Error {
        let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
        let parsed = parsed.unwrap_or_default();
        match status {
            500..=599 => Error::Server { status },
            300..=399 => Error::Http {
                status,
                code: None,
                message: "unexpected redirect; check the base URL (it must be the \
                          account's https://<name>.freshdesk.com address)"
                    .into(),
            },
            404 => Error::NotFound {
                what: what.to_string(),
            },
            401 => Error::Auth {
                url: base_url.to_string(),
                code: parsed.code.unwrap_or_else(|| "invalid_credentials".into()),
            },
            _ if parsed.errors.as_ref().is_some_and(|e| !e.is_empty()) => Error::Validation {
                status,
                errors: parsed.errors.unwrap_or_default(),
            },
            403 => Error::Forbidden {
                code: parsed.code.unwrap_or_else(|| "access_denied".into()),
                message: parsed.message.unwrap_or_default(),
            },
            _ => Error::Http {
                status,
                code: parsed.code,
                message: parsed
                    .message
                    .or(parsed.description)
                    .unwrap_or_else(|| body_snippet(body)),
            },
        }
    }
}

/// A short, printable excerpt of a body that is not Freshdesk JSON (e.g. a proxy page).
fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "no response body".into();
    }
    let mut snippet: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        snippet.push('…');
    }
    snippet
}

fn forbidden_text(code: &str, message: &str) -> String {
    let remedy = match code {
        "invalid_user" => {
            "; the API key's agent may not act as the customer: use an admin key with the \
             'manage users' privilege on a plan with assume-identity"
        }
        "require_feature" => "; the account's Freshdesk plan lacks this feature",
        "access_denied" => {
            "; the API key's agent lacks permission for this (check its role and ticket \
             scope; tickets being purged also give this)"
        }
        "ssl_required" => "; Freshdesk accepts only https:// URLs",
        "account_suspended" => "; the Freshdesk account is suspended",
        _ => "",
    };
    let message = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    format!("Forbidden (403 {code}){message}{remedy}")
}

/// `what` is "<Kind> <id>": records get a hint about deletion, paths (an unknown
/// route, which usually means a wrong base URL) one about the URL.
fn not_found_text(what: &str) -> String {
    match what.split_once(' ') {
        Some(("Path", path)) => format!(
            "Path not found: {path} (check the base URL: it must be the account's \
             freshdesk.com address, without /api/v2)"
        ),
        Some(("Job", id)) => format!("Job not found: {id} (jobs are kept for one day)"),
        Some((kind, id)) => format!("{kind} not found: {id} (it may have been deleted)"),
        None => format!("{what} not found"),
    }
}

fn validation_text(status: u16, errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return format!("Validation failed (HTTP {status})");
    }
    let fields: Vec<String> = errors
        .iter()
        .map(|e| format!("{} — {}", e.field, e.message))
        .collect();
    format!("Validation failed: {}", fields.join("; "))
}

fn http_text(status: u16, code: Option<&str>, message: &str) -> String {
    let code = code.map(|c| format!(" {c}")).unwrap_or_default();
    format!("Freshdesk rejected the request (HTTP {status}{code}): {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://acme.freshdesk.com";

    #[test]
    fn a_401_names_the_url_and_code() {
        let body = br#"{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}"#;
        let e = Error::from_response(401, body, BASE, "Path /x");
        assert!(e.to_string().starts_with(
            "Authentication failed: invalid API key for https://acme.freshdesk.com (401 invalid_credentials)"
        ));
        assert!(!e.is_transient());
        assert_eq!(e.status(), Some(401));
    }

    #[test]
    fn an_invalid_user_403_explains_the_remedy() {
        let body = br#"{"code":"invalid_user","message":"You are not authorized to perform this action on behalf of this user. id:5, name:A"}"#;
        let text = Error::from_response(403, body, BASE, "Ticket 1").to_string();
        assert!(text.starts_with("Forbidden (403 invalid_user): You are not authorized"));
        assert!(text.contains(
            "the API key's agent may not act as the customer: use an admin key with the 'manage users' privilege on a plan with assume-identity"
        ));
    }

    #[test]
    fn an_empty_404_names_the_missing_ticket() {
        let e = Error::from_response(404, b"", BASE, "Ticket 12345");
        assert_eq!(
            e.to_string(),
            "Ticket not found: 12345 (it may have been deleted)"
        );
        let e = Error::from_response(404, b" ", BASE, "Path /api/v2/agents/me");
        assert!(
            e.to_string()
                .starts_with("Path not found: /api/v2/agents/me")
        );
    }

    #[test]
    fn validation_errors_list_every_field() {
        let body = br#"{"description":"Validation failed","errors":[
            {"field":"status","message":"It should be one of these values: '2,3,4,5'","code":"invalid_value"},
            {"field":"subject","message":"It should be a/an String","code":"missing_field"}]}"#;
        let e = Error::from_response(400, body, BASE, "Ticket 1");
        assert_eq!(
            e.to_string(),
            "Validation failed: status — It should be one of these values: '2,3,4,5'; subject — It should be a/an String"
        );
        assert!(!e.outcome_uncertain());
    }

    #[test]
    fn a_duplicate_409_is_a_validation_error_with_its_status() {
        let body = br#"{"description":"Validation failed","errors":[{"field":"email","additional_info":{"user_id":67000000001},"message":"It should be a unique value","code":"duplicate_value"}]}"#;
        match Error::from_response(409, body, BASE, "Path /c") {
            Error::Validation { status, errors } => {
                assert_eq!(status, 409);
                assert_eq!(errors[0].code, "duplicate_value");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_405_base_error_keeps_freshdesks_message() {
        let body =
            br#"{"message":"PUT method is not allowed. It should be one of these method(s): GET"}"#;
        let e = Error::from_response(405, body, BASE, "Ticket 3");
        assert_eq!(e.status(), Some(405));
        assert!(e.to_string().contains("PUT method is not allowed"));
    }

    #[test]
    fn an_html_5xx_is_a_server_error_that_is_uncertain() {
        let e = Error::from_response(502, b"<html>Bad gateway</html>", BASE, "Ticket 3");
        assert!(matches!(e, Error::Server { status: 502 }));
        assert!(e.is_transient() && e.outcome_uncertain());
    }

    #[test]
    fn a_non_json_4xx_quotes_a_short_snippet() {
        let long = "x".repeat(500);
        let e = Error::from_response(418, long.as_bytes(), BASE, "Ticket 3");
        assert!(e.to_string().len() < 300);
    }

    #[test]
    fn connect_errors_are_transient_but_certain() {
        let e = Error::Connect("connection refused".into());
        assert!(e.is_transient());
        assert!(!e.outcome_uncertain());
        assert!(Error::Timeout.outcome_uncertain());
        assert!(Error::Decode("eof".into()).outcome_uncertain());
    }
}
