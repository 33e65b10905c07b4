//! Bounded-memory statistics. [`Hist`] wraps an HDR histogram of ms values
//! with fixed bounds (1 ms to 1 h, 3 significant figures), so its size is set
//! at creation. [`Series`] keeps fixed-width time buckets; when a run outgrows
//! [`MAX_BUCKETS`], neighbouring buckets are merged and the width doubles, so
//! a run of any length keeps at most that many.

use hdrhistogram::Histogram;

/// Largest value a histogram holds; larger ones are recorded as this.
pub const HIST_MAX_MS: u64 = 3_600_000;
/// The most buckets a series keeps.
pub const MAX_BUCKETS: usize = 240;
/// Endpoints tracked separately in a bucket; any more share the last slot.
pub const MAX_ENDPOINTS: usize = 16;

/// A latency histogram in ms.
#[derive(Debug, Clone)]
pub struct Hist(Histogram<u64>);

impl Default for Hist {
    fn default() -> Self {
        Hist(Histogram::new_with_bounds(1, HIST_MAX_MS, 3).expect("valid bounds"))
    }
}

impl Hist {
    pub fn record(&mut self, ms: i64) {
        self.0
            .saturating_record(ms.clamp(1, HIST_MAX_MS as i64) as u64);
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The value at quantile `q` (0..=1), 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.0.is_empty() {
            0
        } else {
            self.0.value_at_quantile(q)
        }
    }

    pub fn max(&self) -> u64 {
        self.0.max()
    }

    /// Bytes held by the counts (fixed by the bounds).
    pub fn bytes(&self) -> usize {
        self.0.distinct_values() * std::mem::size_of::<u64>()
    }
}

/// A coarse log-scale histogram (ratio 1.25 per slot) for per-bucket figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogHist([u32; 64]);

impl Default for LogHist {
    fn default() -> Self {
        LogHist([0; 64])
    }
}

impl LogHist {
    fn slot(ms: i64) -> usize {
        if ms <= 1 {
            return 0;
        }
        ((ms as f64).ln() / 1.25f64.ln()).ceil().clamp(0.0, 63.0) as usize
    }

    pub fn record(&mut self, ms: i64) {
        let s = Self::slot(ms);
        self.0[s] = self.0[s].saturating_add(1);
    }

    pub fn merge(&mut self, other: &LogHist) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = a.saturating_add(*b);
        }
    }

    pub fn count(&self) -> u64 {
        self.0.iter().map(|&c| u64::from(c)).sum()
    }

    /// The upper bound of the slot holding quantile `q`; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let want = ((q * n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.0.iter().enumerate() {
            seen += u64::from(c);
            if seen >= want {
                return Some(1.25f64.powi(i as i32).round());
            }
        }
        Some(1.25f64.powi(63))
    }
}

/// What happened during one bucket of time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bucket {
    pub arrivals: u64,
    /// Sum of target rates (per s) sampled at arrivals and ticks, and how many.
    pub target_sum: f64,
    pub target_n: u64,
    pub requests: u64,
    pub http_429: u64,
    pub retry_after_ms: u64,
    pub in_flight_max: u64,
    pub lateness: LogHist,
    /// API latency per endpoint (index into the series' endpoint names).
    pub latency: Vec<LogHist>,
}

impl Bucket {
    fn merge(&mut self, o: &Bucket) {
        self.arrivals += o.arrivals;
        self.target_sum += o.target_sum;
        self.target_n += o.target_n;
        self.requests += o.requests;
        self.http_429 += o.http_429;
        self.retry_after_ms += o.retry_after_ms;
        self.in_flight_max = self.in_flight_max.max(o.in_flight_max);
        self.lateness.merge(&o.lateness);
        if self.latency.len() < o.latency.len() {
            self.latency.resize(o.latency.len(), LogHist::default());
        }
        for (a, b) in self.latency.iter_mut().zip(&o.latency) {
            a.merge(b);
        }
    }

    pub fn target(&self) -> f64 {
        if self.target_n == 0 {
            0.0
        } else {
            self.target_sum / self.target_n as f64
        }
    }
}

/// Buckets of `width_ms` from the start of the run.
#[derive(Debug, Clone)]
pub struct Series {
    pub width_ms: i64,
    pub buckets: Vec<Bucket>,
    pub endpoints: Vec<String>,
}

impl Series {
    pub fn new(width_ms: i64) -> Self {
        Series {
            width_ms: width_ms.max(1),
            buckets: Vec::new(),
            endpoints: Vec::new(),
        }
    }

    /// The bucket for `t_ms` after the start, merging buckets as needed.
    pub fn at(&mut self, t_ms: i64) -> &mut Bucket {
        let mut i = (t_ms.max(0) / self.width_ms) as usize;
        while i >= MAX_BUCKETS {
            self.halve();
            i = (t_ms.max(0) / self.width_ms) as usize;
        }
        if self.buckets.len() <= i {
            self.buckets.resize(i + 1, Bucket::default());
        }
        &mut self.buckets[i]
    }

    /// The slot of an endpoint name in the buckets' `latency`.
    pub fn endpoint(&mut self, name: &str) -> usize {
        if let Some(i) = self.endpoints.iter().position(|e| e == name) {
            return i;
        }
        if self.endpoints.len() + 1 >= MAX_ENDPOINTS {
            return MAX_ENDPOINTS - 1;
        }
        self.endpoints.push(name.to_string());
        self.endpoints.len() - 1
    }

    fn halve(&mut self) {
        let merged = self
            .buckets
            .chunks(2)
            .map(|pair| {
                let mut b = pair[0].clone();
                if let Some(second) = pair.get(1) {
                    b.merge(second);
                }
                b
            })
            .collect();
        self.buckets = merged;
        self.width_ms *= 2;
    }

    /// Bytes held, roughly: bounded by [`MAX_BUCKETS`] and [`MAX_ENDPOINTS`].
    pub fn bytes(&self) -> usize {
        let per_bucket = std::mem::size_of::<Bucket>();
        let lat: usize = self
            .buckets
            .iter()
            .map(|b| b.latency.capacity() * std::mem::size_of::<LogHist>())
            .sum();
        self.buckets.capacity() * per_bucket + lat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hdr_quantiles_are_within_a_thousandth() {
        let mut h = Hist::default();
        for ms in 1..=1_000 {
            h.record(ms);
        }
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 990.0).abs() <= 1.0, "{p99}");
        assert_eq!(h.count(), 1_000);
        h.record(10 * HIST_MAX_MS as i64);
        assert_eq!(h.max(), h.0.highest_equivalent(HIST_MAX_MS));
    }

    #[test]
    fn a_log_histogram_answers_within_a_quarter() {
        let mut h = LogHist::default();
        for ms in [10, 20, 40, 80, 1_000] {
            h.record(ms);
        }
        let p99 = h.quantile(0.99).unwrap();
        assert!((1_000.0..=1_250.0).contains(&p99), "{p99}");
        assert_eq!(LogHist::default().quantile(0.5), None);
    }

    #[test]
    fn a_series_merges_buckets_instead_of_growing() {
        let mut s = Series::new(1_000);
        for t in 0..(MAX_BUCKETS as i64 * 10) {
            s.at(t * 1_000).arrivals += 1;
        }
        assert!(s.buckets.len() <= MAX_BUCKETS);
        assert_eq!(s.width_ms, 16_000);
        let total: u64 = s.buckets.iter().map(|b| b.arrivals).sum();
        assert_eq!(total, MAX_BUCKETS as u64 * 10);
    }
}
