//! One call: the attempt loop around the retry decision (`decision.rs`), each attempt's time
//! limit, and the tracing span. What an attempt's answer means is `response.rs`'s.
//!
//! Every byte of an attempt is read inside its limit: the generated future (which reads a success
//! body), then the body of an error answer and its mapping, all run until one instant, the earlier
//! of the request limit and the call's deadline. Instants are computed with `checked_add`, so a limit
//! too large for the clock (`Duration::MAX`) means "no limit" instead of a panic.

use std::future::Future;
use std::time::Duration;

use progenitor_client::ResponseValue;
use tokio::time::Instant;
use tracing::Instrument;

use crate::audit::{Audit, Audited};
use crate::config::Shared;
use crate::decision::{self, Decision, Facts, Outcome, Stop};
use crate::error::{AmbiguousOutcome, Error, TimeoutKind, TimeoutPhase};
use crate::hooks::{AttemptRecord, Recording};
use crate::operation::Operation;
use crate::raw::{self, types as wire};
use crate::response::{self, LimitInfo};
use crate::retry::RetryPolicy;
use crate::time_limit::{self, LimitPassed, TimeLimited};

/// Per-call overrides of the client's settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallOptions {
    pub retry: Option<RetryPolicy>,
    pub request_timeout: Option<Duration>,
    pub deadline: Option<Duration>,
}

/// What a generated operation returns: its answer of wire type `W`, or its error.
type RawResult<W> = Result<ResponseValue<W>, raw::Error<wire::ClerkErrors>>;

/// The per-call overrides every operation's builder offers (`retry_policy`, `request_timeout`,
/// `deadline`), for a builder with an `options: CallOptions` field.
macro_rules! call_options {
    () => {
        /// Overrides the client's retry policy for this call.
        pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
            self.options.retry = Some(policy);
            self
        }

        /// Overrides the client's per-request time limit for this call.
        pub fn request_timeout(mut self, timeout: Duration) -> Self {
            self.options.request_timeout = Some(timeout);
            self
        }

        /// Overrides the client's limit for the whole call, retries included.
        pub fn deadline(mut self, timeout: Duration) -> Self {
            self.options.deadline = Some(timeout);
            self
        }
    };
}

/// The time limit of one attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttemptLimit {
    /// The attempt, from 1.
    pub number: u32,
    /// When it must end (far ahead when both limits are too large for the clock).
    pub until: Instant,
    /// Which limit `until` is.
    pub kind: TimeoutKind,
    /// That limit as configured, for the error.
    pub after: Duration,
}

