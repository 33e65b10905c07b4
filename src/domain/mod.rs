//! Pure lifecycle rules: stages, states, timing. No I/O, no clock reads: callers
//! pass `now` and get back what to do and when.

mod duration;
mod params;
mod states;

pub use duration::{format_duration, parse_duration, parse_duration_range};
pub use params::StepParams;
pub use states::{LifecycleState, Stage, StepState};

/// Milliseconds since the unix epoch, UTC. Defined here, at the bottom of the
/// import graph, so that the domain imports nothing of the crate; `clock`
/// re-exports it.
pub type UnixMs = i64;

/// The tag put on every ticket ticketsim creates, unless `TICKETSIM_TAG` says otherwise.
pub const DEFAULT_TAG: &str = "ticketsim";

/// Offsets of the four staged steps after ticket creation, in ms: agent reply,
/// customer reply, resolution, close. Strictly increasing and positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageOffsets(pub [i64; 4]);

impl StageOffsets {
    /// The documented default: 5, 10, 15 and 20 minutes.
    pub const DEFAULT: StageOffsets = StageOffsets([300_000, 600_000, 900_000, 1_200_000]);

    /// Parses `5m,10m,15m,20m`. Errors say what is wrong, for the caller to prefix.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 4 {
            return Err(format!(
                "expected 4 comma-separated durations (agent reply, customer reply, resolution, close), got {}",
                parts.len()
            ));
        }
        let mut out = [0i64; 4];
        for (i, p) in parts.iter().enumerate() {
            out[i] = parse_duration(p)?;
        }
        if out[0] <= 0 {
            return Err("the first offset must be greater than zero".into());
        }
        if out.windows(2).any(|w| w[1] <= w[0]) {
            return Err("offsets must be strictly increasing, e.g. 5m,10m,15m,20m".into());
        }
        Ok(StageOffsets(out))
    }

    /// The offset, from ticket creation, of a point given in *stage units*:
    /// 1, 2, 3, 4 are the four configured offsets, fractions fall in between
    /// (2.5 is half way from the second to the third), and points after 4 go on
    /// with the last gap (5 is one more gap after the close). Playbooks time their
    /// steps this way, so they follow `TICKETSIM_STAGE_OFFSETS` (minutes in
    /// production, seconds in the demo) without their own configuration.
    pub fn at(&self, units: f64) -> i64 {
        let points = [0, self.0[0], self.0[1], self.0[2], self.0[3]];
        let units = if units.is_finite() {
            units.max(0.0)
        } else {
            0.0
        };
        let i = (units.floor() as usize).min(3);
        let (from, to) = (points[i] as f64, points[i + 1] as f64);
        (from + (units - i as f64) * (to - from)).round() as i64
    }
}

/// Capped exponential backoff with full jitter: a random delay in
/// `[base/2, min(cap, base * 2^(attempt-1))]` ms (the floor keeps retries from
/// hammering a failing server right away). `attempt` counts from 1.
pub fn backoff_ms(attempt: u32, base_ms: i64, cap_ms: i64, rng: &mut impl rand::Rng) -> i64 {
    let exp = attempt.saturating_sub(1).min(30);
    let ceiling = base_ms.saturating_mul(1i64 << exp).min(cap_ms).max(1);
    let floor = (base_ms / 2).min(ceiling);
    rng.random_range(floor..=ceiling)
}

/// What to do with the cron slots missed while the daemon was down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatchUp {
    /// The slot to run now, if the most recent missed one is recent enough.
    pub run: Option<UnixMs>,
    /// The most recent missed slot, when it is too old to run (recorded as skipped).
    pub skip_latest: Option<UnixMs>,
    /// How many missed slots are not run.
    pub skipped: usize,
}

/// Policy for missed slots (sorted ascending): run only the most recent one, and
/// only if it is within `window_ms` of `now`; skip the rest.
pub fn catch_up(missed: &[UnixMs], now: UnixMs, window_ms: i64) -> CatchUp {
    match missed.last() {
        None => CatchUp {
            run: None,
            skip_latest: None,
            skipped: 0,
        },
        Some(&latest) if now - latest <= window_ms => CatchUp {
            run: Some(latest),
            skip_latest: None,
            skipped: missed.len() - 1,
        },
        Some(&latest) => CatchUp {
            run: None,
            skip_latest: Some(latest),
            skipped: missed.len(),
        },
    }
}

