//! `--since` and `--until`: a date (UTC), an ISO time, or a duration back from now.

use crate::clock::{UnixMs, parse_iso};
use crate::store::{DAY_MS, Period};

use super::AppError;

/// Parses both bounds; `--until` must come after `--since`.
pub fn parse_period(
    since: Option<&str>,
    until: Option<&str>,
    now: UnixMs,
) -> Result<Period, AppError> {
    let since = since
        .map(|s| parse_when("--since", s, now, false))
        .transpose()?;
    let until = until
        .map(|s| parse_when("--until", s, now, true))
        .transpose()?;
    if let (Some(a), Some(b)) = (since, until)
        && b <= a
    {
        return Err(AppError::Usage(
            "--until: must be later than --since (the period is empty)".into(),
        ));
    }
    Ok(Period { since, until })
}

/// A bare date is its UTC midnight; for `--until` (`end`) it includes that
/// day, so the bound is the next midnight.
fn parse_when(arg: &str, s: &str, now: UnixMs, end: bool) -> Result<UnixMs, AppError> {
    let t = s.trim();
    let bad = || {
        AppError::Usage(format!(
            "{arg} {s:?}: expected a date (2026-12-01, UTC), an ISO time (2026-12-01T08:00:00Z) or a duration back from now (24h, 7d)"
        ))
    };
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(ms) = crate::domain::parse_duration(t) {
        return Ok(now - ms);
    }
    let bare_date = t.len() == 10 && t.as_bytes().get(4) == Some(&b'-');
    let at = parse_iso(t).ok_or_else(bad)?;
    Ok(if bare_date && end { at + DAY_MS } else { at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_durations_are_read_and_until_includes_its_day() {
        let day = DAY_MS;
        let p = parse_period(Some("1970-01-02"), Some("1970-01-03"), 0).unwrap();
        assert_eq!((p.since, p.until), (Some(day), Some(3 * day)));
        let p = parse_period(Some("24h"), Some("1970-01-03T00:00:01Z"), 2 * day).unwrap();
        assert_eq!((p.since, p.until), (Some(day), Some(2 * day + 1_000)));
        assert_eq!(parse_period(None, None, 0).unwrap(), Period::default());
    }

    #[test]
    fn a_bad_date_names_its_argument_and_an_empty_period_is_refused() {
        for (since, until, named) in [
            (Some("yesterday"), None, "--since"),
            (None, Some("2026-13-45"), "--until"),
            (Some("2026-12-02"), Some("2026-12-01"), "--until"),
        ] {
            let e = parse_period(since, until, 0).unwrap_err();
            assert!(e.to_string().starts_with(named), "{e}");
            assert_eq!(e.exit_code(), 2);
        }
    }
}
