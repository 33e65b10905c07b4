//! Which failed requests the client repeats by itself, and how long it waits first.
//!
//! Freshdesk has no idempotency keys, so a POST whose outcome is uncertain (timeout,
//! 5xx, unreadable success body) must go back to the caller, which looks before
//! re-sending. GETs and set-style PUTs are safe to repeat. A 429 is never an
//! attempt: Freshdesk did not process the request, and the budget waits it out.

use std::time::Duration;

use rand::Rng;

use super::error::Error;

/// How a request may be repeated inside the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    /// GET and set-style PUT: repeat any transient failure.
    Idempotent,
    /// POST: repeat only what certainly did not reach Freshdesk (connect errors).
    SendOnce,
}

impl Policy {
    /// Whether `error` may be retried under this policy (429s are handled apart).
    pub(crate) fn allows(self, error: &Error) -> bool {
        match self {
            Policy::Idempotent => error.is_transient(),
            Policy::SendOnce => matches!(error, Error::Connect(_)),
        }
    }
}

/// Capped exponential backoff with full jitter: a random delay in
/// `[0, min(cap, base * 2^attempt)]`. Full jitter spreads retries of many waiting
/// requests instead of letting them return in lockstep.
pub(crate) fn backoff(attempt: u32, base: Duration, cap: Duration, rng: &mut impl Rng) -> Duration {
    let ceiling = base
        .checked_mul(2u32.saturating_pow(attempt))
        .unwrap_or(cap)
        .min(cap);
    let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.random_range(0..=ceiling_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn backoff_stays_within_the_doubling_ceiling() {
        let mut rng = StdRng::seed_from_u64(7);
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(30);
        for attempt in 0..10 {
            let ceiling = (base * 2u32.pow(attempt)).min(cap);
            for _ in 0..200 {
                assert!(backoff(attempt, base, cap, &mut rng) <= ceiling);
            }
        }
    }

    #[test]
    fn backoff_is_capped_even_for_huge_attempt_numbers() {
        let mut rng = StdRng::seed_from_u64(1);
        let cap = Duration::from_secs(30);
        for attempt in [31, 32, 64, u32::MAX] {
            assert!(backoff(attempt, Duration::from_millis(500), cap, &mut rng) <= cap);
        }
    }

    #[test]
    fn backoff_uses_the_whole_jitter_range() {
        let mut rng = StdRng::seed_from_u64(3);
        let delays: Vec<Duration> = (0..500)
            .map(|_| {
                backoff(
                    3,
                    Duration::from_millis(500),
                    Duration::from_secs(30),
                    &mut rng,
                )
            })
            .collect();
        assert!(delays.iter().any(|d| *d < Duration::from_millis(500)));
        assert!(delays.iter().any(|d| *d > Duration::from_millis(3500)));
    }

    #[test]
    fn posts_are_retried_only_when_nothing_was_sent() {
        assert!(Policy::SendOnce.allows(&Error::Connect("refused".into())));
        assert!(!Policy::SendOnce.allows(&Error::Server { status: 503 }));
        assert!(!Policy::SendOnce.allows(&Error::Timeout));
        assert!(!Policy::SendOnce.allows(&Error::Decode("eof".into())));
        assert!(!Policy::SendOnce.allows(&Error::Transport("reset".into())));
    }

    #[test]
    fn gets_and_puts_are_retried_on_transient_errors_only() {
        assert!(Policy::Idempotent.allows(&Error::Server { status: 500 }));
        assert!(Policy::Idempotent.allows(&Error::Timeout));
        let not_found = Error::NotFound {
            what: "Ticket 1".into(),
        };
        assert!(!Policy::Idempotent.allows(&not_found));
    }
}
