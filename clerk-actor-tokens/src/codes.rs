//! Clerk's documented error codes of the actor-token operations, each with its public source.
//! The helpers of [`crate::Error`] match on them; users can too (`Error::has_code`).

/// Clerk's error code for a used-up monthly impersonation quota (HTTP 422, with `used` and
/// `limit` in the error's `meta`). Source: Clerk's error catalogue (clerk/clerk-docs
/// `docs/errors/backend-api.mdx`, `ImpersonationLimitExceeded`).
pub const QUOTA_EXCEEDED_CODE: &str = "impersonation_limit_exceeded";

/// Clerk's error code for revoking an actor token that is no longer pending (HTTP 400, message
/// "cannot revoke"). Source: clerk/clerk-docs `data/api_errors.json` and
/// `docs/errors/actor-tokens.mdx` (`ActorTokenCannotBeRevoked`); the `_code` suffix is part of it.
pub const CANNOT_REVOKE_CODE: &str = "actor_token_cannot_be_revoked_code";

/// Clerk's error code for an id that matches nothing (HTTP 404): an unknown actor token on revoke,
/// an unknown `user_id` on create. Source: Clerk's Backend API reference for actor tokens.
pub const RESOURCE_NOT_FOUND_CODE: &str = "resource_not_found";

/// Clerk's error code for a form parameter that names a missing resource (HTTP 422, with
/// `meta.param_name`); Clerk's server code answers an unknown `user_id` on create with it, where
/// its API reference documents a 404 [`RESOURCE_NOT_FOUND_CODE`].
pub const FORM_RESOURCE_NOT_FOUND_CODE: &str = "form_resource_not_found";

/// Clerk's error code for a plan that lacks a feature (HTTP 402, `meta.unsupported_features`).
/// Source: Clerk's error catalogue (`UnsupportedSubscriptionPlanFeatures`). Clerk does not document
/// the body of the 402 that creating an actor token can answer; see [`crate::Error::is_plan_required`].
pub const UNSUPPORTED_PLAN_FEATURES_CODE: &str = "unsupported_subscription_plan_features";

/// Clerk's error code for a rate-limited request (HTTP 429, with `Retry-After` in seconds).
/// Source: clerk/clerk-docs `docs/errors/rate-limits.mdx` (`TooManyRequests`).
pub const TOO_MANY_REQUESTS_CODE: &str = "too_many_requests";

/// Clerk's error code for a required parameter that is missing (HTTP 422, message "is missing",
/// `meta.param_name`). Source: Clerk's Backend API reference for actor tokens.
pub const FORM_PARAM_MISSING_CODE: &str = "form_param_missing";

/// Clerk's error code for a parameter with an invalid value (HTTP 422, message "is invalid",
/// `meta.param_name`). Source: Clerk's Backend API reference for actor tokens.
pub const FORM_PARAM_VALUE_INVALID_CODE: &str = "form_param_value_invalid";
