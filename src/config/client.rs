//! The variables that shape the Freshdesk client: timeouts, how a failed step
//! is retried, and the custom-field mapping. Like every variable, each is checked before anything is sent, and an
//! error names the variable.

use std::time::Duration;

use super::{Config, ConfigError, Env, err};
use crate::domain;
use crate::freshdesk::{ClientConfig, CustomFieldMap};

pub const DEFAULT_CONNECT_TIMEOUT: &str = "5s";
pub const DEFAULT_REQUEST_TIMEOUT: &str = "30s";
pub const DEFAULT_RETRY_BACKOFF: &str = "2s..5m";

/// The timeouts and custom fields of `Config`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientVars {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub custom_fields: CustomFieldMap,
    /// `TICKETSIM_RETRY_BACKOFF`: a failed step's first wait and the cap its
    /// doubling waits stop at, in ms.
    pub retry_backoff_ms: (i64, i64),
    /// `run --dry-run`: the client sends GETs only (set by the CLI, not the environment).
    pub dry_run: bool,
}

impl ClientVars {
    pub fn from_env(env: &impl Env) -> Result<ClientVars, ConfigError> {
        Ok(ClientVars {
            connect_timeout: parse_timeout(
                "TICKETSIM_CONNECT_TIMEOUT",
                env.get("TICKETSIM_CONNECT_TIMEOUT"),
                DEFAULT_CONNECT_TIMEOUT,
                Duration::from_secs(120),
            )?,
            request_timeout: parse_timeout(
                "TICKETSIM_REQUEST_TIMEOUT",
                env.get("TICKETSIM_REQUEST_TIMEOUT"),
                DEFAULT_REQUEST_TIMEOUT,
                Duration::from_secs(600),
            )?,
            custom_fields: parse_custom_fields(env.get("TICKETSIM_CUSTOM_FIELDS"))?,
            retry_backoff_ms: parse_backoff(env.get("TICKETSIM_RETRY_BACKOFF"))?,
            dry_run: false,
        })
    }
}

impl Config {
    /// The client as configured: URL, key, budget and timeouts.
    pub fn client_config(&self) -> ClientConfig {
        let mut cc = ClientConfig::new(&self.freshdesk_url, self.api_key.clone());
        cc.rate_per_min = self.rate_per_min;
        cc.connect_timeout = self.client.connect_timeout;
        cc.request_timeout = self.client.request_timeout;
        cc.dry_run = self.client.dry_run;
        cc
    }
}

fn parse_timeout(
    var: &'static str,
    value: Option<String>,
    default: &str,
    max: Duration,
) -> Result<Duration, ConfigError> {
    let text = value.unwrap_or_else(|| default.to_string());
    let ms = domain::parse_duration(&text).map_err(|e| err(var, e))?;
    let d = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    if d < Duration::from_millis(100) || d > max {
        return Err(err(
            var,
            format!(
                "expected a timeout from 100ms to {}, got \"{text}\"",
                domain::format_duration(max.as_millis() as i64)
            ),
        ));
    }
    Ok(d)
}

/// `first..cap`: the first wait from 100ms, the cap up to 1h.
fn parse_backoff(value: Option<String>) -> Result<(i64, i64), ConfigError> {
    const VAR: &str = "TICKETSIM_RETRY_BACKOFF";
    let text = value.unwrap_or_else(|| DEFAULT_RETRY_BACKOFF.to_string());
    let (first, cap) = domain::parse_duration_range(&text).map_err(|e| err(VAR, e))?;
    if first < 100 || cap > 3_600_000 {
        return Err(err(
            VAR,
            format!("expected first..cap from 100ms to 1h (e.g. 2s..5m), got \"{text}\""),
        ));
    }
    Ok((first, cap))
}

fn parse_custom_fields(value: Option<String>) -> Result<CustomFieldMap, ConfigError> {
    let Some(text) = value else {
        return Ok(CustomFieldMap::default());
    };
    CustomFieldMap::parse(&text).map_err(|e| {
        err(
            "TICKETSIM_CUSTOM_FIELDS",
            format!("{e}; expected e.g. order_id=cf_order_id,plan=cf_plan"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> Result<ClientVars, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ClientVars::from_env(&env)
    }

    #[test]
    fn timeouts_default_to_5_and_30_seconds_and_take_durations() {
        let v = vars(&[]).unwrap();
        assert_eq!(v.connect_timeout, Duration::from_secs(5));
        assert_eq!(v.request_timeout, Duration::from_secs(30));
        assert!(v.custom_fields.is_empty());
        assert_eq!(v.retry_backoff_ms, (2_000, 300_000));
        let v = vars(&[
            ("TICKETSIM_CONNECT_TIMEOUT", "1500ms"),
            ("TICKETSIM_REQUEST_TIMEOUT", "2m"),
        ])
        .unwrap();
        assert_eq!(v.connect_timeout, Duration::from_millis(1500));
        assert_eq!(v.request_timeout, Duration::from_secs(120));
        let v = vars(&[("TICKETSIM_RETRY_BACKOFF", "500ms..4s")]).unwrap();
        assert_eq!(v.retry_backoff_ms, (500, 4_000));
    }

    #[test]
    fn bad_timeouts_and_mappings_name_their_variable() {
        for (var, value) in [
            ("TICKETSIM_CONNECT_TIMEOUT", "0s"),
            ("TICKETSIM_CONNECT_TIMEOUT", "soon"),
            ("TICKETSIM_CONNECT_TIMEOUT", "1h"),
            ("TICKETSIM_REQUEST_TIMEOUT", "50ms"),
            ("TICKETSIM_REQUEST_TIMEOUT", "-5s"),
            ("TICKETSIM_RETRY_BACKOFF", "5m..2s"),
            ("TICKETSIM_RETRY_BACKOFF", "10ms..1s"),
            ("TICKETSIM_RETRY_BACKOFF", "2s..2h"),
            ("TICKETSIM_RETRY_BACKOFF", "later"),
            ("TICKETSIM_CUSTOM_FIELDS", "plan"),
            ("TICKETSIM_CUSTOM_FIELDS", "plan=plan"),
        ] {
            let e = vars(&[(var, value)]).unwrap_err();
            assert_eq!(e.var, var, "{value}: {e}");
        }
    }

    #[test]
    fn the_custom_field_mapping_is_read_from_its_variable() {
        let v = vars(&[(
            "TICKETSIM_CUSTOM_FIELDS",
            "order_id=cf_order_id,plan=cf_plan",
        )])
        .unwrap();
        assert_eq!(v.custom_fields.cf_name("plan"), Some("cf_plan"));
    }
}
