//! Target rates: `120/min`, `2/s`, `7200/h`, and ramps of stages
//! (`10/min..120/min:5m,120/min:30m`): a stage goes linearly from its first
//! rate to its second over its duration; a stage with one rate holds it.

use crate::domain::parse_duration;

/// Lifecycles per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(pub f64);

impl Rate {
    pub fn per_min(self) -> f64 {
        self.0 * 60.0
    }
}

/// Parses `120/min`, `2/s` or `7200/h` (also `/m`, `/sec`, `/hour`).
pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let s = s.trim();
    let bad = || format!("expected a rate like 120/min, 2/s or 7200/h, got \"{s}\"");
    let (n, unit) = s.split_once('/').ok_or_else(bad)?;
    let n: f64 = n.trim().parse().map_err(|_| bad())?;
    if !n.is_finite() || n < 0.0 {
        return Err(bad());
    }
    let per = match unit.trim() {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hour" => 3_600.0,
        _ => return Err(bad()),
    };
    Ok(Rate(n / per))
}

/// One stage of a ramp: from `from` to `to` over `ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub from: Rate,
    pub to: Rate,
    pub ms: i64,
}

/// The target rate over time; after the last stage the last rate holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Ramp {
    pub stages: Vec<Stage>,
}

impl Ramp {
    /// A constant rate.
    pub fn constant(rate: Rate) -> Ramp {
        Ramp {
            stages: vec![Stage {
                from: rate,
                to: rate,
                ms: i64::MAX,
            }],
        }
    }

    /// Parses `10/min..120/min:5m,120/min:30m`.
    pub fn parse(s: &str) -> Result<Ramp, String> {
        let stages = s
            .split(',')
            .map(|part| parse_stage(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ramp { stages })
    }

    /// The sum of the stages' durations (saturating; `i64::MAX` for a constant rate).
    pub fn total_ms(&self) -> i64 {
        self.stages.iter().fold(0i64, |a, s| a.saturating_add(s.ms))
    }

    /// The target rate `t_ms` after the start.
    pub fn rate_at(&self, t_ms: i64) -> Rate {
        let mut start = 0i64;
        for s in &self.stages {
            let end = start.saturating_add(s.ms);
            if t_ms < end {
                let f = (t_ms - start) as f64 / s.ms.max(1) as f64;
                return Rate(s.from.0 + (s.to.0 - s.from.0) * f.clamp(0.0, 1.0));
            }
            start = end;
        }
        self.stages.last().map_or(Rate(0.0), |s| s.to)
    }

    /// The expected number of arrivals in `[0, t_ms)` (the integral of the rate).
    pub fn expected_by(&self, t_ms: i64) -> f64 {
        let mut start = 0i64;
        let mut total = 0.0;
        for s in &self.stages {
            let end = start.saturating_add(s.ms);
            let upto = t_ms.min(end);
            if upto <= start {
                break;
            }
            let span = (upto - start) as f64 / 1_000.0;
            let r_end = self.rate_at(upto.min(end - 1).max(start)).0;
            total += span * (s.from.0 + r_end) / 2.0;
            start = end;
        }
        if t_ms > start {
            total += (t_ms - start) as f64 / 1_000.0 * self.rate_at(t_ms).0;
        }
        total
    }
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    let (rates, dur) = s.rsplit_once(':').ok_or_else(|| {
        format!("stage \"{s}\": expected RATE[..RATE]:DURATION, e.g. 10/min..120/min:5m")
    })?;
    let ms = parse_duration(dur).map_err(|e| format!("stage \"{s}\": {e}"))?;
    if ms <= 0 {
        return Err(format!(
            "stage \"{s}\": the duration must be greater than zero"
        ));
    }
    let (from, to) = match rates.split_once("..") {
        Some((a, b)) => (parse_rate(a)?, parse_rate(b)?),
        None => {
            let r = parse_rate(rates)?;
            (r, r)
        }
    };
    Ok(Stage { from, to, ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_per_second_minute_and_hour() {
        assert_eq!(parse_rate("120/min").unwrap(), Rate(2.0));
        assert_eq!(parse_rate("2/s").unwrap(), Rate(2.0));
        assert_eq!(parse_rate("7200/h").unwrap(), Rate(2.0));
        assert!(parse_rate("120").unwrap_err().contains("\"120\""));
        assert!(parse_rate("12/day").is_err());
        assert!(parse_rate("-1/s").is_err());
    }

    #[test]
    fn a_ramp_goes_linearly_then_holds() {
        let r = Ramp::parse("10/min..120/min:5m,120/min:30m").unwrap();
        assert_eq!(r.stages.len(), 2);
        assert_eq!(r.total_ms(), 35 * 60_000);
        assert!((r.rate_at(0).per_min() - 10.0).abs() < 1e-9);
        assert!((r.rate_at(150_000).per_min() - 65.0).abs() < 1e-9);
        assert!((r.rate_at(10 * 60_000).per_min() - 120.0).abs() < 1e-9);
        assert!((r.rate_at(99 * 60_000).per_min() - 120.0).abs() < 1e-9);
    }

    #[test]
    fn the_expected_count_is_the_area_under_the_ramp() {
        let r = Ramp::parse("0/s..2/s:10s,2/s:10s").unwrap();
        assert!((r.expected_by(10_000) - 10.0).abs() < 0.01);
        assert!((r.expected_by(20_000) - 30.0).abs() < 0.01);
        let c = Ramp::constant(Rate(10.0));
        assert!((c.expected_by(5_000) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn a_bad_stage_is_named_in_the_error() {
        let e = Ramp::parse("10/min:5m,oops").unwrap_err();
        assert!(e.contains("oops"), "{e}");
        assert!(Ramp::parse("10/min:0s").is_err());
    }
}
