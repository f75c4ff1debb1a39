//! The audit trail of a call: who impersonated whom (`user_id`, `actor.sub`), which token
//! (`actor_token.id`), until when (`actor_token.expires_at`) and Clerk's trace id of the answer.
//!
//! The facts go on the call's span (declared in `call.rs`), each recorded once, and into one
//! event per call with target [`AUDIT_TARGET`], so that an application can route exactly those
//! events to an audit log. A token's `token` and `url` are never recorded.

use tracing::Span;
use tracing::field::display;

use crate::error::Error;
use crate::model::ActorToken;
use crate::operation::Operation;

/// The `tracing` target of the SDK's audit events: one per call that reached the point of sending,
/// `INFO` for a created or revoked token and for a refusal, `WARN` for a create whose outcome is
/// unknown. Each has `operation`, `outcome`, `user_id`, `actor.sub`, `actor_token.id`,
/// `actor_token.expires_at` (Unix ms), `clerk.trace_id` and, for failures, `error`, as far as
/// they are known. Route them to an audit log with a target filter:
///
/// ```
/// use tracing_subscriber::{filter::Targets, prelude::*};
///
/// let audit_log = std::sync::Mutex::new(std::io::stderr()); // e.g. an append-only file
/// tracing_subscriber::registry()
///     .with(tracing_subscriber::fmt::layer().with_writer(audit_log).with_filter(
///         Targets::new().with_target(clerk_actor_tokens::AUDIT_TARGET, tracing::Level::INFO),
///     ))
///     .init();
/// ```
pub const AUDIT_TARGET: &str = "clerk_actor_tokens::audit";

/// What the request says about the call, for the audit trail.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Audit<'a> {
    /// The impersonated user (create).
    pub user_id: Option<&'a str>,
    /// The actor (create).
    pub actor_sub: Option<&'a str>,
    /// The token (revoke).
    pub actor_token_id: Option<&'a str>,
    /// The lifetime the create asked for, from which the expiry follows.
    pub expires_in_seconds: Option<u64>,
}

impl Audit<'_> {
    /// Records what the request says on a fresh call span.
    pub(crate) fn record_request(&self, span: &Span) {
        if let Some(user_id) = self.user_id {
            span.record("user_id", display(user_id));
        }
        if let Some(sub) = self.actor_sub {
            span.record("actor.sub", display(sub));
        }
        if let Some(id) = self.actor_token_id {
            span.record("actor_token.id", display(id));
        }
    }

    /// Completes a successful answer with what only the call knows (the answer's trace id, the
    /// expiry the request asked for), records on the span what the request did not say, and
    /// emits the audit event.
    pub(crate) fn finish(
        &self,
        span: &Span,
        op: Operation,
        mut result: Result<ActorToken, Error>,
        trace_id: Option<&str>,
    ) -> Result<ActorToken, Error> {
        if let Ok(token) = &mut result {
            token.set_trace_id(trace_id.map(str::to_string));
            if let Some(seconds) = self.expires_in_seconds {
                token.set_expires_in(seconds);
            }
        }
        match &result {
            Ok(token) => {
                if self.user_id.is_none() {
                    span.record("user_id", display(token.user_id()));
                }
                if self.actor_sub.is_none() {
                    span.record("actor.sub", display(token.actor().sub()));
                }
                if self.actor_token_id.is_none() {
                    span.record("actor_token.id", display(token.id()));
                }
                if let Some(at) = token.expires_at() {
                    span.record("actor_token.expires_at", at);
                }
                let outcome = match op {
                    Operation::Create => "created",
                    Operation::Revoke => "revoked",
                };
                tracing::info!(
                    target: AUDIT_TARGET,
                    parent: span,
                    operation = op.id(),
                    outcome,
                    user_id = %token.user_id(),
                    actor.sub = %token.actor().sub(),
                    actor_token.id = %token.id(),
                    actor_token.expires_at = token.expires_at(),
                    clerk.trace_id = token.trace_id().map(display),
                    "actor token {outcome}"
                );
            }
            Err(error) if error.is_ambiguous() => tracing::warn!(
                target: AUDIT_TARGET,
                parent: span,
                operation = op.id(),
                outcome = "unknown",
                user_id = self.user_id.map(display),
                actor.sub = self.actor_sub.map(display),
                clerk.trace_id = error.trace_id().map(display),
                error = %error,
                "actor token create outcome unknown: a token may exist"
            ),
            Err(error) => tracing::info!(
                target: AUDIT_TARGET,
                parent: span,
                operation = op.id(),
                outcome = "failed",
                user_id = self.user_id.map(display),
                actor.sub = self.actor_sub.map(display),
                actor_token.id = self.actor_token_id.map(display),
                clerk.trace_id = error.trace_id().map(display),
                error = %error,
                "actor token call failed"
            ),
        }
        result
    }
}
