//! When to try a request again, and how long to wait: exponential backoff with full jitter,
//! bounded by an attempt count and a time budget; `Retry-After` wins when the server sends it.
//!
//! Which failures are retried depends on the operation (see `Operation` in `call.rs`): a create is
//! not idempotent and is retried only when the request provably was not processed.

use std::time::Duration;

/// The longest `Retry-After` the SDK reports: 365 days. A server's value above it, including a
/// number of seconds too large for any integer type and a date in the far future, is reported as
/// this (by `Error::retry_after`), so that adding it to an `Instant` or `SystemTime` cannot
/// overflow. Any budget shorter than that ends the call at once instead of waiting.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How often and how patiently a call is retried. Built from [`RetryPolicy::default`] or
/// [`RetryPolicy::never`] with the `with_*` methods; read with the getters of the same names.
///
/// ```
/// use std::time::Duration;
/// use clerk_actor_tokens::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_initial_backoff(Duration::from_millis(100))
///     .with_budget(Duration::from_secs(30));
/// assert_eq!(patient.max_attempts(), 5);
/// assert_eq!(RetryPolicy::never().max_attempts(), 1);
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
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Upper bound of the first backoff; each further one doubles, up to [`Self::max_backoff`].
    pub fn with_initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Upper bound of any single computed backoff (a server's `Retry-After` is not capped by it).
    pub fn with_max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The most time a call may spend waiting between attempts, `Retry-After` included. A wait that
    /// would go past it ends the call with the last error instead.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Total attempts allowed, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Upper bound of the first computed backoff.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Upper bound of any single computed backoff.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The most time a call may spend waiting between attempts.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The backoff before retry number `retry` (1 for the first retry): `jitter` of the way up to
    /// `min(max_backoff, initial_backoff * 2^(retry-1))`. With `jitter` a uniform draw from
    /// `[0, 1]` this is "full jitter", which spreads clients that failed together; values outside
    /// are clamped and NaN counts as 0.
    pub(crate) fn backoff_with(&self, retry: u32, jitter: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        // In integer nanoseconds: `Duration::mul_f64` panics when rounding lifts a product near
        // `Duration::MAX` past it. A float-to-integer `as` saturates.
        let ceiling_nanos = ceiling.as_nanos();
        let nanos = ((ceiling_nanos as f64 * jitter) as u128).min(ceiling_nanos);
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        Duration::new(secs, (nanos % 1_000_000_000) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_within_the_growing_ceiling() {
        let policy = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(350));
        for _ in 0..1000 {
            let jitter = fastrand::f64();
            assert!(policy.backoff_with(1, jitter) <= Duration::from_millis(100));
            assert!(policy.backoff_with(2, jitter) <= Duration::from_millis(200));
            assert!(policy.backoff_with(3, jitter) <= Duration::from_millis(350));
            assert!(policy.backoff_with(40, jitter) <= Duration::from_millis(350));
        }
    }

    #[test]
    fn backoff_is_jittered() {
        let policy = RetryPolicy::default().with_initial_backoff(Duration::from_secs(1));
        let draws: std::collections::BTreeSet<_> = (0..50)
            .map(|_| policy.backoff_with(1, fastrand::f64()))
            .collect();
        assert!(
            draws.len() > 40,
            "full jitter should rarely repeat: {draws:?}"
        );
    }

    #[test]
    fn never_means_one_attempt_and_zero_is_clamped() {
        assert_eq!(RetryPolicy::never().max_attempts(), 1);
        assert_eq!(
            RetryPolicy::default().with_max_attempts(0).max_attempts(),
            1
        );
    }

    #[test]
    fn backoff_at_the_extremes_does_not_panic() {
        let huge = RetryPolicy::default()
            .with_initial_backoff(Duration::MAX)
            .with_max_backoff(Duration::MAX);
        assert_eq!(huge.backoff_with(u32::MAX, 1.0), Duration::MAX);
        assert_eq!(huge.backoff_with(1, 0.0), Duration::ZERO);
        assert!(huge.backoff_with(1, 0.5) < Duration::MAX);
        assert_eq!(huge.backoff_with(1, f64::INFINITY), Duration::MAX);
        assert_eq!(huge.backoff_with(1, f64::NAN), Duration::ZERO);
    }
}
