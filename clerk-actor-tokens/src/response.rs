//! What an attempt's answer (or its absence) means: the mapping of the generated client's errors,
//! and of a time limit that ran out, onto [`Error`], using what the hooks recorded of the attempt.
//!
//! No success body is ever quoted (it would hold the token and url). An error answer keeps its
//! status, `Retry-After` and trace id whatever happens to its body (cut short, stalled, over the
//! size cap, not Clerk's JSON): the status decides what the error means.

use crate::connection_error::{self, Cause};
use crate::error::{ApiError, ClerkError, ConfigError, Error, ErrorBody, TimeoutKind};
use crate::hooks::{AttemptRecord, trace_id};
use crate::raw::{self, types as wire};

/// The time limit an attempt ran under, as far as its errors need to know.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LimitInfo {
    /// The attempt, from 1.
    pub number: u32,
    /// Which limit.
    pub kind: TimeoutKind,
    /// That limit as configured.
    pub after: std::time::Duration,
}

impl From<wire::ClerkError> for ClerkError {
    fn from(e: wire::ClerkError) -> Self {
        Self {
            code: e.code,
            message: e.message,
            long_message: e.long_message,
            meta: e.meta,
        }
    }
}

/// The error of an attempt whose limit ran out.
pub(crate) fn timed_out(seen: &AttemptRecord, limit: &LimitInfo) -> Error {
    match seen.status() {
        // The status and headers of an error answer arrived, its body did not: the status
        // decides (a 429 is still a 429, and a create refused with it did not happen).
        Some(status) if !status.is_success() => head_only(
            status,
            seen,
            limit.number,
            ErrorBody::Incomplete {
                content_type: content_type(seen),
            },
        ),
        // A success status arrived and its body did not: the request was processed.
        Some(_) => timeout(limit, crate::error::TimeoutPhase::Response),
        None => timeout(limit, seen.timeout_phase()),
    }
}

fn timeout(limit: &LimitInfo, phase: crate::error::TimeoutPhase) -> Error {
    Error::Timeout {
        kind: limit.kind,
        phase,
        after: limit.after,
        attempts: limit.number,
    }
}

/// Maps the generated client's error onto the crate's, without quoting success bodies. Runs
/// under the attempt's limit: reading an error answer's body can take as long as the server
/// makes it.
pub(crate) async fn map_error(
    error: raw::Error<wire::ClerkErrors>,
    seen: &AttemptRecord,
    attempts: u32,
    body_limit: usize,
) -> Error {
    let status = seen.status();
    match error {
        raw::Error::ErrorResponse(value) => {
            let status = value.status();
            let header_trace = trace_id(value.headers());
            let body = value.into_inner();
            api_error(
                status,
                Some(body),
                header_trace,
                seen,
                attempts,
                ErrorBody::Clerk,
            )
        }
        raw::Error::UnexpectedResponse(response) => {
            let status = response.status();
            let header_trace = trace_id(response.headers());
            match response.bytes().await {
                Ok(bytes) if status.is_success() => Error::InvalidResponse {
                    status: Some(status),
                    reason: format!(
                        "status {status} is not a documented success ({} bytes)",
                        bytes.len()
                    ),
                    trace_id: header_trace,
                },
                Ok(bytes) => {
                    let body = serde_json::from_slice::<wire::ClerkErrors>(&bytes).ok();
                    let kind = match body {
                        Some(_) => ErrorBody::Clerk,
                        None => ErrorBody::NotClerk {
                            content_type: content_type(seen),
                        },
                    };
                    api_error(status, body, header_trace, seen, attempts, kind)
                }
                Err(e) => body_error(e, Some(status), seen, attempts, body_limit),
            }
        }
        raw::Error::InvalidResponsePayload(_bytes, e) => match status {
            Some(s) if !s.is_success() => head_only(
                s,
                seen,
                attempts,
                ErrorBody::NotClerk {
                    content_type: content_type(seen),
                },
            ),
            _ => Error::InvalidResponse {
                status,
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
                trace_id: seen.trace_id().map(str::to_string),
            },
        },
        raw::Error::ResponseBodyError(e) => body_error(e, status, seen, attempts, body_limit),
        raw::Error::CommunicationError(e) | raw::Error::InvalidUpgrade(e) => {
            transport_error(e, seen, attempts)
        }
        raw::Error::Custom(message) => match seen.hook_error().cloned() {
            Some(config) => Error::Config(config),
            None => Error::Config(ConfigError::TokenProvider { message }),
        },
        raw::Error::InvalidRequest(message) => Error::Config(ConfigError::HttpClient(message)),
    }
}

fn content_type(seen: &AttemptRecord) -> Option<String> {
    seen.content_type().map(str::to_string)
}

/// The error of an error answer whose body told nothing (it was cut short, too large, or not
/// Clerk's JSON): the status and the headers' trace id and `Retry-After`. The one place such an
/// [`ApiError`] is built.
fn head_only(
    status: http::StatusCode,
    seen: &AttemptRecord,
    attempts: u32,
    body: ErrorBody,
) -> Error {
    api_error(
        status,
        None,
        seen.trace_id().map(str::to_string),
        seen,
        attempts,
        body,
    )
}

fn api_error(
    status: http::StatusCode,
    body: Option<wire::ClerkErrors>,
    header_trace: Option<String>,
    seen: &AttemptRecord,
    attempts: u32,
    kind: ErrorBody,
) -> Error {
    let (errors, meta, body_trace) = match body {
        Some(b) => (
            b.errors.into_iter().map(ClerkError::from).collect(),
            b.meta,
            b.clerk_trace_id,
        ),
        None => (Vec::new(), Default::default(), None),
    };
    Error::from(ApiError {
        status,
        errors,
        meta,
        trace_id: body_trace.or(header_trace),
        retry_after: seen.retry_after(),
        attempts,
        body: kind,
    })
}

/// A failure of the connection (or of reqwest's own time limits, on a custom client). Only a
/// request that a connection took can have reached the server; before that, it is a failure to
/// connect, whatever reqwest calls it.
fn transport_error(e: reqwest::Error, seen: &AttemptRecord, attempts: u32) -> Error {
    match connection_error::cause(&e) {
        // The handshake comes before the request: whatever else reqwest says, nothing was sent.
        Cause::Tls(problem) => {
            return Error::Tls {
                attempts,
                problem,
                source: e,
            };
        }
        // Even after the connection took the request: the server says it did not process it.
        Cause::NotProcessed => {
            return Error::NotProcessed {
                attempts,
                source: e,
            };
        }
        Cause::Other => {}
    }
    if e.is_connect() || !seen.handed_over() {
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

/// A body that could not be read: over the size cap, or the connection broke. When the status
/// of an error answer had arrived, it still decides.
fn body_error(
    e: reqwest::Error,
    status: Option<http::StatusCode>,
    seen: &AttemptRecord,
    attempts: u32,
    body_limit: usize,
) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut too_large = false;
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            too_large = true;
            break;
        }
        source = s.source();
    }
    match status {
        Some(status) if !status.is_success() => {
            let body = if too_large {
                ErrorBody::TooLarge {
                    limit: body_limit,
                    content_type: content_type(seen),
                }
            } else {
                ErrorBody::Incomplete {
                    content_type: content_type(seen),
                }
            };
            head_only(status, seen, attempts, body)
        }
        _ if too_large => Error::BodyTooLarge {
            status,
            limit: body_limit,
        },
        _ => transport_error(e, seen, attempts),
    }
}
