//! The client's configuration: the secret key, the base URL and the budgets.

use std::fmt;
use std::time::Duration;

use reqwest::Url;

use super::error::Error;

/// The Freshdesk API key. It prints as `***` so that it cannot end up in logs, errors
/// or panics by accident; only [`ApiKey::expose`] gives it out, for the auth header.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(s: impl Into<String>) -> Self {
        ApiKey(s.into())
    }

    /// The key itself. Use it only to build the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Everything the client needs. Build it with [`ClientConfig::new`] and adjust fields.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `https://acme.freshdesk.com`, or `http://127.0.0.1:PORT` for the emulator; no
    /// `/api/v2` (tolerated and removed), a trailing slash is tolerated.
    pub base_url: String,
    pub api_key: ApiKey,
    /// The account-wide budget in requests per minute, shared by every clone.
    pub rate_per_min: u32,
    pub connect_timeout: Duration,
    /// Limit for one whole request, response body included.
    pub request_timeout: Duration,
    /// Attempts for requests the client repeats itself (GET, PUT), the first included.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Turns the rate budget off: no pacing and no learning from the headers, only
    /// 429s are waited out. For the benchmark's contrast, never for real use.
    pub budget_off: bool,
    /// Sends only GETs: every POST, PUT and DELETE is logged ("dry run: would
    /// send") and answered with [`Error::Invalid`] without leaving the process.
    pub dry_run: bool,
    /// Sees every response (for `ticketsim load`); `None` changes nothing.
    pub observer: Option<super::observe::ObserverHook>,
    /// Hands every request to this server in the process instead of sending it
    /// to `base_url` (`load --emulator`); `base_url` still names the host.
    pub in_process: Option<super::wire::InProcess>,
}

impl ClientConfig {
    /// Defaults: 40 requests/min (below the 50/min trial plan), 5 s connect timeout,
    /// 30 s request timeout, 5 attempts, backoff from 500 ms capped at 30 s.
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            api_key,
            rate_per_min: 40,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_attempts: 5,
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            budget_off: false,
            dry_run: false,
            observer: None,
            in_process: None,
        }
    }

    /// Checks the numbers; the URL is checked by [`base_url`].
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let key = self.api_key.expose();
        if key.trim().is_empty() {
            return Err(Error::Config("the API key is empty".into()));
        }
        if key.contains(':') {
            return Err(Error::Config(
                "the API key contains ':', which HTTP Basic auth cannot carry; check that \
                 it is the key from the agent's profile settings"
                    .into(),
            ));
        }
        if self.rate_per_min == 0 {
            return Err(Error::Config("rate_per_min must be at least 1".into()));
        }
        if self.max_attempts == 0 {
            return Err(Error::Config("max_attempts must be at least 1".into()));
        }
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::Config("timeouts must be longer than zero".into()));
        }
        Ok(())
    }
}

/// Validates `raw` and returns it normalized (no trailing slash, no `/api/v2`).
///
/// Plain `http://` is accepted only for loopback hosts (the emulator): anywhere else
/// the key would cross the network in clear text, and Freshdesk refuses it anyway.
pub(crate) fn base_url(raw: &str, key: &ApiKey) -> Result<Url, Error> {
    let shown = if raw.contains(key.expose()) {
        "<redacted>"
    } else {
        raw
    };
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("base URL {shown:?} is not a valid URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "the base URL must not contain credentials; set the API key separately".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {shown:?} must not have a query or fragment"
        )));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(Error::Config(format!(
                "base URL {shown:?} uses http:// for a host that is not loopback; use https://"
            )));
        }
        other => {
            return Err(Error::Config(format!(
                "base URL {shown:?} has scheme {other:?}; use https://"
            )));
        }
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/api/v2").unwrap_or(path).to_string();
    let mut url = url;
    url.set_path(&path);
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ApiKey {
        ApiKey::new("s3cretKEY")
    }

    #[test]
    fn the_key_prints_as_stars() {
        let k = key();
        assert_eq!(format!("{k}"), "***");
        assert_eq!(format!("{k:?}"), "***");
        let cfg = ClientConfig::new("https://acme.freshdesk.com", k);
        assert!(!format!("{cfg:?}").contains("s3cretKEY"));
    }

    #[test]
    fn trailing_slash_and_api_prefix_are_removed() {
        let url = base_url("https://acme.freshdesk.com/", &key()).unwrap();
        assert_eq!(
            url.as_str().trim_end_matches('/'),
            "https://acme.freshdesk.com"
        );
        let url = base_url("https://acme.freshdesk.com/api/v2/", &key()).unwrap();
        assert_eq!(
            url.as_str().trim_end_matches('/'),
            "https://acme.freshdesk.com"
        );
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(base_url("http://127.0.0.1:8080", &key()).is_ok());
        assert!(base_url("http://localhost:8080", &key()).is_ok());
        assert!(base_url("http://[::1]:8080", &key()).is_ok());
        assert!(matches!(
            base_url("http://acme.freshdesk.com", &key()),
            Err(Error::Config(_))
        ));
        assert!(base_url("ftp://acme.freshdesk.com", &key()).is_err());
        assert!(base_url("acme.freshdesk.com", &key()).is_err());
    }

    #[test]
    fn a_key_inside_the_url_is_rejected_without_being_echoed() {
        let err = base_url("https://s3cretKEY:X@acme.freshdesk.com", &key()).unwrap_err();
        assert!(!err.to_string().contains("s3cretKEY"));
        let err = base_url("https://acme.freshdesk.com?k=s3cretKEY", &key()).unwrap_err();
        assert!(!err.to_string().contains("s3cretKEY"));
    }

    #[test]
    fn empty_keys_and_zero_budgets_are_configuration_errors() {
        let mut cfg = ClientConfig::new("https://a.freshdesk.com", ApiKey::new(" "));
        assert!(cfg.validate().is_err());
        cfg.api_key = key();
        cfg.rate_per_min = 0;
        assert!(cfg.validate().is_err());
        cfg.rate_per_min = 40;
        assert!(cfg.validate().is_ok());
    }
}
