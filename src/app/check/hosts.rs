//! `check`'s word on `TICKETSIM_ALLOWED_HOSTS`.

use super::report::{CheckReport, Status};
use crate::config::Config;

/// A warning when `TICKETSIM_ALLOWED_HOSTS` is unset and the host is not
/// loopback (a mismatch never gets here: the configuration is refused).
pub(super) fn allowed_hosts(r: &mut CheckReport, cfg: &Config) {
    let host = crate::config::host_of(&cfg.freshdesk_url);
    if cfg.allowed_hosts.is_none() && !crate::config::is_loopback(&host) {
        r.push(
            "allowed hosts",
            Status::Warn,
            format!("TICKETSIM_ALLOWED_HOSTS is unset, so a mistyped FRESHDESK_URL would be written to; set it to {host} or *.freshdesk.com"),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn report_for(pairs: &[(&str, &str)]) -> CheckReport {
        let mut env: HashMap<String, String> = HashMap::new();
        env.insert("FRESHDESK_API_KEY".into(), "abcdEFGH1234".into());
        for (k, v) in pairs {
            env.insert(k.to_string(), v.to_string());
        }
        let cfg = Config::from_env(&env, None).unwrap();
        let mut r = CheckReport::new(&cfg.freshdesk_url);
        allowed_hosts(&mut r, &cfg);
        r
    }

    #[test]
    fn check_warns_when_allowed_hosts_is_unset_for_a_real_helpdesk_only() {
        let r = report_for(&[("FRESHDESK_URL", "https://acme.freshdesk.com")]);
        assert_eq!(r.checks.len(), 1);
        assert_eq!(r.checks[0].key, "allowed_hosts");
        assert!(matches!(r.checks[0].status, Status::Warn));
        assert!(r.checks[0].detail.contains("acme.freshdesk.com"));
        let set = report_for(&[
            ("FRESHDESK_URL", "https://acme.freshdesk.com"),
            ("TICKETSIM_ALLOWED_HOSTS", "*.freshdesk.com"),
        ]);
        assert!(set.checks.is_empty());
        let local = report_for(&[("FRESHDESK_URL", "http://127.0.0.1:8787")]);
        assert!(local.checks.is_empty());
    }
}
