//! One call: attempts, the per-operation retry rules, time limits, the mapping of the generated
//! client's errors onto [`Error`], and the tracing span.

use std::cell::RefCell;
use std::future::Future;
use std::time::{Duration, Instant};

use progenitor_client::ResponseValue;
use tracing::Instrument;

use crate::config::Shared;
use crate::error::{
    AmbiguousOutcome, ApiError, ClerkError, ConfigError, Error, ErrorBody, TimeoutKind,
};
use crate::model::ActorToken;
use crate::raw::{self, types as wire};
use crate::retry::RetryPolicy;
use crate::transport::{ATTEMPT, AttemptRecord};

/// The two operations and what each may safely retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Not idempotent: a retry after the request was sent could mint a second credential.
    Create,
    /// Converges: revoking twice leaves the token revoked (the second answer is a 400).
    Revoke,
}

impl Operation {
    pub(crate) fn id(self) -> &'static str {
        match self {
            Operation::Create => "CreateActorToken",
            Operation::Revoke => "RevokeActorToken",
        }
    }
}

/// Per-call overrides of the client's settings.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallOptions {
    pub retry: Option<RetryPolicy>,
    pub request_timeout: Option<Duration>,
    pub deadline: Option<Duration>,
}

type RawResult = Result<ResponseValue<wire::ActorToken>, raw::Error<wire::ClerkErrors>>;

/// What to do after an attempt.
enum Next {
    Retry(Error),
    Stop(Error),
}

pub(crate) async fn run<F, Fut>(
    shared: &Shared,
    op: Operation,
    options: &CallOptions,
    mut attempt_once: F,
) -> Result<ActorToken, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RawResult>,
{
    let policy = options.retry.as_ref().unwrap_or(&shared.retry);
    let request_timeout = options.request_timeout.unwrap_or(shared.timeouts.request);
    let deadline_after = options.deadline.unwrap_or(shared.timeouts.deadline);
    let started = Instant::now();
    let deadline = started + deadline_after;
    // One span per call. Each attempt is a debug event inside it (attempt, status, trace id),
    // and the span gets the final values once, when the call ends: recording a field twice on a
    // span makes subscribers print it twice, and a span per attempt would add a future layer to
    // the hot path for what an event says as well.
    let span = tracing::info_span!(
        "clerk.actor_tokens",
        operation = op.id(),
        attempts = tracing::field::Empty,
        http.status = tracing::field::Empty,
        clerk.trace_id = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let mut last_seen = AttemptRecord::default();
    let mut attempts_made = 0;
    let result = async {
        let mut attempt: u32 = 0;
        let mut waited = Duration::ZERO;
        loop {
            attempt += 1;
            attempts_made = attempt;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let limit = request_timeout.min(remaining);
            let kind = if limit < request_timeout {
                TimeoutKind::Deadline
            } else {
                TimeoutKind::Attempt
            };
            let attempt_future =
                ATTEMPT.scope(RefCell::new(AttemptRecord::default()), attempt_once());
            let mut attempt_future = std::pin::pin!(attempt_future);
            let outcome = tokio::time::timeout(limit, attempt_future.as_mut()).await;
            let seen = attempt_future
                .as_mut()
                .take_value()
                .map(RefCell::into_inner)
                .unwrap_or_default();
            tracing::debug!(
                attempt,
                http.status = seen.status.map(|s| s.as_u16()),
                clerk.trace_id = seen.trace_id.as_deref(),
                "attempt finished"
            );
            let next = match outcome {
                Ok(Ok(value)) => {
                    last_seen = seen;
                    return Ok(ActorToken::from(value.into_inner()));
                }
                Ok(Err(e)) => classify(
                    op,
                    map_error(e, &seen, attempt, shared).await,
                    &seen,
                    attempt,
                ),
                Err(_elapsed) => {
                    let after = if kind == TimeoutKind::Deadline {
                        deadline_after
                    } else {
                        limit
                    };
                    let timeout = Error::Timeout {
                        kind,
                        after,
                        attempts: attempt,
                    };
                    match (op, kind) {
                        (Operation::Create, _) => Next::Stop(ambiguous(timeout, attempt)),
                        (Operation::Revoke, TimeoutKind::Attempt) => Next::Retry(timeout),
                        (Operation::Revoke, TimeoutKind::Deadline) => Next::Stop(timeout),
                    }
                }
            };
            last_seen = seen;
            let error = match next {
                Next::Stop(e) => return Err(e),
                Next::Retry(e) => e,
            };
            if attempt >= policy.get_max_attempts() {
                return Err(error);
            }
            let wait = error
                .retry_after()
                .unwrap_or_else(|| policy.backoff(attempt));
            let over_budget = waited + wait > policy.get_budget();
            let past_deadline = Instant::now() + wait >= deadline;
            if over_budget || past_deadline {
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    over_budget,
                    past_deadline,
                    "not retrying: the wait does not fit the retry budget or the deadline"
                );
                return Err(error);
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            tokio::time::sleep(wait).await;
            waited += wait;
        }
    }
    .instrument(span.clone())
    .await;
    span.record("attempts", attempts_made);
    if let Some(status) = last_seen.status {
        span.record("http.status", status.as_u16());
    }
    if let Some(trace) = &last_seen.trace_id {
        span.record("clerk.trace_id", trace.as_str());
    }
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!(attempts = attempts_made, "actor token call succeeded"),
        Err(e) => tracing::debug!(attempts = attempts_made, error = %e, "actor token call failed"),
    });
    result
}

