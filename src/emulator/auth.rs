//! HTTP Basic auth with the API key as the username (freshdesk-api.md §1).

use axum::http::HeaderValue;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// True when `authorization` is `Basic base64(<api_key>:<anything>)`.
/// A username with `@` is an email/password login, which the API no longer
/// accepts, so it never matches. An empty configured key matches nothing.
pub(crate) fn is_authorized(authorization: Option<&HeaderValue>, api_key: &str) -> bool {
    if api_key.is_empty() {
        return false;
    }
    let Some(user) = authorization.and_then(basic_username) else {
        return false;
    };
    !user.contains('@') && constant_time_eq(user.as_bytes(), api_key.as_bytes())
}

/// The username of a Basic credential, if the header is one.
fn basic_username(header: &HeaderValue) -> Option<String> {
    let value = header.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split(':').next().unwrap_or_default();
    Some(user.to_owned())
}

/// Compares without an early exit, so timing does not reveal the key.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_pass: &str) -> HeaderValue {
        let v = format!("Basic {}", STANDARD.encode(user_pass));
        HeaderValue::from_str(&v).unwrap()
    }

    #[test]
    fn the_key_as_username_is_accepted_whatever_the_password() {
        assert!(is_authorized(Some(&basic("k3y:X")), "k3y"));
        assert!(is_authorized(Some(&basic("k3y:")), "k3y"));
        assert!(is_authorized(Some(&basic("k3y")), "k3y"));
    }

    #[test]
    fn wrong_missing_or_email_credentials_are_refused() {
        assert!(!is_authorized(None, "k3y"));
        assert!(!is_authorized(Some(&basic("other:X")), "k3y"));
        assert!(!is_authorized(Some(&basic("a@b.com:k3y")), "a@b.com"));
        let bearer = HeaderValue::from_static("Bearer k3y");
        assert!(!is_authorized(Some(&bearer), "k3y"));
        assert!(!is_authorized(Some(&basic(":X")), ""));
    }
}
