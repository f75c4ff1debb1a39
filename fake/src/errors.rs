//! Clerk's error bodies (`ClerkErrors`, the SDK's own wire type) and the trace id that ties a
//! response to its error body.

use axum::response::{IntoResponse, Response};
use clerk_actor_tokens::raw::types::{ClerkError, ClerkErrors};
use http::StatusCode;
use http::header::{ALLOW, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use serde_json::{Map, Value};

/// Header that carries the trace id on every response, as Clerk's API does.
pub(crate) const TRACE_HEADER: HeaderName = HeaderName::from_static("clerk-trace-id");

/// The per-request trace id: 32 hex digits, like Clerk's.
#[derive(Clone, Debug)]
pub(crate) struct TraceId(pub(crate) String);

impl TraceId {
    pub(crate) fn new() -> Self {
        Self(format!("{:032x}", fastrand::u128(..)))
    }

    pub(crate) fn header_value(&self) -> HeaderValue {
        // Hex digits are always a valid header value; the fallback only keeps this total.
        HeaderValue::from_str(&self.0).unwrap_or(HeaderValue::from_static("0"))
    }
}

/// One entry of Clerk's `errors` array.
pub(crate) fn clerk_error(
    code: &str,
    message: &str,
    long_message: impl Into<String>,
) -> ClerkError {
    ClerkError {
        code: code.to_string(),
        message: message.to_string(),
        long_message: long_message.into(),
        meta: Map::new(),
    }
}

/// Adds `meta.param_name`, the field a validation error is about.
pub(crate) fn with_param(mut error: ClerkError, param: &str) -> ClerkError {
    if !param.is_empty() {
        error
            .meta
            .insert("param_name".into(), Value::String(param.to_string()));
    }
    error
}

/// A refused request: status, Clerk's errors and the headers that go with them.
#[derive(Clone, Debug)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) errors: Vec<ClerkError>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) allow: Option<&'static str>,
}

impl Refusal {
    pub(crate) fn new(status: StatusCode, errors: Vec<ClerkError>) -> Self {
        Self {
            status,
            errors,
            retry_after: None,
            allow: None,
        }
    }

    pub(crate) fn one(status: StatusCode, error: ClerkError) -> Self {
        Self::new(status, vec![error])
    }

    pub(crate) fn unauthorized(code: &str, message: &str, long_message: &str) -> Self {
        Self::one(
            StatusCode::UNAUTHORIZED,
            clerk_error(code, message, long_message),
        )
    }

    pub(crate) fn not_found(long_message: impl Into<String>) -> Self {
        Self::one(
            StatusCode::NOT_FOUND,
            clerk_error("resource_not_found", "not found", long_message),
        )
    }

    pub(crate) fn method_not_allowed(allow: &'static str) -> Self {
        let mut refusal = Self::one(
            StatusCode::METHOD_NOT_ALLOWED,
            clerk_error(
                "method_not_allowed",
                "method not allowed",
                format!("This endpoint only accepts {allow} requests."),
            ),
        );
        refusal.allow = Some(allow);
        refusal
    }

    /// The response, with the trace id in the body as `clerk_trace_id`.
    pub(crate) fn respond(self, trace: &TraceId) -> Response {
        let body = ClerkErrors {
            clerk_trace_id: Some(trace.0.clone()),
            errors: self.errors,
            meta: Map::new(),
        };
        let mut response = json(self.status, &body);
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(allow) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

/// A JSON response. Serializing the wire types cannot fail; if it ever did, the client gets a
/// Clerk-shaped 500 instead of a panic.
pub(crate) fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            bytes,
        )
            .into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            r#"{"errors":[{"code":"internal_clerk_error","message":"internal error","long_message":"The fake could not encode its response."}]}"#,
        )
            .into_response(),
    }
}
