//! The audit trail of a call: who impersonated whom (`user_id`, `actor.sub`), which token
//! (`actor_token.id`) or session (`session.id`), until when (`actor_token.expires_at`) and
//! Clerk's trace id of the answer.
//!
//! The facts go on the call's span (declared in `call.rs`), each recorded once, and into one
//! event per call with target [`AUDIT_TARGET`], so that an application can route exactly those
//! events to an audit log. A token's `token` and `url` are never recorded.

use tracing::Span;
use tracing::field::display;

use crate::error::Error;
use crate::model::ActorToken;
use crate::operation::Operation;
use crate::session::{Session, SessionPage};

/// The `tracing` target of the SDK's audit events: one per call that reached the point of sending,
/// `INFO` for a created or revoked token and for a refusal, `WARN` for a create whose outcome is
/// unknown. Each has `operation`, `outcome`, `user_id`, `actor.sub`, `actor_token.id`,
/// `actor_token.expires_at` (Unix ms), `session.id`, `clerk.trace_id` and, for failures,
/// `error`, as far as they are known (a session list has `count` instead of a session). Route them to an audit log with a target filter:
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
    /// The impersonated user (create), or the user whose sessions are listed.
    pub user_id: Option<&'a str>,
    /// The actor (create).
    pub actor_sub: Option<&'a str>,
    /// The token (revoke).
    pub actor_token_id: Option<&'a str>,
    /// The lifetime the create asked for, from which the expiry follows.
    pub expires_in_seconds: Option<u64>,
    /// The session (get, revoke).
    pub session_id: Option<&'a str>,
}

/// An answer the audit trail completes (with what only the call knows) and reports.
pub(crate) trait Audited {
    /// Completes it with the answer's trace id and what the request said.
    fn complete(&mut self, audit: &Audit<'_>, trace_id: Option<&str>);
    /// Records on the span what the request did not say, and emits the audit event.
    fn report(&self, audit: &Audit<'_>, span: &Span, op: Operation);
}

impl Audit<'_> {
    /// Records what the request says on a fresh call span.
    pub(crate) fn record_request(&self, span: &Span) {
        // Recording on a disabled span would still look each field's name up in its metadata.
        if span.is_disabled() {
            return;
        }
        if let Some(user_id) = self.user_id {
            span.record("user_id", display(user_id));
        }
        if let Some(sub) = self.actor_sub {
            span.record("actor.sub", display(sub));
        }
        if let Some(id) = self.actor_token_id {
            span.record("actor_token.id", display(id));
        }
        if let Some(id) = self.session_id {
            span.record("session.id", display(id));
        }
    }

    /// Completes a successful answer, records on the span what the request did not say, and
    /// emits the audit event.
    pub(crate) fn finish<T: Audited>(
        &self,
        span: &Span,
        op: Operation,
        result: &mut Result<T, Error>,
        trace_id: Option<&str>,
    ) {
        // The result is completed in place: it is moved once fewer than if it went through.
        match result {
            Ok(answer) => {
                answer.complete(self, trace_id);
                answer.report(self, span, op);
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
                session.id = self.session_id.map(display),
                clerk.trace_id = error.trace_id().map(display),
                error = %error,
                "{} call failed", op.noun()
            ),
        }
    }
}

impl Audited for ActorToken {
    fn complete(&mut self, audit: &Audit<'_>, trace_id: Option<&str>) {
        self.set_trace_id(trace_id.map(str::to_string));
        if let Some(seconds) = audit.expires_in_seconds {
            self.set_expires_in(seconds);
        }
    }

    fn report(&self, audit: &Audit<'_>, span: &Span, op: Operation) {
        // As in `record_request`: nothing to look up on a disabled span.
        if !span.is_disabled() {
            if audit.user_id.is_none() {
                span.record("user_id", display(self.user_id()));
            }
            if audit.actor_sub.is_none() {
                span.record("actor.sub", display(self.actor().sub()));
            }
            if audit.actor_token_id.is_none() {
                span.record("actor_token.id", display(self.id()));
            }
            if let Some(at) = self.expires_at() {
                span.record("actor_token.expires_at", at);
            }
        }
        let outcome = if op == Operation::Create {
            "created"
        } else {
            "revoked"
        };
        tracing::info!(
            target: AUDIT_TARGET,
            parent: span,
            operation = op.id(),
            outcome,
            user_id = %self.user_id(),
            actor.sub = %self.actor().sub(),
            actor_token.id = %self.id(),
            actor_token.expires_at = self.expires_at(),
            clerk.trace_id = self.trace_id().map(display),
            "actor token {outcome}"
        );
    }
}

impl Audited for Session {
    fn complete(&mut self, _: &Audit<'_>, trace_id: Option<&str>) {
        self.set_trace_id(trace_id.map(str::to_string));
    }

    fn report(&self, audit: &Audit<'_>, span: &Span, op: Operation) {
        if !span.is_disabled() {
            if audit.user_id.is_none() {
                span.record("user_id", display(self.user_id()));
            }
            if let Some(sub) = self.actor_sub() {
                span.record("actor.sub", display(sub));
            }
            if audit.session_id.is_none() {
                span.record("session.id", display(self.id()));
            }
        }
        let outcome = if op == Operation::RevokeSession {
            "revoked"
        } else {
            "read"
        };
        tracing::info!(
            target: AUDIT_TARGET,
            parent: span,
            operation = op.id(),
            outcome,
            user_id = %self.user_id(),
            actor.sub = self.actor_sub().map(display),
            session.id = %self.id(),
            session.status = %self.status(),
            clerk.trace_id = self.trace_id().map(display),
            "session {outcome}"
        );
    }
}

impl Audited for SessionPage {
    fn complete(&mut self, _: &Audit<'_>, trace_id: Option<&str>) {
        self.set_trace_id(trace_id.map(str::to_string));
    }

    fn report(&self, audit: &Audit<'_>, span: &Span, op: Operation) {
        tracing::info!(
            target: AUDIT_TARGET,
            parent: span,
            operation = op.id(),
            outcome = "listed",
            user_id = audit.user_id.map(display),
            count = self.sessions().len(),
            total_count = self.total_count(),
            clerk.trace_id = self.trace_id().map(display),
            "sessions listed"
        );
    }
}
