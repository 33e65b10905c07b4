//! Training mode's variables: `TICKETSIM_MODE`, the trainee group, the
//! customer's SLA and delays, how events arrive (webhook secret and address,
//! polling) and the grade note.

use super::{ConfigError, Env, err};
use crate::domain::{parse_duration, parse_duration_range};

/// The shared secret of `POST /webhooks/freshdesk`; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// Training mode, when on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingVars {
    /// `TICKETSIM_MODE=training`: only the trainee playbook.
    pub only_training: bool,
    /// `TICKETSIM_TRAINEE_GROUP`: a group id or name; unassigned when unset.
    pub trainee_group: Option<String>,
    /// `FRESHDESK_WEBHOOK_SECRET`: serve the receiver when set.
    pub webhook_secret: Option<WebhookSecret>,
    /// `TICKETSIM_TRAINEE_SLA`, ms.
    pub sla_ms: i64,
    /// `TICKETSIM_CUSTOMER_DELAY`, ms.
    pub delay_ms: (i64, i64),
    /// `TICKETSIM_POLL_INTERVAL`, ms; `None` = no polling.
    pub poll_interval_ms: Option<i64>,
    /// `TICKETSIM_GRADE_NOTE=on`.
    pub grade_note: bool,
}

const MIN_SECRET: usize = 12;

/// Reads the training variables.
pub fn parse_training(env: &impl Env) -> Result<TrainingVars, ConfigError> {
    let only_training = parse_mode(env)?;
    let webhook_secret = parse_secret(env)?;
    Ok(TrainingVars {
        only_training,
        trainee_group: env
            .get("TICKETSIM_TRAINEE_GROUP")
            .map(|g| g.trim().to_string()),
        webhook_secret,
        sla_ms: duration(env, "TICKETSIM_TRAINEE_SLA", 3_600_000)?,
        delay_ms: match env.get("TICKETSIM_CUSTOMER_DELAY") {
            None => (120_000, 600_000),
            Some(s) => parse_duration_range(&s).map_err(|e| err("TICKETSIM_CUSTOMER_DELAY", e))?,
        },
        poll_interval_ms: match env.get("TICKETSIM_POLL_INTERVAL") {
            None => None,
            Some(_) => Some(duration(env, "TICKETSIM_POLL_INTERVAL", 0)?),
        },
        grade_note: on_off(env, "TICKETSIM_GRADE_NOTE")?,
    })
}

/// `TICKETSIM_MODE`: true for `training`.
fn parse_mode(env: &impl Env) -> Result<bool, ConfigError> {
    match env.get("TICKETSIM_MODE").map(|m| m.trim().to_lowercase()) {
        None => Ok(false),
        Some(m) if m == "normal" => Ok(false),
        Some(m) if m == "training" => Ok(true),
        Some(m) => Err(err(
            "TICKETSIM_MODE",
            format!("expected `normal` or `training`, got \"{m}\""),
        )),
    }
}

/// `FRESHDESK_WEBHOOK_SECRET`, long enough; the error never repeats it.
fn parse_secret(env: &impl Env) -> Result<Option<WebhookSecret>, ConfigError> {
    match env.get("FRESHDESK_WEBHOOK_SECRET") {
        None => Ok(None),
        Some(s) if s.trim().chars().count() < MIN_SECRET => Err(err(
            "FRESHDESK_WEBHOOK_SECRET",
            format!(
                "too short: use at least {MIN_SECRET} random characters (e.g. `openssl rand -hex 16`)"
            ),
        )),
        Some(s) => Ok(Some(WebhookSecret(s.trim().to_string()))),
    }
}

fn duration(env: &impl Env, var: &'static str, default: i64) -> Result<i64, ConfigError> {
    let Some(s) = env.get(var) else {
        return Ok(default);
    };
    match parse_duration(s.trim()) {
        Ok(ms) if ms > 0 => Ok(ms),
        Ok(_) => Err(err(var, "must be greater than zero")),
        Err(e) => Err(err(var, format!("{e} (e.g. 1h, 30m, 45s)"))),
    }
}

fn on_off(env: &impl Env, var: &'static str) -> Result<bool, ConfigError> {
    match env.get(var).map(|v| v.trim().to_lowercase()).as_deref() {
        None | Some("off" | "false" | "0" | "no") => Ok(false),
        Some("on" | "true" | "1" | "yes") => Ok(true),
        Some(other) => Err(err(var, format!("expected `on` or `off`, got \"{other}\""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::env_of as env;

    #[test]
    fn defaults_are_one_hour_sla_two_to_ten_minute_delays_and_no_polling() {
        let t = parse_training(&env(&[])).unwrap();
        assert!(!t.only_training);
        assert_eq!(t.sla_ms, 3_600_000);
        assert_eq!(t.delay_ms, (120_000, 600_000));
        assert_eq!(t.poll_interval_ms, None);
    }

    #[test]
    fn bad_values_name_their_variable_and_the_secret_is_never_shown() {
        let e = parse_training(&env(&[("TICKETSIM_MODE", "train")])).unwrap_err();
        assert_eq!(e.var, "TICKETSIM_MODE");
        let e = parse_training(&env(&[("TICKETSIM_CUSTOMER_DELAY", "9m..2m")])).unwrap_err();
        assert_eq!(e.var, "TICKETSIM_CUSTOMER_DELAY");
        let e = parse_training(&env(&[("FRESHDESK_WEBHOOK_SECRET", "short1")])).unwrap_err();
        assert!(!e.to_string().contains("short1"), "{e}");
        let t = parse_training(&env(&[(
            "FRESHDESK_WEBHOOK_SECRET",
            "a-long-enough-secret",
        )]))
        .unwrap();
        assert!(!format!("{t:?}").contains("a-long-enough-secret"));
    }
}