/// A per-lifecycle seed derived from the run seed and the slot time, so a
/// lifecycle's picks and text do not depend on restarts or on other lifecycles.
pub fn lifecycle_seed(run_seed: u64, slot_at: UnixMs) -> u64 {
    // SplitMix64 finalizer over the two inputs: cheap, stable across versions.
    let mut z = run_seed ^ (slot_at as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of the `n`-th lifecycle of a slot (`load` starts several in one
/// millisecond as one slot): the slot's own seed for the first.
pub fn nth_lifecycle_seed(run_seed: u64, slot_at: UnixMs, n: u32) -> u64 {
    let first = lifecycle_seed(run_seed, slot_at);
    match n {
        0 => first,
        n => lifecycle_seed(first, i64::from(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn default_offsets_parse_from_the_documented_string() {
        assert_eq!(
            StageOffsets::parse("5m,10m,15m,20m"),
            Ok(StageOffsets::DEFAULT)
        );
    }

    #[test]
    fn offsets_that_do_not_increase_are_rejected() {
        assert!(StageOffsets::parse("5m,5m,15m,20m").is_err());
        assert!(StageOffsets::parse("10m,5m,15m,20m").is_err());
        assert!(StageOffsets::parse("5m,10m,15m").is_err());
        assert!(StageOffsets::parse("5m,10m,15x,20m").is_err());
        assert!(StageOffsets::parse("0s,10m,15m,20m").is_err());
    }

    #[test]
    fn whole_stage_units_are_the_configured_offsets() {
        let o = StageOffsets::DEFAULT;
        let at: Vec<i64> = [0.0, 1.0, 2.0, 3.0, 4.0].map(|u| o.at(u)).to_vec();
        assert_eq!(at, vec![0, 300_000, 600_000, 900_000, 1_200_000]);
    }

    #[test]
    fn fractional_and_late_stage_units_interpolate_and_extrapolate() {
        let o = StageOffsets([5_000, 10_000, 20_000, 40_000]);
        assert_eq!(o.at(0.5), 2_500);
        assert_eq!(o.at(2.5), 15_000);
        assert_eq!(o.at(3.25), 25_000);
        // after the close, the last gap (20 s) repeats
        assert_eq!(o.at(5.0), 60_000);
        assert_eq!(o.at(6.5), 90_000);
        assert_eq!(o.at(-1.0), 0);
        assert_eq!(o.at(f64::NAN), 0);
    }

    #[test]
    fn backoff_grows_and_stays_under_the_cap() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 1..20 {
            let d = backoff_ms(attempt, 1_000, 60_000, &mut rng);
            assert!((500..=60_000).contains(&d), "attempt {attempt}: {d}");
        }
        assert!(backoff_ms(1, 1_000, 60_000, &mut rng) <= 1_000);
    }

    #[test]
    fn catch_up_runs_only_a_recent_latest_slot() {
        let c = catch_up(&[100, 200, 300], 350, 100);
        assert_eq!(c.run, Some(300));
        assert_eq!(c.skipped, 2);
        let c = catch_up(&[100, 200, 300], 1_000, 100);
        assert_eq!(c.run, None);
        assert_eq!(c.skip_latest, Some(300));
        assert_eq!(c.skipped, 3);
        assert_eq!(catch_up(&[], 1_000, 100).run, None);
    }

    #[test]
    fn lifecycle_seeds_differ_by_slot_and_repeat_by_input() {
        assert_eq!(lifecycle_seed(1, 1000), lifecycle_seed(1, 1000));
        assert_ne!(lifecycle_seed(1, 1000), lifecycle_seed(1, 2000));
        assert_ne!(lifecycle_seed(1, 1000), lifecycle_seed(2, 1000));
        assert_eq!(nth_lifecycle_seed(1, 1000, 0), lifecycle_seed(1, 1000));
        assert_ne!(
            nth_lifecycle_seed(1, 1000, 1),
            nth_lifecycle_seed(1, 1000, 2)
        );
        assert_ne!(nth_lifecycle_seed(1, 1000, 1), lifecycle_seed(1, 1000));
    }
}
