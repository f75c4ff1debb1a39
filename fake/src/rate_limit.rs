//! Clerk's documented Backend API rate limits, as an opt-in mode of the fake: a fixed number of
//! requests per window for the instance (Clerk counts per secret key, that is per instance; the
//! fake is one instance). Beyond it, requests get 429 `too_many_requests` with `Retry-After` in
//! whole seconds until the window ends.
//!
//! Source: clerk/clerk-docs `docs/guides/how-clerk-works/system-limits.mdx` ("Backend API
//! requests": production instances 1000 requests per 10 seconds, development instances 100 per
//! 10 seconds; rate-limited requests get `Retry-After` with the seconds until the block expires).

use std::time::{Duration, Instant};

/// A Backend API rate limit: at most `requests` per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed per window (at least 1).
    pub requests: u32,
    /// The window, in whole seconds (at least 1).
    pub window_seconds: u32,
}

impl RateLimit {
    /// Clerk's limit for development instances: 100 requests per 10 seconds.
    pub const DEVELOPMENT: RateLimit = RateLimit {
        requests: 100,
        window_seconds: 10,
    };

    /// Clerk's limit for production instances: 1000 requests per 10 seconds.
    pub const PRODUCTION: RateLimit = RateLimit {
        requests: 1000,
        window_seconds: 10,
    };

    /// A custom limit (for tests that want to reach it quickly); zeros count as 1.
    pub fn new(requests: u32, window: Duration) -> Self {
        let secs = window.as_secs() + u64::from(window.subsec_nanos() > 0);
        Self {
            requests: requests.max(1),
            window_seconds: u32::try_from(secs).unwrap_or(u32::MAX).max(1),
        }
    }

    fn window(self) -> Duration {
        Duration::from_secs(u64::from(self.window_seconds.max(1)))
    }
}

/// The counter of the current window.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    started: Instant,
    used: u32,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            started: Instant::now(),
            used: 0,
        }
    }

    /// Counts a request at `now`: `Ok` if it is allowed, else the whole seconds (at least 1)
    /// until the window ends.
    pub(crate) fn check(&mut self, now: Instant) -> Result<(), u64> {
        let window = self.limit.window();
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed >= window {
            self.started = now;
            self.used = 0;
        }
        if self.used < self.limit.requests.max(1) {
            self.used += 1;
            return Ok(());
        }
        let left = window.saturating_sub(now.saturating_duration_since(self.started));
        Err((left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_allows_its_quota_then_asks_to_wait_until_it_ends() {
        let mut limiter = Limiter::new(RateLimit::new(2, Duration::from_secs(10)));
        let t0 = limiter.started;
        assert!(limiter.check(t0).is_ok());
        assert!(limiter.check(t0 + Duration::from_secs(1)).is_ok());
        assert_eq!(limiter.check(t0 + Duration::from_millis(2_500)), Err(8));
        assert_eq!(limiter.check(t0 + Duration::from_millis(9_999)), Err(1));
        assert!(limiter.check(t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn clerks_documented_limits() {
        assert_eq!(
            RateLimit::DEVELOPMENT,
            RateLimit::new(100, Duration::from_secs(10))
        );
        assert_eq!(RateLimit::PRODUCTION.requests, 1000);
        assert_eq!(
            RateLimit::new(0, Duration::ZERO),
            RateLimit::new(1, Duration::from_secs(1))
        );
    }
}
