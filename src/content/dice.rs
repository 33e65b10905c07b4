//! The content's random numbers: SplitMix64 and its own sampling, written out
//! here so that one seed gives the same conversations on every build.
//!
//! Why not `StdRng`: `rand` documents that `StdRng`'s algorithm, and the way
//! `choose` or `random_range` turn its output into picks, may change in any
//! new version, which would silently change every seeded conversation. Why
//! SplitMix64 (Steele, Lea and Flood, 2014): ten lines, a 64-bit state, passes
//! BigCrush, and fully specified by this file; text generation needs no
//! cryptographic strength. The sampling is specified here too: `below(n)` is
//! Lemire's multiply-shift with rejection, so it is exactly uniform.
//!
//! Changing anything in this file changes every seeded lifecycle: the golden
//! test (`golden_tests.rs`) fails when it does.

use rand::RngCore;

/// SplitMix64's increment (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// A seeded source of picks. Also a `rand::RngCore`, for code that takes one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dice {
    state: u64,
}

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice { state: seed }
    }

    /// The next 64 bits: SplitMix64.
    pub fn draw(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; 0 (without a draw) when `n` is 0 or 1.
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.draw()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `low..=high` (`low` when `high <= low`).
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low) + 1;
        low.wrapping_add(self.below(span) as i64)
    }

    /// True `percent` times in 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One item, uniformly; `None` when empty. One item needs no draw.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.below(items.len() as u64) as usize;
        items.get(i)
    }
}

impl RngCore for Dice {
    fn next_u32(&mut self) -> u32 {
        (self.draw() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.draw()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.draw().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_splitmix64_bit_for_bit() {
        let mut d = Dice::new(0);
        assert_eq!(d.draw(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(d.draw(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(d.draw(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn picks_stay_in_range_and_reach_every_value() {
        let mut d = Dice::new(42);
        let mut seen = [0u32; 7];
        for _ in 0..7_000 {
            seen[d.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert!((0..1000).all(|_| (-3..=3).contains(&d.between(-3, 3))));
        assert_eq!(d.between(5, 5), 5);
        assert_eq!(d.pick::<u8>(&[]), None);
    }

    #[test]
    fn one_seed_gives_one_sequence_and_another_seed_another() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut d = Dice::new(9);
                move |_| d.below(1000)
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut d = Dice::new(9);
                move |_| d.below(1000)
            })
            .collect();
        let c: Vec<u64> = (0..5)
            .map({
                let mut d = Dice::new(10);
                move |_| d.below(1000)
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