fn ambiguous(cause: Error, attempts: u32) -> Error {
    Error::AmbiguousOutcome(AmbiguousOutcome {
        attempts,
        cause: Box::new(cause),
    })
}

/// The operation's retry rules, applied to one failed attempt.
fn classify(op: Operation, error: Error, seen: &AttemptRecord, attempt: u32) -> Next {
    let succeeded_status = seen.status.is_some_and(|s| s.is_success());
    match (&error, op) {
        // Nothing reached the server: always safe.
        (Error::Connect { .. }, _) => Next::Retry(error),
        (Error::Api(e), _) if e.status.as_u16() == 429 => Next::Retry(error),
        (Error::Api(e), Operation::Revoke)
            if matches!(e.status.as_u16(), 500 | 502 | 503 | 504) =>
        {
            Next::Retry(error)
        }
        (Error::Transport { .. }, Operation::Revoke) => Next::Retry(error),
        (Error::Api(e), Operation::Create) if e.status.is_server_error() => {
            Next::Stop(ambiguous(error, attempt))
        }
        (Error::Transport { .. }, Operation::Create) => Next::Stop(ambiguous(error, attempt)),
        // A success status whose body could not be read: the token was probably created.
        (Error::InvalidResponse { .. } | Error::BodyTooLarge { .. }, Operation::Create)
            if succeeded_status =>
        {
            Next::Stop(ambiguous(error, attempt))
        }
        _ => Next::Stop(error),
    }
}

/// Maps the generated client's error onto the crate's, without quoting success bodies.
async fn map_error(
    error: raw::Error<wire::ClerkErrors>,
    seen: &AttemptRecord,
    attempts: u32,
    shared: &Shared,
) -> Error {
    let status = seen.status;
    match error {
        raw::Error::ErrorResponse(value) => {
            let status = value.status();
            let header_trace = crate::transport::trace_id(value.headers());
            let body = value.into_inner();
            api_error(status, Some(body), header_trace, seen, attempts)
        }
        raw::Error::UnexpectedResponse(response) => {
            let status = response.status();
            let header_trace = crate::transport::trace_id(response.headers());
            match response.bytes().await {
                Ok(bytes) if status.is_success() => Error::InvalidResponse {
                    status: status.as_u16(),
                    reason: format!(
                        "status {status} is not a documented success ({} bytes)",
                        bytes.len()
                    ),
                    trace_id: header_trace,
                },
                Ok(bytes) => {
                    let body = serde_json::from_slice::<wire::ClerkErrors>(&bytes).ok();
                    api_error(status, body, header_trace, seen, attempts)
                }
                Err(e) => body_error(e, status.as_u16(), attempts, shared),
            }
        }
        raw::Error::InvalidResponsePayload(_bytes, e) => match status {
            Some(s) if !s.is_success() => api_error(s, None, seen.trace_id.clone(), seen, attempts),
            _ => Error::InvalidResponse {
                status: status.map_or(0, |s| s.as_u16()),
                // Only the category and position: serde's message can quote the body.
                reason: format!(
                    "{} at line {} column {}",
                    match e.classify() {
                        serde_json::error::Category::Io => "I/O error",
                        serde_json::error::Category::Syntax => "not JSON",
                        serde_json::error::Category::Data => "JSON of the wrong shape",
                        serde_json::error::Category::Eof => "truncated JSON",
                    },
                    e.line(),
                    e.column()
                ),
                trace_id: seen.trace_id.clone(),
            },
        },
        raw::Error::ResponseBodyError(e) => {
            body_error(e, status.map_or(0, |s| s.as_u16()), attempts, shared)
        }
        raw::Error::CommunicationError(e) | raw::Error::InvalidUpgrade(e) => {
            transport_error(e, attempts)
        }
        raw::Error::Custom(message) => match seen.hook_error.clone() {
            Some(config) => Error::Config(config),
            None => Error::Config(ConfigError::TokenProvider { message }),
        },
        raw::Error::InvalidRequest(message) => Error::Config(ConfigError::HttpClient(message)),
    }
}

fn api_error(
    status: http::StatusCode,
    body: Option<wire::ClerkErrors>,
    header_trace: Option<String>,
    seen: &AttemptRecord,
    attempts: u32,
) -> Error {
    let (errors, meta, body_trace, kind) = match body {
        Some(b) => (
            b.errors.into_iter().map(ClerkError::from).collect(),
            b.meta,
            b.clerk_trace_id,
            ErrorBody::Clerk,
        ),
        None => (
            Vec::new(),
            Default::default(),
            None,
            ErrorBody::NotClerk {
                content_type: seen.content_type.clone(),
            },
        ),
    };
    Error::from(ApiError {
        status,
        errors,
        meta,
        trace_id: body_trace.or(header_trace),
        retry_after: seen.retry_after,
        attempts,
        body: kind,
    })
}

fn transport_error(e: reqwest::Error, attempts: u32) -> Error {
    if e.is_connect() {
        Error::Connect {
            attempts,
            source: e,
        }
    } else {
        Error::Transport {
            attempts,
            source: e,
        }
    }
}

fn body_error(e: reqwest::Error, status: u16, attempts: u32, shared: &Shared) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            use progenitor_client::ClientInfo;
            return Error::BodyTooLarge {
                status,
                limit: shared.raw.inner().max_response_bytes,
            };
        }
        source = s.source();
    }
    transport_error(e, attempts)
}
