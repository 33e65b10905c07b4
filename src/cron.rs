//! Cron expressions: six fields (seconds first), evaluated in UTC. A leaf
//! module: parse, validate and find the next occurrence with croner, the same
//! way tokio-cron-scheduler reads the expression. Times are Unix milliseconds.

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds};

pub use croner::Cron;

/// A schedule must fire at least once within this many days to be accepted.
pub const HORIZON_DAYS: i64 = 400;
const DAY_MS: i64 = 86_400_000;

/// Parses a six-field cron (seconds first) the way tokio-cron-scheduler does.
pub fn parse(expr: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| e.to_string())
}

/// The first occurrence strictly after `after_ms` (whole seconds), if any.
pub fn next_after(cron: &Cron, after_ms: i64) -> Option<i64> {
    let t = DateTime::<Utc>::from_timestamp_millis(after_ms - after_ms.rem_euclid(1_000))?;
    cron.find_next_occurrence(&t, false)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// Checks the shape (six fields), the syntax, and that the schedule fires
/// within [`HORIZON_DAYS`] of `now_ms`. The error says what is wrong, without
/// the variable's name (the caller adds it).
pub fn validate(expr: &str, now_ms: i64) -> Result<Cron, String> {
    let fields = expr.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "expected six fields (sec min hour day month weekday, UTC), e.g. \"0 0 * * * *\"; got {fields} in \"{expr}\""
        ));
    }
    let cron =
        parse(expr).map_err(|e| format!("\"{expr}\" is not a valid cron expression: {e}"))?;
    match next_after(&cron, now_ms) {
        Some(next) if next - now_ms <= HORIZON_DAYS * DAY_MS => Ok(cron),
        _ => Err(format!(
            "\"{expr}\" never fires in the next {HORIZON_DAYS} days, so no ticket would ever start; check the day and month fields (e.g. \"0 0 9 * * Mon-Fri\")"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T00:00:00Z
    const T0: i64 = 1_767_225_600_000;

    #[test]
    fn six_field_crons_parse_and_five_field_ones_are_refused() {
        assert!(validate("0 0 * * * *", T0).is_ok());
        assert!(validate("*/10 * * * * *", T0).is_ok());
        assert!(validate("0 0 25 * * *", T0).is_err());
        assert!(
            validate("0 * * * *", T0)
                .unwrap_err()
                .contains("six fields")
        );
    }

    #[test]
    fn a_cron_that_never_fires_within_400_days_is_refused() {
        let e = validate("0 0 0 30 2 *", T0).unwrap_err();
        assert!(e.contains("never fires"), "{e}");
        // once a year is fine
        assert!(validate("0 0 0 1 1 *", T0).is_ok());
    }

    #[test]
    fn the_next_occurrence_is_strictly_after_the_given_time() {
        let cron = parse("0 0 * * * *").unwrap();
        assert_eq!(next_after(&cron, T0), Some(T0 + 3_600_000));
        assert_eq!(next_after(&cron, T0 + 1), Some(T0 + 3_600_000));
        let every_second = parse("* * * * * *").unwrap();
        assert_eq!(next_after(&every_second, T0 + 1_500), Some(T0 + 2_000));
    }
}
