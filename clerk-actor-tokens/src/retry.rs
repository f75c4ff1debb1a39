//! When to try a request again, and how long to wait: exponential backoff with full jitter,
//! bounded by an attempt count and a time budget; `Retry-After` wins when the server sends it.
//!
//! Which failures are retried depends on the operation (see `Operation` in `call.rs`): a create is
//! not idempotent and is retried only when the request provably was not processed.

use std::time::Duration;

/// How often and how patiently a call is retried.
///
/// ```
/// use std::time::Duration;
/// use clerk_actor_tokens::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .budget(Duration::from_secs(30));
/// assert_eq!(patient.get_max_attempts(), 5);
/// assert_eq!(RetryPolicy::never().get_max_attempts(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    budget: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms doubling up to 5 s per wait, at most 20 s of waiting in all.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            budget: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Total attempts, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Upper bound of the first backoff; each further one doubles, up to [`Self::max_backoff`].
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Upper bound of any single computed backoff (a server's `Retry-After` is not capped by it).
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The most time a call may spend waiting between attempts, `Retry-After` included. A wait that
    /// would go past it ends the call with the last error instead.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Total attempts allowed.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The waiting budget.
    pub fn get_budget(&self) -> Duration {
        self.budget
    }

    /// The backoff before retry number `retry` (1 for the first retry): a uniformly random wait in
    /// `[0, min(max_backoff, initial_backoff * 2^(retry-1))]` ("full jitter", which spreads
    /// clients that failed together).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_within_the_growing_ceiling() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for _ in 0..1000 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(3) <= Duration::from_millis(350));
            assert!(policy.backoff(40) <= Duration::from_millis(350));
        }
    }

    #[test]
    fn backoff_is_jittered() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_secs(1));
        let draws: std::collections::BTreeSet<_> = (0..50).map(|_| policy.backoff(1)).collect();
        assert!(
            draws.len() > 40,
            "full jitter should rarely repeat: {draws:?}"
        );
    }

    #[test]
    fn never_means_one_attempt_and_zero_is_clamped() {
        assert_eq!(RetryPolicy::never().get_max_attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).get_max_attempts(), 1);
    }
}
