//! The actor-token operations as fluent builders ending in `.send().await`: `create(..)` and
//! `revoke(id)`. Inputs are checked here, before anything is sent.
//!
//! The builders are not futures themselves (no `IntoFuture`): that would need a boxed future,
//! and the box of a whole call (about 2.7 KB, past glibc's per-thread cache) cost up to 9% of a
//! call's time in the benchmark (BENCHMARKS.md, section 1).

use std::num::NonZeroU64;
use std::time::Duration;

use crate::audit::Audit;
use crate::call::{self, CallOptions, Operation};
use crate::config::Clerk;
use crate::error::{Error, InputError};
use crate::model::{Actor, ActorToken};
use crate::raw::request_defaults;
use crate::raw::types as wire;
use crate::retry::RetryPolicy;

/// How long a token can be redeemed when the create request does not say: the fragment's
/// `default:` (Clerk's one hour), taken from the generated code.
pub const DEFAULT_EXPIRES_IN: Duration =
    Duration::from_secs(request_defaults::CREATE_ACTOR_TOKEN_EXPIRES_IN_SECONDS);
/// Longest session a token can start when the create request does not say: the fragment's
/// `default:` (Clerk's 30 minutes), taken from the generated code.
pub const DEFAULT_SESSION_MAX_DURATION: Duration =
    Duration::from_secs(request_defaults::CREATE_ACTOR_TOKEN_SESSION_MAX_DURATION_IN_SECONDS);

/// The actor-token operations of a [`Clerk`] client; get it with [`Clerk::actor_tokens`].
#[derive(Clone, Copy, Debug)]
pub struct ActorTokens<'c> {
    clerk: &'c Clerk,
}

impl<'c> ActorTokens<'c> {
    pub(crate) fn new(clerk: &'c Clerk) -> Self {
        Self { clerk }
    }

    /// Starts creating a token that lets `actor` sign in as `user_id`; finish with `.send().await`.
    pub fn create(&self, user_id: impl Into<String>, actor: Actor) -> CreateActorToken<'c> {
        CreateActorToken {
            clerk: self.clerk,
            user_id: user_id.into(),
            actor,
            expires_in: None,
            session_max_duration: None,
            options: CallOptions::default(),
        }
    }

    /// Starts revoking a pending token; finish with `.send().await`. Tokens that were used or
    /// revoked already are refused by Clerk with a 400 ([`Error::is_bad_request`]).
    pub fn revoke(&self, actor_token_id: impl Into<String>) -> RevokeActorToken<'c> {
        RevokeActorToken {
            clerk: self.clerk,
            id: actor_token_id.into(),
            options: CallOptions::default(),
        }
    }
}

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

/// A create request being put together. See [`ActorTokens::create`].
#[derive(Debug)]
#[must_use = "nothing is sent until `.send().await`"]
pub struct CreateActorToken<'c> {
    clerk: &'c Clerk,
    user_id: String,
    actor: Actor,
    expires_in: Option<Duration>,
    session_max_duration: Option<Duration>,
    options: CallOptions,
}

impl<'c> CreateActorToken<'c> {
    /// How long the token can be redeemed (default [`DEFAULT_EXPIRES_IN`], Clerk's 1 hour). Whole
    /// seconds; at least 1 s.
    pub fn expires_in(mut self, duration: Duration) -> Self {
        self.expires_in = Some(duration);
        self
    }

    /// Longest session the token can start (default [`DEFAULT_SESSION_MAX_DURATION`], Clerk's 30
    /// minutes). Whole seconds; at least 1 s.
    pub fn session_max_duration(mut self, duration: Duration) -> Self {
        self.session_max_duration = Some(duration);
        self
    }

    call_options!();

    fn body(&mut self) -> Result<wire::CreateActorTokenBody, InputError> {
        if self.user_id.trim().is_empty() {
            return Err(InputError::EmptyUserId);
        }
        if self.actor.sub().trim().is_empty() {
            return Err(InputError::EmptyActorSub);
        }
        if self.actor.sub_claim_given() {
            return Err(InputError::ReservedClaim { claim: "sub" });
        }
        // A default the fragment would declare as 0 is refused like a caller's 0, not panicked on.
        let seconds = |d: Option<Duration>, default: Duration, field| {
            NonZeroU64::new(d.unwrap_or(default).as_secs())
                .ok_or(InputError::DurationTooShort { field })
        };
        Ok(wire::CreateActorTokenBody {
            user_id: std::mem::take(&mut self.user_id),
            actor: std::mem::replace(&mut self.actor, Actor::new("")).into_wire(),
            expires_in_seconds: seconds(self.expires_in, DEFAULT_EXPIRES_IN, "expires_in_seconds")?,
            session_max_duration_in_seconds: seconds(
                self.session_max_duration,
                DEFAULT_SESSION_MAX_DURATION,
                "session_max_duration_in_seconds",
            )?,
        })
    }

    /// Sends the request. The token's `url` is a credential: hand it only to the actor.
    pub async fn send(mut self) -> Result<ActorToken, Error> {
        let body = self.body()?;
        let audit = Audit {
            user_id: Some(&body.user_id),
            actor_sub: Some(&body.actor.sub),
            actor_token_id: None,
            expires_in_seconds: Some(body.expires_in_seconds.get()),
        };
        let shared = &self.clerk.shared;
        call::run(shared, Operation::Create, &self.options, audit, || {
            shared.raw.create_actor_token(&body)
        })
        .await
    }
}

/// A revoke request being put together. See [`ActorTokens::revoke`].
#[derive(Debug)]
#[must_use = "nothing is sent until `.send().await`"]
pub struct RevokeActorToken<'c> {
    clerk: &'c Clerk,
    id: String,
    options: CallOptions,
}

impl<'c> RevokeActorToken<'c> {
    call_options!();

    /// Sends the request.
    pub async fn send(self) -> Result<ActorToken, Error> {
        check_actor_token_id(&self.id)?;
        let audit = Audit {
            actor_token_id: Some(&self.id),
            ..Audit::default()
        };
        let shared = &self.clerk.shared;
        call::run(shared, Operation::Revoke, &self.options, audit, || {
            shared.raw.revoke_actor_token(&self.id)
        })
        .await
    }
}

/// Refuses ids that would not stay one path segment. The generated code percent-encodes the id
/// but leaves `.`, `..` and `\` alone, and the URL parser then normalises `..` away: an id of `..`
/// would be sent to `/v1/revoke`.
pub(crate) fn check_actor_token_id(id: &str) -> Result<(), InputError> {
    // Clerk's ids (`act_` and base62) pass here without the per-character Unicode checks below.
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Ok(());
    }
    let reason = match id {
        "" => Some("it is empty"),
        "." | ".." => Some("it is a relative path segment"),
        _ => id.chars().find_map(|c| match c {
            '/' | '\\' => Some("it contains a path separator"),
            c if c.is_whitespace() => Some("it contains whitespace"),
            c if c.is_control() => Some("it contains a control character"),
            _ => None,
        }),
    };
    match reason {
        Some(reason) => Err(InputError::InvalidActorTokenId {
            id: id.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_escaping_ids_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "..\\x",
            "act 1",
            "act\n",
            "act\u{7f}",
            "\t",
        ] {
            assert!(
                check_actor_token_id(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        for good in ["act_2abc", "act_...x", "a.b", "%2e%2e"] {
            assert!(check_actor_token_id(good).is_ok(), "{good:?} should pass");
        }
    }
}
