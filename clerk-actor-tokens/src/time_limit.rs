//! A future run until an instant: the time limit of one attempt (`call.rs` says which instant).
//!
//! tokio's `timeout_at` would do, but it polls the future before its timer, so the timer is
//! registered only after the request has gone to the connection. On a multi-threaded runtime
//! the worker that owns the timer driver may have parked in the meantime, having woken for that
//! request, with no earlier timer to wake for; registering then has to wake it again (an
//! `eventfd` write and a thread wake-up). That happened on about one attempt in four in the
//! overhead bench (BENCHMARKS.md, issue 20). Polling the timer first registers it before the
//! request exists, as reqwest does with its own timeout, and the driver sees it when it next
//! parks.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::{Instant, Sleep};

/// The limit passed before the future finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LimitPassed;

pin_project_lite::pin_project! {
    /// `future`, stopped with `Err(LimitPassed)` once `until` has passed. The timer is polled
    /// first on every poll: one that has passed wins over a future that is ready in the same
    /// poll, and a future is not started at all once its limit has passed.
    #[must_use = "futures do nothing unless polled"]
    pub(crate) struct TimeLimited<F> {
        #[pin]
        timer: Sleep,
        #[pin]
        future: F,
    }
}

/// `future`, to be run until `until`.
pub(crate) fn until<F: Future>(until: Instant, future: F) -> TimeLimited<F> {
    TimeLimited {
        timer: tokio::time::sleep_until(until),
        future,
    }
}

impl<F: Future> Future for TimeLimited<F> {
    type Output = Result<F::Output, LimitPassed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.timer.poll(cx).is_ready() {
            return Poll::Ready(Err(LimitPassed));
        }
        this.future.poll(cx).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn paused() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
    }

    #[test]
    fn a_future_that_ends_in_time_gives_its_output() {
        paused().block_on(async {
            let limit = Instant::now() + Duration::from_secs(2);
            let output = until(limit, async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                7
            })
            .await;
            assert_eq!(output, Ok(7));
        });
    }

    #[test]
    fn a_future_still_running_at_the_limit_is_stopped_then() {
        paused().block_on(async {
            let started = Instant::now();
            let limit = started + Duration::from_secs(2);
            let output = until(limit, tokio::time::sleep(Duration::from_secs(3))).await;
            assert_eq!(output, Err(LimitPassed));
            assert_eq!(started.elapsed(), Duration::from_secs(2));
        });
    }

    #[test]
    fn a_future_whose_limit_has_passed_is_never_polled() {
        paused().block_on(async {
            let limit = Instant::now();
            tokio::time::sleep(Duration::from_millis(5)).await;
            let polled = std::cell::Cell::new(false);
            let output = until(
                limit,
                std::future::poll_fn(|_| {
                    polled.set(true);
                    Poll::Ready(())
                }),
            )
            .await;
            assert_eq!(output, Err(LimitPassed));
            assert!(!polled.get(), "a future past its limit was started");
        });
    }
}
