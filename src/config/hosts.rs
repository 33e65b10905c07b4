//! `TICKETSIM_ALLOWED_HOSTS`: a comma list of host patterns (`acme.freshdesk.com`,
//! `*.freshdesk.com`, `127.0.0.1`). When set, `FRESHDESK_URL`'s host must match
//! one, or every command that would send a request refuses to start (exit 2).
//! Unset allows any host; `run` then warns and `check` reports a warning.

use super::{ConfigError, err};

const VAR: &str = "TICKETSIM_ALLOWED_HOSTS";

/// The parsed patterns, lower-cased; `*.x` matches any subdomain of `x` (not `x`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    patterns: Vec<String>,
}

impl AllowedHosts {
    /// Parses the variable's value; an empty entry or a misplaced `*` is an error.
    pub fn parse(v: &str) -> Result<AllowedHosts, ConfigError> {
        let mut patterns = Vec::new();
        for raw in v.split(',') {
            let p = raw.trim().to_ascii_lowercase();
            let rest = p.strip_prefix("*.").unwrap_or(&p);
            if rest.is_empty()
                || rest.contains('*')
                || rest.contains('/')
                || rest.contains(':') && !rest.starts_with('[')
            {
                return Err(err(
                    VAR,
                    format!(
                        "\"{}\" is not a host pattern; expected a comma list of hosts or *.domain, e.g. *.freshdesk.com,127.0.0.1",
                        raw.trim()
                    ),
                ));
            }
            patterns.push(p);
        }
        Ok(AllowedHosts { patterns })
    }

    /// Whether `host` (as in a URL, IPv6 in brackets) matches one pattern.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.patterns.iter().any(|p| match p.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => *p == host,
        })
    }

    /// The patterns as configured, for messages.
    pub fn list(&self) -> String {
        self.patterns.join(",")
    }
}

/// Reads the variable and checks `url` (the validated base URL) against it.
/// `None` when unset.
pub(super) fn check_url(v: Option<String>, url: &str) -> Result<Option<AllowedHosts>, ConfigError> {
    let Some(v) = v else { return Ok(None) };
    let allowed = AllowedHosts::parse(&v)?;
    let host = host_of(url);
    if !allowed.allows(&host) {
        return Err(err(
            VAR,
            format!(
                "FRESHDESK_URL's host \"{host}\" is not in TICKETSIM_ALLOWED_HOSTS ({}); fix FRESHDESK_URL or add the host",
                allowed.list()
            ),
        ));
    }
    Ok(Some(allowed))
}

/// The host of a validated URL (`https://acme.freshdesk.com:8443` → `acme.freshdesk.com`).
pub fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// Whether `host` is a Freshdesk domain (`*.freshdesk.com`).
pub fn is_freshdesk(host: &str) -> bool {
    AllowedHosts {
        patterns: vec!["*.freshdesk.com".into()],
    }
    .allows(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_matches_subdomains_only_and_exact_hosts_match_exactly() {
        let a = AllowedHosts::parse("*.freshdesk.com, 127.0.0.1,Sandbox.Example.org").unwrap();
        assert!(a.allows("acme.freshdesk.com"));
        assert!(a.allows("a.b.FRESHDESK.com"));
        assert!(!a.allows("freshdesk.com"));
        assert!(!a.allows("evilfreshdesk.com"));
        assert!(!a.allows("acme.freshdesk.com.evil.io"));
        assert!(a.allows("127.0.0.1"));
        assert!(!a.allows("127.0.0.2"));
        assert!(a.allows("sandbox.example.org"));
        assert!(!a.allows("prod.example.org"));
    }

    #[test]
    fn a_mismatched_url_is_refused_naming_both_and_unset_allows_any() {
        let e = check_url(Some("*.freshdesk.com".into()), "https://acme.freshdesk.co").unwrap_err();
        assert_eq!(e.var, VAR);
        let text = e.to_string();
        assert!(
            text.contains("acme.freshdesk.co\"") && text.contains("*.freshdesk.com"),
            "{text}"
        );
        assert!(
            check_url(None, "https://anything.example")
                .unwrap()
                .is_none()
        );
        let ok = check_url(Some("127.0.0.1".into()), "http://127.0.0.1:8787").unwrap();
        assert!(ok.is_some());
    }

    #[test]
    fn bad_patterns_name_the_variable() {
        for bad in [
            "",
            "a,,b",
            "*",
            "a*.freshdesk.com",
            "https://x.com",
            "x.com:443",
        ] {
            let e = AllowedHosts::parse(bad).unwrap_err();
            assert_eq!(e.var, VAR, "{bad}");
        }
        assert!(AllowedHosts::parse("[::1]").unwrap().allows("[::1]"));
    }

    #[test]
    fn freshdesk_domains_are_recognised() {
        assert!(is_freshdesk("acme.freshdesk.com"));
        assert!(!is_freshdesk("acme.example.com"));
    }
}
