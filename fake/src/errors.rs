//! Clerk's error bodies (`ClerkErrors`, the SDK's own wire type), the trace id in them, and
//! every status and code the fake answers with, each with the public source it follows.
//!
//! Sources, abbreviated below:
//! - **catalogue**: Clerk's error catalogue, clerk/clerk-docs `data/api_errors.json` and
//!   `docs/errors/*.mdx` (`actor-tokens.mdx`, `backend-api.mdx`, `rate-limits.mdx`), generated
//!   from Clerk's server code;
//! - **reference**: Clerk's Backend API reference for actor tokens
//!   (reference.clerk.dev/reference/backend-api-reference/actor-tokens), with example bodies;
//! - **spec**: Clerk's OpenAPI spec (`/work/shared/upstream/clerk-bapi.yml`, vendored in
//!   `openapi/clerk-actor-tokens.yaml`), which lists statuses but not bodies;
//! - **server**: Clerk's Go server sources as published in github.com/alexisintech/scalar-script
//!   (`api/bapi/v1/actor_tokens`, `api/bapi/v1/sessions`, `api/shared/sessions`,
//!   `api/shared/pagination`, `api/fapi/v1/tickets`, `api/apierror`), the code the catalogue is
//!   generated from;
//! - **limits**: clerk/clerk-docs `docs/guides/how-clerk-works/system-limits.mdx`.
//!
//! | When | Status | Code (`message`) | Source |
//! | --- | --- | --- | --- |
//! | no `Authorization` header | 401 | `authentication_invalid` ("Invalid authentication") | catalogue `InvalidAuthentication` |
//! | `Authorization` not `Bearer <key>` | 401 | `authorization_header_format_invalid` | catalogue `InvalidAuthorizationHeaderFormat` |
//! | key not `sk_test_`/`sk_live_` | 401 | `clerk_key_invalid` | catalogue `InvalidClerkSecretKey` |
//! | create body not JSON | 400 | `request_body_invalid` ("Request body invalid") | catalogue `InvalidRequestBody` |
//! | required field missing | 422 | `form_param_missing` ("is missing", "`<param>` must be included.", `meta.param_name`) | reference (create: `user_id`, `actor.sub`) |
//! | field out of range (`expires_in_seconds` < 1, ...) | 422 | `form_param_value_invalid` ("is invalid", `meta.param_name`) | reference |
//! | field of the wrong type | 422 | `form_param_format_invalid` ("is invalid") | no public source for this request; our choice, the catalogue's code for a malformed parameter |
//! | unknown field | 422 | `form_param_unknown` ("is unknown") | no public source for this request; our choice, the catalogue's code for an unknown parameter |
//! | create for an unknown `user_id` (removed, or strict mode) | 404 | `resource_not_found` ("not found", "No user was found with id `<id>`.") | reference; the spec lists no 404 for create, and the server code answers 422 `form_resource_not_found` instead: the SDK's `is_user_not_found()` accepts both |
//! | create on a plan without impersonation | 402 | `unsupported_subscription_plan_features` ("Unsupported plan features", `meta.unsupported_features`) | spec lists the 402, catalogue gives its 402 plan codes; the exact body of this 402 is not public, our choice |
//! | monthly impersonations used up | 422 | `impersonation_limit_exceeded` (`meta.used`, `meta.limit`) | catalogue `ImpersonationLimitExceeded` (text and meta keys); clerk/cli reads `meta.used`/`meta.limit` |
//! | revoke of an unknown id | 404 | `resource_not_found` ("not found", "Resource not found") | reference |
//! | revoke of a token that is not pending | 400 | `actor_token_cannot_be_revoked_code` ("cannot revoke") | catalogue `ActorTokenCannotBeRevoked`, reference |
//! | revoke of a pending token past its expiry | 200 | | no public source; our choice: the server code refuses only non-pending tokens, and expiry does not change the status |
//! | very long `expires_in_seconds` / `session_max_duration_in_seconds` | 200 | | no public source for a maximum (the server code checks only `>= 1`); the fake accepts any value the spec allows |
//! | opening a used url | 400 | `actor_token_already_used_code` | catalogue `ActorTokenAlreadyUsed` (Frontend API) |
//! | opening a revoked url | 400 | `actor_token_revoked_code` | catalogue `ActorTokenRevoked` (Frontend API) |
//! | opening an expired url | 400 | `actor_token_cannot_be_used_code` | catalogue `ActorTokenCannotBeUsed`; no public source says which code an expired actor ticket gets, our choice |
//! | opening a url with no or a forged ticket | 400 | `ticket_invalid_code` ("ticket is invalid") | server (`tickets.BuildTicketRedirectURL`, `apierror.TicketInvalid`) |
//! | session list without `user_id` and `client_id` (both absent or empty) | 422 | `form_param_missing` ("at least one parameter must be provided", "at least one of `client_id`, `user_id` must be provided", `meta.param_names`) | server (`sessions.readAllParams.validate`, `apierror.FormAtLeastOneOptionalParameterMissing`); the spec's deprecation notice says one should be given. Clerk skips this check for applications on an allowlist; the fake always makes it (the catalogue's 400 `missing_query_parameter` is not what this endpoint uses) |
//! | session list `status` not one of the fragment's values (`pending` too) | 422 | `form_param_value_invalid` ("is invalid", "`<value>` does not match the allowed values for parameter status. Allowed values: ...", `meta.param_name`) | server (`apierror.FormInvalidParameterValueWithAllowed`); the values are the spec's |
//! | session list `limit`/`offset` not an integer | 422 | `form_param_value_invalid` ("is invalid", "`<value>` does not match one of the allowed values for parameter limit", `meta.param_name`) | server (`pagination.NewFromRequest`, `apierror.FormInvalidParameterValue`) |
//! | session list `limit` outside 1..=500, `offset` below 0 | 422 | `form_param_value_invalid` (same texts) | spec (the bounds); our choice to refuse: Clerk's server silently uses 10 for such a `limit` and 0 for such an `offset`, the fake tells the client its request is not what the spec allows (schemathesis checks that too) |
//! | session list `paginated` neither `true` nor `false` | 422 | `form_param_value_invalid` (same texts) | spec (a boolean); our choice to refuse: Clerk's server treats anything but `true` as `false` |
//! | session list | 200 | `{"data": [...], "total_count": N}` with `paginated=true`, a bare array otherwise; newest first; `total_count` counts every match | spec (bare array, newest first); server (`sessions.HTTP.ReadAll`, `ReadAllPaginated`); `status` filters on the state at the time of the request (our choice: Clerk filters on its stored status, which no public source ties to expiry) |
//! | get or revoke of an unknown session id | 404 | `resource_not_found` ("Session not found", "No session was found with id `<id>`") | catalogue `SessionNotFound`; server (`sessions.Service.Read`, `Revoke`) |
//! | revoke of a session | 200 | the session, `status` `revoked`, `updated_at` now | spec, server (`shared/sessions.Service.Revoke`) |
//! | revoke of a session that is not active (revoked, ended, expired, abandoned) | 200 | the session, `status` `revoked` | server: `Revoke` sets the status whatever it was and refuses nothing; the spec's 400 has no public body for this operation, and the catalogue's `invalid_action_for_session` is marked Frontend API only. A second revoke is therefore harmless, as in Clerk |
//! | a `/__fake/sessions` control on a session that is not active | 400 | `invalid_action_for_session` ("Invalid action for user session", "Unable to `<action>` session `<id>`") | catalogue `InvalidActionForSession` (its code for an action a session's state does not allow); controls are the fake's own |
//! | rate limited (opt-in mode or injected 429) | 429 | `too_many_requests` ("Too many requests", "Too many requests, retry later"), `Retry-After` in whole seconds | catalogue `TooManyRequests`; limits (`Retry-After`, 100 or 1000 per 10 s) |
//! | wrong method | 405 | `method_not_allowed`, `Allow` | no public source; our choice, so that clients see Clerk's error shape |
//! | unknown path | 404 | `resource_not_found` | no public source; our choice, Clerk's generic not-found code |
//! | body over 64 KiB | 413 | `request_body_too_large` | no public source; our choice (the create body is a few hundred bytes) |
//! | injected 5xx | as asked | derived from the status (`internal_clerk_error` for 500) | no public source; our choice |
//!
//! Every error body carries `clerk_trace_id` (server `apierror.Response`). No public source shows
//! a `Clerk-Trace-Id` response header, so the fake sends none; the SDK still reads one if present.

