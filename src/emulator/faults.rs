//! Fault injection: what a flaky Freshdesk (or the network to it) does to a
//! client, on demand. Set by CLI flags and changed at runtime through
//! `/_emulator/faults`.
//!
//! Each fault has a `*_next` count (the next N API requests get it, for tests
//! that want exactly one) and a `*_rate` (that fraction of requests, drawn
//! from an RNG seeded with the account seed, so a run can be replayed).
//! 429 bursts and 5xx answers replace the request before it takes effect;
//! hangs, dropped connections and malformed bodies come after it took
//! effect, which is when a client cannot know the outcome. A late write
//! takes effect only after the client gave up on it (see `late_write`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

pub use super::latency::Latency;

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
    /// Fraction of writes (POST, PUT, DELETE) that take effect only
    /// `late_write_ms` after they arrived, after the client gave up; GETs
    /// are never late. `late_write_next` counts writes only.
    pub late_write_rate: f64,
    pub late_write_next: u32,
    /// When a late write lands, in ms after the request arrived.
    pub late_write_ms: u64,
    /// What its response does meanwhile: hang, or drop the connection.
    pub late_write_mode: LateWriteMode,
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
            late_write_rate: 0.0,
            late_write_next: 0,
            late_write_ms: DEFAULT_LATE_WRITE_MS,
            late_write_mode: LateWriteMode::Hang,
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
            ("late_write_rate", self.late_write_rate),
        ];
        if let Some((name, r)) = rates.iter().find(|(_, r)| !(0.0..=1.0).contains(r)) {
            return Some(format!("{name} must be a fraction from 0 to 1, not {r}"));
        }
        if self.late_write_ms > HANG_MAX.as_millis() as u64 {
            return Some(format!(
                "late_write_ms must be at most {} (the hang limit), not {}",
                HANG_MAX.as_millis(),
                self.late_write_ms
            ));
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
            late_write_ms: self.late_write_ms,
            late_write_mode: self.late_write_mode,
            ..Faults::default()
        };
        *self == quiet
    }
}

/// A hanging request gives up after this long and closes its connection,
/// so that a long soak test with hangs does not pile up tasks forever.
pub(crate) const HANG_MAX: Duration = Duration::from_secs(600);

/// What the client sees of a late write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LateWriteMode {
    /// No answer comes (until the emulator's hang limit): the client times out.
    #[default]
    Hang,
    /// The connection is closed at once, without an answer.
    Drop,
}

impl fmt::Display for LateWriteMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LateWriteMode::Hang => "hang",
            LateWriteMode::Drop => "drop",
        })
    }
}

impl FromStr for LateWriteMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hang" => Ok(LateWriteMode::Hang),
            "drop" => Ok(LateWriteMode::Drop),
            _ => Err(format!("{s:?} is not a late-write mode; use hang or drop")),
        }
    }
}

impl Serialize for LateWriteMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Through [`FromStr`], so that a wrong value is named with the remedy.
impl<'de> Deserialize<'de> for LateWriteMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// One late write: when it lands and what its response does meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LateWrite {
    pub after_ms: u64,
    pub mode: LateWriteMode,
}

impl LateWrite {
    /// The request log's name for it.
    pub(crate) fn label(&self) -> String {
        format!("late_write_{}", self.mode)
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
    /// Runs later, after the client gave up (writes only).
    Late(LateWrite),
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
            Fault::Late(late) => late.label(),
        }
    }

    /// Whether the request is answered without running.
    pub(crate) fn replaces_request(&self) -> bool {
        matches!(self, Fault::TooMany(_) | Fault::Fail(_))
    }
}

/// When a late write lands by default, in ms after the request arrived.
pub const DEFAULT_LATE_WRITE_MS: u64 = 1_000;

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

    /// Decides the fate of the next request (`write`: a POST, PUT or
    /// DELETE); `None` leaves it alone. Counts (`*_next`) go before rates;
    /// the RNG is drawn only for rates that are set (and for late writes
    /// only on writes).
    pub(crate) fn decide(&mut self, write: bool) -> (Option<Fault>, u64) {
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
        } else if write && hit(&mut f.late_write_next, f.late_write_rate) {
            Some(Fault::Late(LateWrite {
                after_ms: f.late_write_ms,
                mode: f.late_write_mode,
            }))
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
#[path = "faults_tests.rs"]
mod tests;
