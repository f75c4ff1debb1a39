//! Constructors of the errors callers branch on, for unit tests of code that handles them without
//! a server (feature `test-util`, as aws-sdk offers for its outputs and errors).
//!
//! Each constructor builds the value the SDK itself would return for Clerk's answer: the same
//! status, Clerk error code and `meta`, so that the helpers (`is_quota_exhausted()`, `quota()`,
//! `retry_after()`, ...) answer as they do in production. The SDK never builds these errors from
//! anything but a response; that is why they are not part of the normal API.
//!
//! ```
//! use std::time::Duration;
//! use clerk_actor_tokens::{Error, Quota};
//!
//! // The code under test: what the app does with a failed create.
//! fn advice(e: &Error) -> String {
//!     if let Some(Quota { used: Some(used), limit: Some(limit) }) = e.quota() {
//!         return format!("quota used up ({used}/{limit})");
//!     }
//!     match e.retry_after() {
//!         Some(wait) if e.is_rate_limited() => format!("try again in {}s", wait.as_secs()),
//!         _ => "failed".to_string(),
//!     }
//! }
//!
//! assert_eq!(advice(&Error::quota_exhausted(5, 5)), "quota used up (5/5)");
//! assert_eq!(advice(&Error::rate_limited(Some(Duration::from_secs(3)))), "try again in 3s");
//! assert_eq!(advice(&Error::not_found("act_1")), "failed");
//! ```

use std::time::Duration;

use http::StatusCode;
use serde_json::{Map, Value};

use crate::codes::{
    CANNOT_REVOKE_CODE, QUOTA_EXCEEDED_CODE, RESOURCE_NOT_FOUND_CODE, TOO_MANY_REQUESTS_CODE,
    UNSUPPORTED_PLAN_FEATURES_CODE,
};
use crate::error::{
    AmbiguousOutcome, ApiError, ClerkError, Error, ErrorBody, TimeoutKind, TimeoutPhase,
};

impl ClerkError {
    /// One entry of Clerk's `errors` array; `long_message` is `message` and `meta` is empty until
    /// set (the fields are public).
    ///
    /// ```
    /// use clerk_actor_tokens::ClerkError;
    ///
    /// let mut e = ClerkError::new("form_param_value_invalid", "is invalid");
    /// e.meta.insert("param_name".into(), "user_id".into());
    /// assert_eq!(e.long_message, "is invalid");
    /// ```
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            code: code.into(),
            long_message: message.clone(),
            message,
            meta: Map::new(),
        }
    }
}

impl ApiError {
    /// A non-success answer with Clerk's error body: `errors` as given, one attempt, no trace id
    /// and no `Retry-After` until set (the fields are public).
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_actor_tokens::{ApiError, ClerkError, Error, StatusCode};
    ///
    /// let mut api = ApiError::new(
    ///     StatusCode::SERVICE_UNAVAILABLE,
    ///     vec![ClerkError::new("service_unavailable", "try later")],
    /// );
    /// api.retry_after = Some(Duration::from_secs(2));
    /// api.trace_id = Some("trace-1".into());
    /// let e = Error::from(api);
    /// assert_eq!(e.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    /// assert_eq!(e.code(), Some("service_unavailable"));
    /// assert_eq!(e.trace_id(), Some("trace-1"));
    /// ```
    pub fn new(status: StatusCode, errors: Vec<ClerkError>) -> Self {
        Self {
            status,
            errors,
            meta: Map::new(),
            trace_id: None,
            retry_after: None,
            attempts: 1,
            body: ErrorBody::Clerk,
        }
    }
}

fn api(status: StatusCode, code: &str, message: &str) -> Error {
    Error::from(ApiError::new(status, vec![ClerkError::new(code, message)]))
}