use axum::response::{IntoResponse, Response};
use clerk_actor_tokens::raw::types::{ClerkError, ClerkErrors};
use http::StatusCode;
use http::header::{ALLOW, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use serde_json::{Map, Value};

/// The per-request trace id: 32 hex digits, like Clerk's.
#[derive(Clone, Debug)]
pub(crate) struct TraceId(pub(crate) String);

impl TraceId {
    pub(crate) fn new() -> Self {
        Self(format!("{:032x}", fastrand::u128(..)))
    }
}

pub(crate) use clerk_actor_tokens::{RESOURCE_NOT_FOUND_CODE, TOO_MANY_REQUESTS_CODE};

/// Clerk's Frontend API code for a ticket that is missing or not Clerk's (server
/// `apierror.TicketInvalid`).
pub const TICKET_INVALID_CODE: &str = "ticket_invalid_code";
/// Clerk's Frontend API code for opening a used actor token's url (catalogue).
pub const ALREADY_USED_CODE: &str = "actor_token_already_used_code";
/// Clerk's Frontend API code for opening a revoked actor token's url (catalogue).
pub const REVOKED_CODE: &str = "actor_token_revoked_code";
/// Clerk's Frontend API code for an actor token that can no longer be used (catalogue); the fake
/// sends it for an expired one.
pub const CANNOT_BE_USED_CODE: &str = "actor_token_cannot_be_used_code";

/// Clerk's code for an action a session's state does not allow (catalogue
/// `InvalidActionForSession`); the fake's session controls send it.
pub(crate) const INVALID_ACTION_FOR_SESSION_CODE: &str = "invalid_action_for_session";

/// At most this many characters of a caller's id are quoted back in a message.
pub(crate) fn shown(id: &str) -> String {
    id.chars().take(64).collect()
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

    /// 404 `resource_not_found`, the one not-found refusal of the fake.
    pub(crate) fn not_found(long_message: impl Into<String>) -> Self {
        Self::one(
            StatusCode::NOT_FOUND,
            clerk_error(RESOURCE_NOT_FOUND_CODE, "not found", long_message),
        )
    }

    /// 404 for an id of no stored actor token (reference: "Resource not found").
    pub(crate) fn unknown_token() -> Self {
        Self::not_found("Resource not found")
    }

    /// 404 for a create whose `user_id` names no user (reference).
    pub(crate) fn unknown_user(user_id: &str) -> Self {
        Self::not_found(format!("No user was found with id {}.", shown(user_id)))
    }

    /// 404 for an id of no stored session (catalogue `SessionNotFound`).
    pub(crate) fn unknown_session(session_id: &str) -> Self {
        Self::one(
            StatusCode::NOT_FOUND,
            clerk_error(
                RESOURCE_NOT_FOUND_CODE,
                "Session not found",
                format!("No session was found with id {}", shown(session_id)),
            ),
        )
    }

    /// 422 for a session list with neither `client_id` nor `user_id` (server
    /// `apierror.FormAtLeastOneOptionalParameterMissing`).
    pub(crate) fn missing_session_filter() -> Self {
        let mut error = clerk_error(
            clerk_actor_tokens::FORM_PARAM_MISSING_CODE,
            "at least one parameter must be provided",
            "at least one of `client_id`, `user_id` must be provided",
        );
        error.meta.insert(
            "param_names".into(),
            serde_json::json!(["client_id", "user_id"]),
        );
        Self::one(StatusCode::UNPROCESSABLE_ENTITY, error)
    }

    /// 400 `invalid_action_for_session` for a control that the session's state does not allow
    /// (catalogue `InvalidActionForSession`).
    pub(crate) fn invalid_action_for_session(session_id: &str, action: &str) -> Self {
        Self::one(
            StatusCode::BAD_REQUEST,
            clerk_error(
                INVALID_ACTION_FOR_SESSION_CODE,
                "Invalid action for user session",
                format!("Unable to {action} session {}", shown(session_id)),
            ),
        )
    }

    /// 429 `too_many_requests` with `Retry-After` (catalogue `TooManyRequests`).
    pub(crate) fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut refusal = Self::one(
            StatusCode::TOO_MANY_REQUESTS,
            clerk_error(
                TOO_MANY_REQUESTS_CODE,
                "Too many requests",
                "Too many requests, retry later",
            ),
        );
        refusal.retry_after = Some(retry_after_secs.max(1));
        refusal
    }

    /// 400 `ticket_invalid_code`: no ticket, or not one this fake issued (server).
    pub(crate) fn ticket_invalid() -> Self {
        Self::one(
            StatusCode::BAD_REQUEST,
            clerk_error(
                TICKET_INVALID_CODE,
                "ticket is invalid",
                "This ticket is invalid. Make sure you're using a valid ticket generated by Clerk.",
            ),
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
