//! Everything a load run counts, in bounded memory: totals, HDR histograms of
//! step lateness, create → close time and API latency per endpoint, and the
//! time [`Series`] behind the charts. Fed by the engine (step outcomes) and
//! by the HTTP client's observer (one call per response).

use std::collections::BTreeMap;

use super::stats::{Hist, MAX_ENDPOINTS, Series};

/// Distinct failure reasons kept; further ones are counted under "other".
const MAX_REASONS: usize = 20;
/// Width of the first series buckets.
const FIRST_BUCKET_MS: i64 = 1_000;

/// One API endpoint's figures.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    pub latency: Hist,
    pub by_status: BTreeMap<u16, u64>,
}

/// What a step came to, as the engine reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// `first`: the ticket was created; `last`: the lifecycle closed.
    Done {
        first: bool,
        last: bool,
    },
    Retry,
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Recorder {
    pub start_ms: i64,
    pub started: u64,
    /// Lifecycles whose ticket was created.
    pub created: u64,
    pub closed: u64,
    pub failed: u64,
    pub reasons: BTreeMap<String, u64>,
    pub steps: u64,
    pub retries: u64,
    pub reconciliations: u64,
    pub requests: u64,
    pub http_429: u64,
    pub retry_after_ms: u64,
    pub lateness: Hist,
    pub create_to_close: Hist,
    pub endpoints: BTreeMap<String, Endpoint>,
    pub series: Series,
}

impl Recorder {
    pub fn new(start_ms: i64) -> Self {
        Recorder {
            start_ms,
            started: 0,
            created: 0,
            closed: 0,
            failed: 0,
            reasons: BTreeMap::new(),
            steps: 0,
            retries: 0,
            reconciliations: 0,
            requests: 0,
            http_429: 0,
            retry_after_ms: 0,
            lateness: Hist::default(),
            create_to_close: Hist::default(),
            endpoints: BTreeMap::new(),
            series: Series::new(FIRST_BUCKET_MS),
        }
    }

    pub fn in_flight(&self) -> u64 {
        self.started.saturating_sub(self.closed + self.failed)
    }

    fn t(&self, at: i64) -> i64 {
        at - self.start_ms
    }

    /// A lifecycle was started at `at` while the target was `target_per_s`.
    pub fn arrival(&mut self, at: i64, target_per_s: f64) {
        self.started += 1;
        let in_flight = self.in_flight();
        let b = self.series.at(self.t(at));
        b.arrivals += 1;
        b.target_sum += target_per_s;
        b.target_n += 1;
        b.in_flight_max = b.in_flight_max.max(in_flight);
    }

    /// A tick without arrivals still records the target and what is in flight.
    pub fn tick(&mut self, at: i64, target_per_s: f64) {
        let in_flight = self.in_flight();
        let b = self.series.at(self.t(at));
        b.target_sum += target_per_s;
        b.target_n += 1;
        b.in_flight_max = b.in_flight_max.max(in_flight);
    }

    /// A step ended at `at`, `lateness_ms` after it was due (if known);
    /// `age_ms` is the lifecycle's age, used when it closes.
    pub fn step(&mut self, at: i64, lateness_ms: Option<i64>, age_ms: i64, outcome: StepOutcome) {
        if let Some(l) = lateness_ms {
            self.lateness.record(l.max(0));
            let t = self.t(at);
            self.series.at(t).lateness.record(l.max(0));
        }
        match outcome {
            StepOutcome::Done { first, last } => {
                self.steps += 1;
                self.created += u64::from(first);
                if last {
                    self.closed += 1;
                    self.create_to_close.record(age_ms);
                }
            }
            StepOutcome::Retry => self.retries += 1,
            StepOutcome::Failed(reason) => {
                self.failed += 1;
                let key = if self.reasons.len() < MAX_REASONS || self.reasons.contains_key(&reason)
                {
                    reason
                } else {
                    "other".to_string()
                };
                *self.reasons.entry(key).or_default() += 1;
            }
        }
    }

    /// One HTTP response (status 0: no response), from the client's observer.
    pub fn response(
        &mut self,
        at: i64,
        endpoint: &str,
        status: u16,
        latency_ms: i64,
        retry_after_ms: Option<u64>,
    ) {
        self.requests += 1;
        let key = if self.endpoints.len() < MAX_ENDPOINTS || self.endpoints.contains_key(endpoint) {
            endpoint.to_string()
        } else {
            "other".to_string()
        };
        let e = self.endpoints.entry(key.clone()).or_default();
        e.latency.record(latency_ms);
        *e.by_status.entry(status).or_default() += 1;
        let slot = self.series.endpoint(&key);
        let t = self.t(at);
        let b = self.series.at(t);
        b.requests += 1;
        if b.latency.len() <= slot {
            b.latency.resize(slot + 1, Default::default());
        }
        b.latency[slot].record(latency_ms);
        if status == 429 {
            self.http_429 += 1;
            b.http_429 += 1;
            let wait = retry_after_ms.unwrap_or(0);
            self.retry_after_ms += wait;
            b.retry_after_ms += wait;
        }
    }

    /// Bytes held by the histograms and the series (bounded; see the tests).
    pub fn bytes(&self) -> usize {
        let ends: usize = self
            .endpoints
            .values()
            .map(|e| e.latency.bytes() + e.by_status.len() * 16)
            .sum();
        self.lateness.bytes() + self.create_to_close.bytes() + ends + self.series.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soak(r: &mut Recorder, from: u64, to: u64) {
        for i in from..to {
            // One step every 13 s of simulated time: 200,000 steps span 30 days.
            let at = (i * 13_000) as i64;
            if i % 5 == 0 {
                r.arrival(at, 0.1);
            }
            r.response(
                at,
                "POST /api/v2/tickets/{id}/reply",
                if i % 97 == 0 { 429 } else { 201 },
                (i % 900) as i64,
                Some(1_000),
            );
            let outcome = match i % 5 {
                0 => StepOutcome::Done {
                    first: true,
                    last: false,
                },
                4 => StepOutcome::Done {
                    first: false,
                    last: true,
                },
                _ => StepOutcome::Done {
                    first: false,
                    last: false,
                },
            };
            r.step(at, Some((i % 3_000) as i64), 60_000, outcome);
        }
    }

    #[test]
    fn two_hundred_thousand_steps_keep_the_summary_and_series_memory_flat() {
        let mut r = Recorder::new(0);
        soak(&mut r, 0, 2_000);
        let early = r.bytes();
        soak(&mut r, 2_000, 200_000);
        assert_eq!(r.steps, 200_000);
        assert!(r.series.buckets.len() <= super::super::stats::MAX_BUCKETS);
        assert!(
            r.bytes() <= early * 2,
            "grew from {early} to {} bytes",
            r.bytes()
        );
        assert!(r.bytes() < 2_000_000, "{} bytes", r.bytes());
        assert_eq!(r.closed, 40_000);
        let charted: u64 = r.series.buckets.iter().map(|b| b.requests).sum();
        assert_eq!(charted, 200_000);
    }

    #[test]
    fn failures_keep_a_bounded_list_of_reasons() {
        let mut r = Recorder::new(0);
        for i in 0..100 {
            r.arrival(i, 1.0);
            r.step(i, None, 0, StepOutcome::Failed(format!("reason {i}")));
        }
        assert_eq!(r.failed, 100);
        assert_eq!(r.reasons.len(), MAX_REASONS + 1);
        assert_eq!(r.reasons["other"], 80);
        assert_eq!(r.in_flight(), 0);
    }
}
