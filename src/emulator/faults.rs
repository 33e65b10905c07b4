//! Fault injection: what a flaky Freshdesk (or the network to it) does to a
//! client, on demand. Set by CLI flags and changed at runtime through
//! `/_emulator/faults`.
//!
//! Each fault has a `*_next` count (the next N API requests get it, for tests
//! that want exactly one) and a `*_rate` (that fraction of requests, drawn
//! from an RNG seeded with the account seed, so a run can be replayed).
//! 429 bursts and 5xx answers replace the request before it takes effect;
//! hangs, dropped connections and malformed bodies come after it took
//! effect, which is when a client cannot know the outcome.

use std::fmt;
use std::str::FromStr;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Added latency: fixed (`min == max`) or uniform in `min..=max` ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Latency {
    pub fn fixed(ms: u64) -> Latency {
        Latency {
            min_ms: ms,
            max_ms: ms,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.max_ms == 0
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min_ms == self.max_ms {
            write!(f, "{}", self.min_ms)
        } else {
            write!(f, "{}..{}", self.min_ms, self.max_ms)
        }
    }
}

/// `50` or `20..200` (milliseconds).
impl FromStr for Latency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let num = |x: &str| {
            x.trim().parse::<u64>().map_err(|_| {
                format!("{s:?} is not a latency; use milliseconds like 50 or a range like 20..200")
            })
        };
        match s.split_once("..") {
            None => num(s).map(Latency::fixed),
            Some((lo, hi)) => {
                let (min_ms, max_ms) = (num(lo)?, num(hi)?);
                if min_ms > max_ms {
                    return Err(format!("{s:?}: the range must go from low to high"));
                }
                Ok(Latency { min_ms, max_ms })
            }
        }
    }
}

impl Serialize for Latency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Ms(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Ms(ms) => Ok(Latency::fixed(ms)),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// The fault settings, as `/_emulator/faults` shows and takes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Fraction of requests answered with `fail_status` instead of running.
    pub fail_rate: f64,
    pub fail_next: u32,
    /// 500 (Freshdesk's JSON `internal_error`), or 502/503 (an HTML page from
    /// the load balancer), or any other 5xx.
    pub fail_status: u16,
    /// Added before every API response.
    pub latency_ms: Latency,
    /// Fraction of requests that take effect and are then never answered.
    pub hang_rate: f64,
    pub hang_next: u32,
    /// Fraction of requests that take effect, then the connection is closed
    /// without a response.
    pub drop_rate: f64,
    pub drop_next: u32,
    /// Fraction of responses with a body that are cut in half (invalid JSON).
    pub malformed_rate: f64,
    pub malformed_next: u32,
    /// The next N requests get 429 (without taking effect).
    pub burst_429: u32,
    /// `Retry-After` of those 429s, in seconds.
    pub retry_after_secs: u32,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            fail_rate: 0.0,
            fail_next: 0,
            fail_status: 500,
            latency_ms: Latency::default(),
            hang_rate: 0.0,
            hang_next: 0,
            drop_rate: 0.0,
            drop_next: 0,
            malformed_rate: 0.0,
            malformed_next: 0,
            burst_429: 0,
            retry_after_secs: 1,
        }
    }
}

impl Faults {
    /// A one-line reason the settings cannot be used, if any.
    pub fn problem(&self) -> Option<String> {
        let rates = [
            ("fail_rate", self.fail_rate),
            ("hang_rate", self.hang_rate),
            ("drop_rate", self.drop_rate),
            ("malformed_rate", self.malformed_rate),
        ];
        if let Some((name, r)) = rates.iter().find(|(_, r)| !(0.0..=1.0).contains(r)) {
            return Some(format!("{name} must be a fraction from 0 to 1, not {r}"));
        }
        if !(500..=599).contains(&self.fail_status) {
            return Some(format!(
                "fail_status must be a 5xx status, not {}",
                self.fail_status
            ));
        }
        None
    }

    /// True when no request is touched at all (the fast path).
    pub fn is_quiet(&self) -> bool {
        let quiet = Faults {
            fail_status: self.fail_status,
            retry_after_secs: self.retry_after_secs,
            ..Faults::default()
        };
        *self == quiet
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// 429 with this `Retry-After`, before the request runs.
    TooMany(u32),
    /// This 5xx status, before the request runs.
    Fail(u16),
    /// Runs, then never answers.
    Hang,
    /// Runs, then the connection is closed.
    Drop,
    /// Runs, then the body is cut short.
    Malformed,
}

impl Fault {
    /// The name the request log gives it.
    pub(crate) fn label(&self) -> String {
        match self {
            Fault::TooMany(_) => "429".into(),
            Fault::Fail(status) => status.to_string(),
            Fault::Hang => "hang".into(),
            Fault::Drop => "drop".into(),
            Fault::Malformed => "malformed".into(),
        }
    }

