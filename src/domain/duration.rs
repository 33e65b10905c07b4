//! Human durations: `250ms`, `10s`, `5m`, `1h`, `2d`, and sums like `1h30m`.

/// Parses a duration into milliseconds. The error says what was expected.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("expected a duration like 30s, 5m or 1h, got an empty value".into());
    }
    let bad = || format!("expected a duration like 30s, 5m or 1h, got \"{s}\"");
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(char::is_ascii_alphabetic).count();
        let factor = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

/// Parses a range of durations, `2m..10m`, or one duration (a range of one),
/// into milliseconds, smaller first.
pub fn parse_duration_range(s: &str) -> Result<(i64, i64), String> {
    let (low, high) = match s.split_once("..") {
        Some((a, b)) => (parse_duration(a)?, parse_duration(b)?),
        None => {
            let d = parse_duration(s)?;
            (d, d)
        }
    };
    if high < low {
        return Err(format!(
            "expected a range like 2m..10m with the smaller first, got \"{}\"",
            s.trim()
        ));
    }
    Ok((low, high))
}

/// Formats milliseconds compactly: `1h30m`, `45s`, `250ms`.
pub fn format_duration(ms: i64) -> String {
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    let mut secs = ms / 1_000;
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit_and_in_sums() {
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("10s"), Ok(10_000));
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("2d"), Ok(172_800_000));
    }

    #[test]
    fn malformed_durations_are_rejected_with_the_value() {
        for bad in ["", "5", "m", "5 m", "-5m", "5x", "99999999999999999999s"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("expected a duration"), "{bad}: {err}");
        }
    }

    #[test]
    fn durations_format_compactly() {
        assert_eq!(format_duration(5_400_000), "1h30m");
        assert_eq!(format_duration(45_000), "45s");
        assert_eq!(format_duration(250), "250ms");
    }
}
