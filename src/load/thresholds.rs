//! `--fail-on` / `--abort-on`: `lateness_p99>5s,failed>0,rate_ratio<0.95`.
//! A threshold names a summary figure, a comparison and a limit (durations
//! such as `5s` are read as ms, since the figures they compare with are in ms).

use crate::domain::parse_duration;

/// The figures a threshold may name, as found in [`super::Figures`].
pub const NAMES: &[&str] = &[
    "lateness_p50",
    "lateness_p90",
    "lateness_p99",
    "lateness_max",
    "close_p50",
    "close_p99",
    "started",
    "closed",
    "failed",
    "failed_ratio",
    "http_429",
    "retry_after_wait_s",
    "retries",
    "rate_ratio",
    "budget_ratio",
    "request_p99",
    "http_errors",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub name: String,
    pub op: Op,
    pub limit: f64,
    /// As the user wrote it, for messages.
    pub text: String,
}

impl Threshold {
    /// Whether `value` crosses the threshold.
    pub fn crossed(&self, value: f64) -> bool {
        match self.op {
            Op::Gt => value > self.limit,
            Op::Ge => value >= self.limit,
            Op::Lt => value < self.limit,
            Op::Le => value <= self.limit,
        }
    }
}

/// Parses a comma list; unknown names are named in the error with the known ones.
pub fn parse(s: &str) -> Result<Vec<Threshold>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(parse_one)
        .collect()
}

fn parse_one(s: &str) -> Result<Threshold, String> {
    let at = s
        .find(['<', '>'])
        .ok_or_else(|| format!("\"{s}\": expected NAME>LIMIT or NAME<LIMIT, e.g. failed>0"))?;
    let name = s[..at].trim();
    let rest = &s[at..];
    let (op, limit) = [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)]
        .into_iter()
        .find_map(|(p, op)| rest.strip_prefix(p).map(|l| (op, l.trim())))
        .ok_or_else(|| format!("\"{s}\": bad comparison"))?;
    if !NAMES.contains(&name) {
        return Err(format!(
            "unknown threshold \"{name}\"; known: {}",
            NAMES.join(", ")
        ));
    }
    let limit = parse_limit(limit).map_err(|e| format!("\"{s}\": {e}"))?;
    Ok(Threshold {
        name: name.to_string(),
        op,
        limit,
        text: s.to_string(),
    })
}

fn parse_limit(s: &str) -> Result<f64, String> {
    if let Ok(n) = s.parse::<f64>() {
        return Ok(n);
    }
    parse_duration(s).map(|ms| ms as f64)
}

/// The thresholds crossed by `figures` (a lookup by name), as written.
pub fn crossed(thresholds: &[Threshold], figures: impl Fn(&str) -> Option<f64>) -> Vec<String> {
    thresholds
        .iter()
        .filter(|t| figures(&t.name).is_some_and(|v| t.crossed(v)))
        .map(|t| t.text.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_names_comparisons_and_durations() {
        let t = parse("lateness_p99>5s,failed>0, rate_ratio<0.95").unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].op, t[0].limit), (Op::Gt, 5_000.0));
        assert_eq!((t[1].op, t[1].limit), (Op::Gt, 0.0));
        assert_eq!((t[2].op, t[2].limit), (Op::Lt, 0.95));
        assert_eq!(parse("failed>=2").unwrap()[0].op, Op::Ge);
    }

    #[test]
    fn an_unknown_threshold_name_is_an_error_naming_it() {
        let e = parse("failed>0,latncy_p99>5s").unwrap_err();
        assert!(
            e.contains("latncy_p99") && e.contains("lateness_p99"),
            "{e}"
        );
        assert!(parse("failed").unwrap_err().contains("failed"));
        assert!(parse("failed>lots").unwrap_err().contains("lots"));
    }

    #[test]
    fn crossed_thresholds_are_named_as_written() {
        let t = parse("lateness_p99>5s,failed>0,rate_ratio<0.95").unwrap();
        let figures = |n: &str| match n {
            "lateness_p99" => Some(6_000.0),
            "failed" => Some(0.0),
            "rate_ratio" => Some(0.5),
            _ => None,
        };
        assert_eq!(
            crossed(&t, figures),
            vec!["lateness_p99>5s", "rate_ratio<0.95"]
        );
    }
}
