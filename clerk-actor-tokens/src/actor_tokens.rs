//! The actor-token operations as fluent builders ending in `.send().await`: `create(..)` and
//! `revoke(id)`. Inputs are checked here, before anything is sent.
//!
//! The builders are not futures themselves (no `IntoFuture`): that would need a boxed future,
//! and the box of a whole call (about 2.7 KB, past glibc's per-thread cache) cost up to 9% of a
//! call's time in the benchmark (BENCHMARKS.md, section 1).

use std::future::Future;
use std::num::NonZeroU64;
use std::time::Duration;

use crate::audit::Audit;
use crate::call::{self, CallOptions};
use crate::config::Clerk;
use crate::error::{Error, InputError};
use crate::model::{Actor, ActorToken};
use crate::operation::Operation;
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

impl Clerk {
    /// The actor-token operations.
    pub fn actor_tokens(&self) -> ActorTokens<'_> {
        ActorTokens { clerk: self }
    }
}

/// The actor-token operations of a [`Clerk`] client; get it with [`Clerk::actor_tokens`].
#[derive(Clone, Copy, Debug)]
pub struct ActorTokens<'c> {
    clerk: &'c Clerk,
}

impl<'c> ActorTokens<'c> {
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
    ///
    /// `actor_token_id` is the token's [`ActorToken::id`] (`act_` and letters and digits, as all
    /// of Clerk's actor token ids). Anything else is refused before sending, with an
    /// [`InputError::InvalidActorTokenId`] that does not show it: the usual mistake is passing the
    /// token's `token` or `url`, which are credentials, and they then go nowhere, neither to
    /// Clerk, nor into an error, a log or the audit trail.
    pub fn revoke(&self, actor_token_id: impl Into<String>) -> RevokeActorToken<'c> {
        RevokeActorToken {
            clerk: self.clerk,
            id: actor_token_id.into(),
            options: CallOptions::default(),
        }
    }
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
        #[cfg(feature = "blocking")]
        if let Some(driver) = self.clerk.shared.driver.get() {
            let clerk = self.clerk.clone();
            let options = self.options;
            return driver
                .run(async move { create(&clerk, &body, &options).await })
                .await;
        }
        // The call's future is awaited here, not inside another `async fn`: each level of
        // `async fn` moves the whole future below it once more (about 2.5 KB here).
        create(self.clerk, &body, &self.options).await
    }
}

/// The create call. A plain function returning the call's future (no `async fn` of its own),
/// so that the caller's state holds that future directly.
fn create<'a>(
    clerk: &'a Clerk,
    body: &'a wire::CreateActorTokenBody,
    options: &'a CallOptions,
) -> impl Future<Output = Result<ActorToken, Error>> + 'a {
    let audit = Audit {
        user_id: Some(&body.user_id),
        actor_sub: Some(&body.actor.sub),
        actor_token_id: None,
        expires_in_seconds: Some(body.expires_in_seconds.get()),
        session_id: None,
    };
    let shared = &clerk.shared;
    call::run(shared, Operation::Create, options, audit, move || {
        shared.raw.create_actor_token(body)
    })
}

/// A revoke request being put together. See [`ActorTokens::revoke`].
#[must_use = "nothing is sent until `.send().await`"]
pub struct RevokeActorToken<'c> {
    clerk: &'c Clerk,
    id: String,
    options: CallOptions,
}

impl std::fmt::Debug for RevokeActorToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The id as given is shown only when it is one: a refused value may be a credential.
        let id = match check_actor_token_id(&self.id) {
            Ok(()) => self.id.as_str(),
            Err(_) => "[refused, not shown]",
        };
        f.debug_struct("RevokeActorToken")
            .field("clerk", self.clerk)
            .field("id", &id)
            .field("options", &self.options)
            .finish()
    }
}

impl<'c> RevokeActorToken<'c> {
    call_options!();

    /// Sends the request.
    pub async fn send(self) -> Result<ActorToken, Error> {
        check_actor_token_id(&self.id)?;
        #[cfg(feature = "blocking")]
        if let Some(driver) = self.clerk.shared.driver.get() {
            let clerk = self.clerk.clone();
            let (id, options) = (self.id, self.options);
            return driver
                .run(async move { revoke(&clerk, &id, &options).await })
                .await;
        }
        revoke(self.clerk, &self.id, &self.options).await
    }
}

/// The revoke call; like [`create`], a plain function returning the call's future.
fn revoke<'a>(
    clerk: &'a Clerk,
    id: &'a str,
    options: &'a CallOptions,
) -> impl Future<Output = Result<ActorToken, Error>> + 'a {
    let audit = Audit {
        actor_token_id: Some(id),
        ..Audit::default()
    };
    let shared = &clerk.shared;
    call::run(shared, Operation::Revoke, options, audit, move || {
        shared.raw.revoke_actor_token(id)
    })
}

/// The prefix of every actor token id of Clerk's.
const ACTOR_TOKEN_ID_PREFIX: &str = "act_";

/// Accepts what Clerk's actor token ids are: `act_` and one or more ASCII letters and digits
/// (Clerk's ids are a type prefix, `_`, and a base62 string; so are the fake's). Nothing else is
/// sent: such an id also stays one path segment whatever the URL parser does (`..` would be
/// normalised away to `/v1/revoke`), needs no percent-encoding, and is never a ticket or a url
/// given by mistake (a ticket has no `act_` prefix, a url has `:` and `/`), so the audit trail,
/// which records the id, never holds a credential.
pub(crate) fn check_actor_token_id(id: &str) -> Result<(), InputError> {
    let reason = match id.strip_prefix(ACTOR_TOKEN_ID_PREFIX) {
        _ if id.is_empty() => "it is empty",
        None if id.contains("://") => "it is a URL (the sign-in url is not the id)",
        None => "it does not start with act_",
        Some("") => "there is nothing after act_",
        Some(rest) if rest.bytes().all(|b| b.is_ascii_alphanumeric()) => return Ok(()),
        Some(_) => "after act_ it holds characters other than ASCII letters and digits",
    };
    Err(InputError::InvalidActorTokenId { reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clerks_id_format_is_accepted() {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "act_..",
            "act_a/b",
            "act_..\\x",
            "act_ 1",
            "act_1\n",
            "act_\u{7f}",
            "act_",
            "act_é",
            "act_a.b",
            "act_%2e%2e",
            "\t",
            "2bR8mYcQk1ZzV0eyJhbGciOi",
            "https://accounts.example.dev/v1/tickets/accept?ticket=abc",
            "ACT_1",
        ] {
            let err = check_actor_token_id(bad).expect_err(bad);
            if bad.len() > 4 {
                assert!(
                    !format!("{err} {err:?}").contains(bad),
                    "{bad:?} shown: {err}"
                );
            }
        }
        for good in ["act_2abc", "act_1", "act_2x9QbD7aL0mN3pR5sT8vW1yZ4"] {
            assert!(check_actor_token_id(good).is_ok(), "{good:?} should pass");
        }
    }
}