    /// Whether the request is answered without running.
    pub(crate) fn replaces_request(&self) -> bool {
        matches!(self, Fault::TooMany(_) | Fault::Fail(_))
    }
}

/// The settings plus the seeded RNG that draws from them.
pub(crate) struct FaultState {
    pub faults: Faults,
    rng: StdRng,
}

impl FaultState {
    pub(crate) fn new(faults: Faults, seed: u64) -> FaultState {
        FaultState {
            faults,
            rng: StdRng::seed_from_u64(seed ^ 0xFA17_5EED),
        }
    }

    /// Decides the fate of the next request; `None` leaves it alone. Counts
    /// (`*_next`) go before rates; the RNG is drawn only for rates that are set.
    pub(crate) fn decide(&mut self) -> (Option<Fault>, u64) {
        let f = &mut self.faults;
        let rng = &mut self.rng;
        let mut hit = |next: &mut u32, rate: f64| {
            if *next > 0 {
                *next -= 1;
                return true;
            }
            rate > 0.0 && rng.random::<f64>() < rate
        };
        let fault = if hit(&mut f.burst_429, 0.0) {
            Some(Fault::TooMany(f.retry_after_secs))
        } else if hit(&mut f.fail_next, f.fail_rate) {
            Some(Fault::Fail(f.fail_status))
        } else if hit(&mut f.drop_next, f.drop_rate) {
            Some(Fault::Drop)
        } else if hit(&mut f.hang_next, f.hang_rate) {
            Some(Fault::Hang)
        } else if hit(&mut f.malformed_next, f.malformed_rate) {
            Some(Fault::Malformed)
        } else {
            None
        };
        let l = self.faults.latency_ms;
        let delay = if l.min_ms == l.max_ms {
            l.min_ms
        } else {
            self.rng.random_range(l.min_ms..=l.max_ms)
        };
        (fault, delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_reads_fixed_values_and_ranges() {
        assert_eq!("50".parse(), Ok(Latency::fixed(50)));
        assert_eq!(
            "20..200".parse(),
            Ok(Latency {
                min_ms: 20,
                max_ms: 200
            })
        );
        assert!(
            "200..20"
                .parse::<Latency>()
                .unwrap_err()
                .contains("low to high")
        );
        assert!("fast".parse::<Latency>().unwrap_err().contains("20..200"));
        assert_eq!(
            Latency {
                min_ms: 20,
                max_ms: 200
            }
            .to_string(),
            "20..200"
        );
    }

    #[test]
    fn counted_faults_come_first_then_rates_drawn_from_the_seed() {
        let faults = Faults {
            burst_429: 1,
            fail_next: 1,
            hang_next: 1,
            ..Faults::default()
        };
        let mut st = FaultState::new(faults, 1);
        let seen: Vec<Option<Fault>> = (0..4).map(|_| st.decide().0).collect();
        assert_eq!(
            seen,
            [
                Some(Fault::TooMany(1)),
                Some(Fault::Fail(500)),
                Some(Fault::Hang),
                None
            ]
        );
        let run = |seed| {
            let mut st = FaultState::new(
                Faults {
                    fail_rate: 0.5,
                    latency_ms: "10..90".parse().unwrap(),
                    ..Faults::default()
                },
                seed,
            );
            (0..50).map(|_| st.decide()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let fails = run(7).iter().filter(|(f, _)| f.is_some()).count();
        assert!((10..40).contains(&fails), "{fails}");
        assert!(run(7).iter().all(|(_, d)| (10..=90).contains(d)));
    }

    #[test]
    fn settings_out_of_range_are_named() {
        let bad = Faults {
            drop_rate: 1.5,
            ..Faults::default()
        };
        assert_eq!(
            bad.problem().unwrap(),
            "drop_rate must be a fraction from 0 to 1, not 1.5"
        );
        let bad = Faults {
            fail_status: 404,
            ..Faults::default()
        };
        assert!(bad.problem().unwrap().contains("5xx"));
        assert!(Faults::default().is_quiet());
        assert!(
            !Faults {
                latency_ms: Latency::fixed(1),
                ..Faults::default()
            }
            .is_quiet()
        );
    }
}