/// Far enough ahead to be no limit: tokio's own choice for `sleep(Duration::MAX)` (30 years).
const NO_LIMIT: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + after`, or [`NO_LIMIT`] ahead when that sum is past what the clock represents
/// (`Duration::MAX` means no limit, not a panic).
fn instant_after(now: Instant, after: Duration) -> Instant {
    // The last fallback is unreachable on real clocks; it would only end the attempt early.
    now.checked_add(after)
        .or_else(|| now.checked_add(NO_LIMIT))
        .unwrap_or(now)
}

impl AttemptLimit {
    /// `future`, stopped with `Err(LimitPassed)` when the limit passes (`time_limit.rs`: why its
    /// timer is polled before the future).
    ///
    /// A plain function returning the limited future, not an `async fn`: an `async fn` would keep
    /// the future twice in its state (the argument and the running one), and the attempt's
    /// futures are the bulk of every call's size.
    pub(crate) fn run<F: Future>(&self, future: F) -> TimeLimited<F> {
        time_limit::until(self.until, future)
    }

    /// What the attempt's errors need to know of its limit.
    fn info(&self) -> LimitInfo {
        LimitInfo {
            number: self.number,
            kind: self.kind,
            after: self.after,
        }
    }

    /// The error of a simulated attempt that ran out of time after its request was sent.
    #[cfg(test)]
    pub(crate) fn timeout(&self) -> Error {
        Error::Timeout {
            kind: self.kind,
            phase: TimeoutPhase::Response,
            after: self.after,
            attempts: self.number,
        }
    }
}

pub(crate) async fn run<W, T, F, Fut>(
    shared: &Shared,
    op: Operation,
    options: &CallOptions,
    audit: Audit<'_>,
    start_request: F,
) -> Result<T, Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = RawResult<W>>,
    T: From<W> + Audited,
{
    let policy = options.retry.as_ref().unwrap_or(&shared.retry);
    let request_timeout = options.request_timeout.unwrap_or(shared.timeouts.request);
    let deadline_after = options.deadline.unwrap_or(shared.timeouts.deadline);
    // One span per call. Each attempt is a debug event inside it (attempt, status, trace id),
    // and the span gets the final values once, when the call ends: recording a field twice on a
    // span makes subscribers print it twice, and a span per attempt would add a future layer to
    // the hot path for what an event says as well.
    //
    // Its fields follow OpenTelemetry's HTTP client conventions as tracing-opentelemetry maps
    // them (`otel.*` set the span's name, kind and status), beside the Clerk fields. `url.template`
    // is the path with its placeholders: a span never holds a url with an id in it.
    let endpoint = &shared.endpoint;
    let span = tracing::info_span!(
        "clerk.actor_tokens",
        otel.name = %format_args!("{} {}{}", op.method(), endpoint.path, op.path_template()),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        otel.status_description = tracing::field::Empty,
        operation = op.id(),
        http.request.method = op.method(),
        server.address = endpoint.address.as_str(),
        // Integers as i64: tracing-opentelemetry exports an unsigned field as a string.
        server.port = i64::from(endpoint.port),
        url.template = %format_args!("{}{}", endpoint.path, op.path_template()),
        http.response.status_code = tracing::field::Empty,
        http.request.resend_count = tracing::field::Empty,
        error.type = tracing::field::Empty,
        attempts = tracing::field::Empty,
        clerk.trace_id = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        user_id = tracing::field::Empty,
        actor.sub = tracing::field::Empty,
        actor_token.id = tracing::field::Empty,
        actor_token.expires_at = tracing::field::Empty,
        session.id = tracing::field::Empty,
    );
    audit.record_request(&span);
    // Read the clock for the span's duration only when a subscriber will see it.
    let started = (!span.is_disabled()).then(Instant::now);
    // The instrumented future is built in a statement of its own: the loop's future, as a
    // temporary of the statement that awaits, would stay in this future's state beside the
    // instrumented one and double its size (every move of it is a copy of that size, the
    // caller's `.await` and `spawn` included).
    let start = &start_request;
    let attempts = || {
        attempt_loop(op, policy, request_timeout, deadline_after, |limit| {
            attempt(shared, limit, start)
        })
    };
    // The attempts run inside the span (so that a token provider's events, and hyper-util's
    // connection events, nest under it) when a subscriber records it. A disabled span would be entered on every poll for nothing,
    // and the wrapper alone cost about 500 instructions per create+revoke pair (BENCHMARKS.md).
    let (mut result, attempts_made, last_seen) = if span.is_disabled() {
        attempts().await
    } else {
        let instrumented = attempts().instrument(span.clone());
        instrumented.await
    };
    // Only a span that a subscriber records is given the outcome: a disabled span still holds
    // its metadata, and `record` looks each field's name up in it (a string search over its 20
    // fields) before it finds there is nothing to record.
    if !span.is_disabled() {
        span.record("attempts", i64::from(attempts_made));
        // The convention's count of resends: set only when the request was sent again.
        if attempts_made > 1 {
            span.record("http.request.resend_count", i64::from(attempts_made - 1));
        }
        if let Some(status) = last_seen.status() {
            span.record("http.response.status_code", i64::from(status.as_u16()));
        }
        if let Err(error) = &result {
            // Code first: tracing-opentelemetry sets the status on each, and the description carries
            // the message (which never holds a secret; see tests/tests/secrets.rs).
            span.record("error.type", tracing::field::display(ErrorType::of(error)));
            span.record("otel.status_code", "ERROR");
            span.record("otel.status_description", tracing::field::display(error));
        }
        // The header's, else the one an error body carried (Clerk puts it in error bodies).
        let trace = last_seen
            .trace_id()
            .or_else(|| result.as_ref().err().and_then(Error::trace_id));
        if let Some(trace) = trace {
            span.record("clerk.trace_id", trace);
        }
        if let Some(started) = started {
            span.record(
                "duration_ms",
                i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            );
        }
    }
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!(attempts = attempts_made, "actor token call succeeded"),
        Err(e) => tracing::debug!(attempts = attempts_made, error = %e, "actor token call failed"),
    });
    audit.finish(&span, op, &mut result, last_seen.trace_id());
    result
}

/// The loop: give each attempt its limit, ask the decision what follows a failure, wait or stop.
/// Generic over the attempt so that tests can drive it with scripted outcomes in paused time.
/// Each attempt also returns what it saw (`S`); the loop returns the result, the number of
/// attempts made and what the last one saw.
pub(crate) async fn attempt_loop<T, S, F, Fut>(
    op: Operation,
    policy: &RetryPolicy,
    request_timeout: Duration,
    deadline_after: Duration,
    mut attempt: F,
) -> (Result<T, Error>, u32, S)
where
    S: Default,
    F: FnMut(AttemptLimit) -> Fut,
    Fut: Future<Output = (Result<T, Error>, S)>,
{
    let mut seen = S::default();
    let mut now = Instant::now();
    // `None`: the deadline is beyond what the clock represents, so there is none in practice.
    let deadline = now.checked_add(deadline_after);
    let mut waited = Duration::ZERO;
    let mut number: u32 = 0;
    // The error that made the loop wait, returned if the wait ends with no time left.
    let mut last: Option<Error> = None;
    loop {
        let time_left = deadline.map(|d| d.saturating_duration_since(now));
        if time_left == Some(Duration::ZERO) {
            // Nothing is sent without time to send it. A wait that was shorter than the time left
            // can still end past the deadline (timers round up to the millisecond): the caller
            // then gets the error that prompted the wait (the 429, with its Retry-After), not a
            // timeout that says less.
            let error = last.take().unwrap_or(Error::Timeout {
                kind: TimeoutKind::Deadline,
                phase: TimeoutPhase::NotStarted,
                after: deadline_after,
                attempts: number,
            });
            return (Err(error), number, seen);
        }
        number = number.saturating_add(1);
        let limit = match (deadline, time_left) {
            (Some(deadline), Some(left)) if left < request_timeout => AttemptLimit {
                number,
                until: deadline,
                kind: TimeoutKind::Deadline,
                after: deadline_after,
            },
            _ => AttemptLimit {
                number,
                until: instant_after(now, request_timeout),
                kind: TimeoutKind::Attempt,
                after: request_timeout,
            },
        };
        let (result, attempt_saw) = attempt(limit).await;
        seen = attempt_saw;

        let error = match result {
            Ok(value) => return (Ok(value), number, seen),
            Err(e) => e,
        };
        let facts = Facts {
            op,
            outcome: Outcome::of(&error),
            attempt: number,
            retry_after: error.retry_after(),
            waited,
            time_left: deadline.map(|d| d.saturating_duration_since(Instant::now())),
        };
        match decision::decide(&facts, policy, fastrand::f64()) {
            Decision::Retry { wait } => {
                tracing::debug!(attempt = number, wait_ms = millis(wait), error = %error, "retrying");
                tokio::time::sleep(wait).await;
                waited = waited.saturating_add(wait);
                now = Instant::now();
                last = Some(error);
            }
            Decision::Stop(Stop::Ambiguous) => {
                let ambiguous = Error::AmbiguousOutcome(AmbiguousOutcome {
                    attempts: number,
                    cause: Box::new(error),
                });
                return (Err(ambiguous), number, seen);
            }
            Decision::Stop(reason) => {
                if reason != Stop::Final {
                    tracing::debug!(attempt = number, ?reason, "not retrying");
                }
                return (Err(error), number, seen);
            }
        }
    }
}

/// The convention's `error.type`: the status code of an error answer (as a string, "404"), else
/// a low-cardinality name of what failed. An ambiguous outcome is named by its cause, which is
/// what happened; the ambiguity is the SDK's verdict on it.
enum ErrorType {
    Status(u16),
    Named(&'static str),
}

impl ErrorType {
    fn of(error: &Error) -> Self {
        if let Some(status) = error.status() {
            return ErrorType::Status(status.as_u16());
        }
        ErrorType::Named(match error {
            Error::AmbiguousOutcome(a) => return ErrorType::of(&a.cause),
            Error::Timeout { .. } => "timeout",
            Error::Connect { .. } => "connect",
            Error::Tls { .. } => "tls",
            Error::NotProcessed { .. } => "not_processed",
            Error::Transport { .. } => "transport",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::InvalidResponse { .. } => "invalid_response",
            Error::Config(_) => "config",
            Error::InvalidInput(_) => "invalid_input",
            Error::BlockingInAsyncContext => "blocking_in_async_context",
            Error::Api(_) => "api",
        })
    }
}

impl std::fmt::Display for ErrorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorType::Status(code) => write!(f, "{code}"),
            ErrorType::Named(name) => f.write_str(name),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One attempt within its limit: send, read the whole answer (an error answer's body too) and
/// map it. Also returns what the hooks saw, for the span.
///
/// Takes the function that starts the generated call, not its future: a future passed in would
/// be kept in this one's state twice (as the argument and as the scoped future), doubling the
/// size of every future above it.
async fn attempt<W, T, F, Fut>(
    shared: &Shared,
    limit: AttemptLimit,
    start: &F,
) -> (Result<T, Error>, AttemptRecord)
where
    F: Fn() -> Fut,
    Fut: Future<Output = RawResult<W>>,
    T: From<W>,
{
    let (outcome, seen) = {
        let generated = std::pin::pin!(start());
        let mut recording = Recording::new(generated);
        let outcome = limit.run(&mut recording).await;
        (outcome, recording.into_record())
    };
    tracing::debug!(
        attempt = limit.number,
        http.response.status_code = seen.status().map(|s| s.as_u16()),
        clerk.trace_id = seen.trace_id(),
        "attempt finished"
    );
    let result = match outcome {
        Ok(Ok(value)) => Ok(T::from(value.into_inner())),
        // An error answer's body is read under the same limit (the same instant), in a future of
        // its own so that the success path does not carry its state.
        Ok(Err(e)) => {
            let mapping = response::map_error(e, &seen, limit.number, body_limit(shared));
            match limit.run(mapping).await {
                Ok(error) => Err(error),
                Err(LimitPassed) => Err(response::timed_out(&seen, &limit.info())),
            }
        }
        Err(LimitPassed) => Err(response::timed_out(&seen, &limit.info())),
    };
    (result, seen)
}

fn body_limit(shared: &Shared) -> usize {
    use progenitor_client::ClientInfo;
    shared.raw.inner().max_response_bytes
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use proptest::prelude::*;

    use super::*;
    use crate::decision::Verdict;
    use crate::error::{ApiError, ErrorBody};

    /// What a scripted server does with one request: how long it takes, and how it ends.
    #[derive(Clone, Copy, Debug)]
    struct Step {
        takes: Duration,
        ends: Ends,
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Ends {
        Success,
        Failure(Outcome),
    }

    /// A real `reqwest::Error` for `Error::Connect` (reqwest has no public constructor): the
    /// error of building a request with an unusable URL, which needs no network.
    fn reqwest_error() -> reqwest::Error {
        static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
        CLIENT
            .get_or_init(|| crate::http_client_builder().build().expect("client"))
            .get("http://[::1")
            .build()
            .expect_err("an invalid URL")
    }

    fn error_for(outcome: Outcome, attempts: u32) -> Error {
        match outcome {
            Outcome::NotSent => Error::Connect {
                attempts,
                source: reqwest_error(),
            },
            Outcome::Status(status) => Error::from(ApiError {
                status: http::StatusCode::from_u16(status).expect("100..=599"),
                errors: Vec::new(),
                meta: Default::default(),
                trace_id: None,
                retry_after: None,
                attempts,
                body: ErrorBody::Clerk,
            }),
            Outcome::Lost => Error::Transport {
                attempts,
                source: reqwest_error(),
            },
            Outcome::UnusableSuccess => Error::InvalidResponse {
                status: Some(http::StatusCode::OK),
                reason: "truncated JSON".into(),
                trace_id: None,
            },
            Outcome::Refused => Error::InvalidInput(crate::error::InputError::EmptyUserId),
        }
    }

    /// What the server saw: per request, whether it may have acted on it.
    #[derive(Debug, Default)]
    struct Seen {
        requests: Vec<bool>,
    }

    fn may_have_acted(step: &Step, timed_out: bool) -> bool {
        timed_out
            || match step.ends {
                Ends::Success => true,
                Ends::Failure(o) => !matches!(
                    o,
                    Outcome::NotSent | Outcome::Refused | Outcome::Status(400..=499)
                ),
            }
    }

    /// Runs the real attempt loop against a script in tokio's paused clock; returns the result,
    /// the simulated time it took and what the server saw.
    fn simulate(
        op: Operation,
        policy: &RetryPolicy,
        request_timeout: Duration,
        deadline: Duration,
        script: &[Step],
    ) -> (Result<(), Error>, u32, Duration, Seen) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let started = Instant::now();
            let seen = std::sync::Mutex::new(Seen::default());
            let (result, attempts, ()) =
                attempt_loop(op, policy, request_timeout, deadline, |limit| {
                    let index = (limit.number as usize - 1).min(script.len() - 1);
                    let step = script[index];
                    let seen = &seen;
                    async move {
                        let outcome = limit.run(tokio::time::sleep(step.takes)).await;
                        let timed_out = outcome.is_err();
                        seen.lock()
                            .unwrap()
                            .requests
                            .push(may_have_acted(&step, timed_out));
                        let result = match (timed_out, step.ends) {
                            (true, _) => Err(limit.timeout()),
                            (false, Ends::Success) => Ok(()),
                            (false, Ends::Failure(o)) => Err(error_for(o, limit.number)),
                        };
                        (result, ())
                    }
                })
                .await;
            (
                result,
                attempts,
                started.elapsed(),
                seen.into_inner().unwrap(),
            )
        })
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            prop_oneof![
                Just(Duration::ZERO),
                (0u64..3_000).prop_map(Duration::from_millis),
                Just(Duration::from_secs(3600)),
            ],
            prop_oneof![
                1 => Just(Ends::Success),
                4 => crate::decision::tests::properties::outcome().prop_map(Ends::Failure),
            ],
        )
            .prop_map(|(takes, ends)| Step { takes, ends })
    }

    fn limit() -> impl Strategy<Value = Duration> {
        prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::MAX),
            (1u64..5_000).prop_map(Duration::from_millis),
        ]
    }

    /// A `Retry-After` a hair under the time left: the wait is taken, the timer rounds it up to
    /// the millisecond and it ends at the deadline. The caller gets the 429 (with its
    /// `Retry-After`), not a timeout.
    #[test]
    fn a_wait_that_ends_at_the_deadline_returns_the_error_that_prompted_it() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        let retry_after = Duration::from_micros(999_500);
        let (result, attempts, ()) = runtime.block_on(attempt_loop(
            Operation::Create,
            &RetryPolicy::default(),
            Duration::from_secs(30),
            Duration::from_secs(1),
            |limit| async move {
                let rate_limited = Error::from(ApiError {
                    status: http::StatusCode::TOO_MANY_REQUESTS,
                    errors: Vec::new(),
                    meta: Default::default(),
                    trace_id: None,
                    retry_after: Some(retry_after),
                    attempts: limit.number,
                    body: ErrorBody::Clerk,
                });
                (Err::<(), _>(rate_limited), ())
            },
        ));
        let e = result.unwrap_err();
        assert!(e.is_rate_limited(), "{e:?}");
        assert_eq!(e.retry_after(), Some(retry_after));
        assert_eq!(attempts, 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn the_loop_ends_in_time_never_replays_a_create_and_counts_attempts(
            create in any::<bool>(),
            policy in crate::decision::tests::properties::policy(),
            request_timeout in limit(),
            deadline in limit(),
            script in proptest::collection::vec(step(), 1..6),
        ) {
            let op = if create { Operation::Create } else { Operation::Revoke };
            let (result, attempts, took, seen) =
                simulate(op, &policy, request_timeout, deadline, &script);
            // Ends by its deadline (the paused clock is exact; 1 ms of slack for rounding).
            prop_assert!(took <= deadline.saturating_add(Duration::from_millis(1)),
                "took {took:?}, deadline {deadline:?}");
            // Never more attempts than the policy allows, and the count is what was sent.
            prop_assert!(attempts <= policy.max_attempts());
            prop_assert_eq!(seen.requests.len(), attempts as usize);
            // Where the error reports a count (not every variant does), it is that count.
            if let Some(reported) = result.as_ref().err().and_then(Error::attempts) {
                prop_assert_eq!(reported, attempts);
            }
            if op == Operation::Create {
                // No request after one the server may have acted on.
                if let Some(first) = seen.requests.iter().position(|acted| *acted) {
                    prop_assert_eq!(first + 1, seen.requests.len(), "{:?}", seen);
                    // And a create that ended in doubt says so.
                    if let Err(e) = &result {
                        let definite = matches!(
                            crate::decision::verdict(op, Outcome::of(e)),
                            Verdict::Final
                        );
                        prop_assert!(e.is_ambiguous() || definite, "{e:?}");
                    }
                }
            }
        }
    }
}