impl Error {
    /// 422 `impersonation_limit_exceeded` with `meta.used`/`meta.limit`, as Clerk refuses a create
    /// once the monthly quota is used up: [`Error::is_quota_exhausted`] and [`Error::quota`].
    ///
    /// ```
    /// use clerk_actor_tokens::{Error, Quota};
    ///
    /// let e = Error::quota_exhausted(100, 100);
    /// assert!(e.is_quota_exhausted());
    /// assert_eq!(e.quota(), Some(Quota { used: Some(100), limit: Some(100) }));
    /// ```
    pub fn quota_exhausted(used: u64, limit: u64) -> Self {
        let mut error = ClerkError::new(QUOTA_EXCEEDED_CODE, "impersonation limit exceeded");
        error.meta.insert("used".into(), Value::from(used));
        error.meta.insert("limit".into(), Value::from(limit));
        Error::from(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, vec![error]))
    }

    /// 429 `too_many_requests`, with the server's `Retry-After` when given:
    /// [`Error::is_rate_limited`] and [`Error::retry_after`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_actor_tokens::Error;
    ///
    /// let e = Error::rate_limited(Some(Duration::from_secs(30)));
    /// assert!(e.is_rate_limited());
    /// assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    /// ```
    pub fn rate_limited(retry_after: Option<Duration>) -> Self {
        let mut api = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            vec![ClerkError::new(TOO_MANY_REQUESTS_CODE, "Too many requests")],
        );
        api.retry_after = retry_after;
        Error::from(api)
    }

    /// 404 `resource_not_found`, as a revoke of an unknown id gets: [`Error::is_not_found`].
    ///
    /// ```
    /// assert!(clerk_actor_tokens::Error::not_found("act_1").is_not_found());
    /// ```
    pub fn not_found(actor_token_id: &str) -> Self {
        let mut e = ClerkError::new(RESOURCE_NOT_FOUND_CODE, "not found");
        e.long_message = format!("No actor token was found with id {actor_token_id}.");
        Error::from(ApiError::new(StatusCode::NOT_FOUND, vec![e]))
    }

    /// 404 `resource_not_found`, as a read or revoke of an unknown session gets:
    /// [`Error::is_not_found`].
    ///
    /// ```
    /// assert!(clerk_actor_tokens::Error::session_not_found("sess_1").is_not_found());
    /// ```
    pub fn session_not_found(session_id: &str) -> Self {
        let mut e = ClerkError::new(RESOURCE_NOT_FOUND_CODE, "not found");
        e.long_message = format!("No session was found with id {session_id}.");
        Error::from(ApiError::new(StatusCode::NOT_FOUND, vec![e]))
    }

    /// 404 `resource_not_found` about the `user_id` of a create, as Clerk's API reference
    /// documents it: [`Error::is_user_not_found`].
    ///
    /// ```
    /// let e = clerk_actor_tokens::Error::user_not_found("user_1");
    /// assert!(e.is_user_not_found() && e.is_not_found());
    /// ```
    pub fn user_not_found(user_id: &str) -> Self {
        let mut e = ClerkError::new(RESOURCE_NOT_FOUND_CODE, "not found");
        e.long_message = format!("No user was found with id {user_id}.");
        e.meta.insert("param_name".into(), Value::from("user_id"));
        Error::from(ApiError::new(StatusCode::NOT_FOUND, vec![e]))
    }

    /// 400 [`CANNOT_REVOKE_CODE`], as a revoke of a token that was used or revoked already gets:
    /// [`Error::is_not_revocable`].
    ///
    /// ```
    /// let e = clerk_actor_tokens::Error::not_revocable();
    /// assert!(e.is_not_revocable() && e.is_bad_request());
    /// assert_eq!(e.code(), Some(clerk_actor_tokens::CANNOT_REVOKE_CODE));
    /// ```
    pub fn not_revocable() -> Self {
        api(StatusCode::BAD_REQUEST, CANNOT_REVOKE_CODE, "cannot revoke")
    }

    /// 402 [`UNSUPPORTED_PLAN_FEATURES_CODE`]: the plan does not include impersonation
    /// ([`Error::is_plan_required`]).
    ///
    /// ```
    /// assert!(clerk_actor_tokens::Error::plan_required().is_plan_required());
    /// ```
    pub fn plan_required() -> Self {
        api(
            StatusCode::PAYMENT_REQUIRED,
            UNSUPPORTED_PLAN_FEATURES_CODE,
            "Unsupported plan features",
        )
    }

    /// 401 `clerk_key_invalid`: the key is wrong or revoked ([`Error::is_unauthorized`]).
    ///
    /// ```
    /// assert!(clerk_actor_tokens::Error::unauthorized().is_unauthorized());
    /// ```
    pub fn unauthorized() -> Self {
        api(
            StatusCode::UNAUTHORIZED,
            "clerk_key_invalid",
            "The provided Clerk Secret Key is invalid",
        )
    }

    /// A create whose answer was lost after the request was sent, here to a 502 from a proxy:
    /// [`Error::is_ambiguous`].
    ///
    /// ```
    /// let e = clerk_actor_tokens::Error::ambiguous_create();
    /// assert!(e.is_ambiguous());
    /// assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
    /// ```
    pub fn ambiguous_create() -> Self {
        let cause = Error::from(ApiError {
            body: ErrorBody::NotClerk {
                content_type: Some("text/html".into()),
            },
            ..ApiError::new(StatusCode::BAD_GATEWAY, Vec::new())
        });
        Error::AmbiguousOutcome(AmbiguousOutcome {
            attempts: 1,
            cause: Box::new(cause),
        })
    }

    /// The per-request limit (`TimeoutKind::Attempt`) or the whole call's deadline ran out after
    /// `after`, on the first attempt, after its request was sent ([`TimeoutPhase::Response`]; a
    /// create's comes back wrapped in an ambiguous outcome): [`Error::is_timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_actor_tokens::{Error, TimeoutKind};
    ///
    /// assert!(Error::timeout(TimeoutKind::Deadline, Duration::from_secs(60)).is_timeout());
    /// ```
    pub fn timeout(kind: TimeoutKind, after: Duration) -> Self {
        Error::Timeout {
            kind,
            phase: TimeoutPhase::Response,
            after,
            attempts: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructed_errors_answer_the_helpers_as_real_ones_do() {
        let quota = Error::quota_exhausted(3, 5);
        assert_eq!(quota.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(!quota.is_rate_limited());
        assert!(quota.to_string().contains(QUOTA_EXCEEDED_CODE), "{quota}");

        let limited = Error::rate_limited(None);
        assert!(limited.is_rate_limited());
        assert_eq!(limited.retry_after(), None);
        assert_eq!(limited.attempts(), Some(1));

        let ambiguous = Error::ambiguous_create();
        assert!(!ambiguous.is_timeout());
        assert!(
            ambiguous.to_string().contains("may or may not"),
            "{ambiguous}"
        );

        let timeout = Error::timeout(TimeoutKind::Attempt, Duration::from_millis(1500));
        assert!(matches!(
            timeout,
            Error::Timeout { kind: TimeoutKind::Attempt, after, attempts: 1, .. }
                if after == Duration::from_millis(1500)
        ));
        assert!(!Error::not_found("act_1").is_bad_request());
        assert!(!Error::plan_required().is_quota_exhausted());
    }
}
