//! Where the helpdesk is and how to get in: `FRESHDESK_URL` and the API key
//! (from the variable, a file, or the systemd credential). Errors never echo the key.

use std::path::Path;

use super::{ConfigError, Env, err};
use crate::freshdesk::ApiKey;

pub(super) fn parse_url(v: Option<String>) -> Result<String, ConfigError> {
    const VAR: &str = "FRESHDESK_URL";
    let v = v.ok_or_else(|| {
        err(
            VAR,
            "is not set; expected your helpdesk's URL, e.g. https://acme.freshdesk.com",
        )
    })?;
    let url = reqwest::Url::parse(v.trim()).map_err(|e| {
        err(
            VAR,
            format!("\"{v}\" is not a URL ({e}); expected e.g. https://acme.freshdesk.com"),
        )
    })?;
    let host = url.host_str().unwrap_or_default().to_string();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(err(
                VAR,
                format!(
                    "http:// is only allowed for loopback hosts (127.0.0.1, localhost, [::1]), got \"{host}\"; use https://"
                ),
            ));
        }
        other => {
            return Err(err(
                VAR,
                format!("unsupported scheme \"{other}\"; use https://"),
            ));
        }
    }
    if host.is_empty() {
        return Err(err(VAR, format!("\"{v}\" has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err(
            VAR,
            "must not contain credentials; set FRESHDESK_API_KEY instead",
        ));
    }
    let path = url.path().trim_end_matches('/');
    if !(path.is_empty() || path == "/api/v2") {
        return Err(err(
            VAR,
            format!("expected the helpdesk's base URL without a path, got path \"{path}\""),
        ));
    }
    let base = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    Ok(match url.port() {
        Some(p) => format!("{base}:{p}"),
        None => base,
    })
}

/// Loopback names and addresses: the only hosts plain HTTP may be used with.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The key from `FRESHDESK_API_KEY`, else the file in `FRESHDESK_API_KEY_FILE`,
/// else the systemd credential `freshdesk_api_key`. Errors never echo the key.
pub(super) fn read_api_key(env: &impl Env) -> Result<ApiKey, ConfigError> {
    if let Some(k) = env.get("FRESHDESK_API_KEY") {
        return check_key("FRESHDESK_API_KEY", k.trim());
    }
    if let Some(file) = env.get("FRESHDESK_API_KEY_FILE") {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| err("FRESHDESK_API_KEY_FILE", format!("cannot read {file}: {e}")))?;
        return check_key("FRESHDESK_API_KEY_FILE", text.trim());
    }
    if let Some(dir) = env.get("CREDENTIALS_DIRECTORY") {
        let path = Path::new(&dir).join("freshdesk_api_key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return check_key("FRESHDESK_API_KEY", text.trim());
        }
    }
    Err(err(
        "FRESHDESK_API_KEY",
        "is not set; set it (or FRESHDESK_API_KEY_FILE, or the systemd credential freshdesk_api_key) to the API key from your Freshdesk profile settings",
    ))
}

fn check_key(var: &'static str, key: &str) -> Result<ApiKey, ConfigError> {
    if key.is_empty() {
        return Err(err(var, "the API key is empty"));
    }
    if key.contains(':') || key.contains('@') || key.chars().any(char::is_whitespace) {
        return Err(err(
            var,
            "does not look like a Freshdesk API key (it contains ':', '@' or spaces); use the key from your profile settings, not a password",
        ));
    }
    Ok(ApiKey::new(key))
}
