//! Arrival times of an open model: `fixed` spacing or a `poisson` process,
//! following a [`Ramp`]. Seeded with SplitMix64 (Steele, Lea & Flood 2014),
//! written out here so that a seed gives the same arrivals in every version.

use super::rate::Ramp;

/// SplitMix64: a tiny, well-known PRNG whose output is fixed by its seed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    pub fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fixed,
    Poisson,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind, String> {
        match s.trim() {
            "fixed" => Ok(Kind::Fixed),
            "poisson" => Ok(Kind::Poisson),
            other => Err(format!("expected poisson or fixed, got \"{other}\"")),
        }
    }
}

/// No arrival is looked for beyond this (ten years, in ms).
const HORIZON_MS: i64 = 10 * 365 * 86_400_000;

/// Arrival offsets in ms from the start of the run, in order; above 1000/s
/// several share a millisecond (they start together, as one slot).
/// Arrival k comes when the expected count (the area under the ramp) reaches
/// the k-th point of a unit-rate process: k itself (`fixed`) or a sum of
/// exponential gaps (`poisson`); this follows any ramp, even one from zero.
#[derive(Debug, Clone)]
pub struct Arrivals {
    ramp: Ramp,
    kind: Kind,
    rng: SplitMix64,
    cum: f64,
    last: i64,
}

impl Arrivals {
    pub fn new(ramp: Ramp, kind: Kind, seed: u64) -> Self {
        Arrivals {
            ramp,
            kind,
            rng: SplitMix64::new(seed),
            cum: 0.0,
            last: -1,
        }
    }

    /// The first ms at which the expected count reaches `target`.
    fn time_of(&self, target: f64) -> Option<i64> {
        let from = self.last.max(0);
        if self.ramp.expected_by(from) >= target {
            return Some(from);
        }
        let (mut lo, mut hi) = (from, from + 1_000);
        while self.ramp.expected_by(hi) < target {
            if hi >= HORIZON_MS {
                return None;
            }
            lo = hi;
            hi = hi.saturating_mul(2).min(HORIZON_MS);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.ramp.expected_by(mid) >= target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some(hi)
    }
}

impl Iterator for Arrivals {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        self.cum += match self.kind {
            Kind::Fixed => 1.0,
            Kind::Poisson => -self.rng.next_open01().ln(),
        };
        let at = self.time_of(self.cum)?.max(self.last);
        self.last = at;
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::super::rate::{Ramp, Rate};
    use super::*;

    #[test]
    fn splitmix64_gives_the_published_sequence_for_seed_zero() {
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn fixed_arrivals_are_evenly_spaced() {
        let a: Vec<i64> = Arrivals::new(Ramp::constant(Rate(10.0)), Kind::Fixed, 1)
            .take(3)
            .collect();
        assert_eq!(a, vec![100, 200, 300]);
    }

    #[test]
    fn poisson_arrivals_follow_the_rate_and_the_seed() {
        let ramp = Ramp::constant(Rate(100.0));
        let a: Vec<i64> = Arrivals::new(ramp.clone(), Kind::Poisson, 7)
            .take_while(|t| *t < 60_000)
            .collect();
        assert!((5_700..6_300).contains(&a.len()), "{}", a.len());
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
        let b: Vec<i64> = Arrivals::new(ramp, Kind::Poisson, 7).take(50).collect();
        assert_eq!(&a[..50], &b[..]);
    }

    #[test]
    fn above_a_thousand_a_second_arrivals_share_milliseconds_and_keep_the_rate() {
        let a: Vec<i64> = Arrivals::new(Ramp::constant(Rate(5_000.0)), Kind::Fixed, 1)
            .take_while(|t| *t < 1_000)
            .collect();
        assert!((4_990..=5_000).contains(&a.len()), "{}", a.len());
        assert!(a.windows(2).all(|w| w[0] <= w[1]));
        let p = Arrivals::new(Ramp::constant(Rate(5_000.0)), Kind::Poisson, 3)
            .take_while(|t| *t < 10_000)
            .count();
        assert!((48_000..52_000).contains(&p), "{p}");
    }

    #[test]
    fn a_ramp_from_zero_still_produces_arrivals() {
        let ramp = Ramp::parse("0/s..10/s:10s").unwrap();
        let n = Arrivals::new(ramp, Kind::Fixed, 1)
            .take_while(|t| *t < 10_000)
            .count();
        assert!((40..=60).contains(&n), "{n}");
    }

    #[test]
    fn an_unknown_arrival_kind_is_refused() {
        assert!(Kind::parse("burst").unwrap_err().contains("burst"));
    }
}
