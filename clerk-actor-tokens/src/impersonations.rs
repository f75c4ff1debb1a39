//! Impersonations as one thing, whatever state their token is in: the active ones of a user, and
//! ending one, which revokes the token while it is pending and the sessions it opened once it
//! was used (the only way Clerk offers; clerk/cli pull request 382 does the same by hand).

use crate::audit::AUDIT_TARGET;
use crate::config::Clerk;
use crate::error::Error;
use crate::model::ActorToken;
use crate::session::{Session, SessionStatus};

impl Clerk {
    /// Impersonations: the active ones of a user, and ending one in a single call.
    pub fn impersonations(&self) -> Impersonations<'_> {
        Impersonations { clerk: self }
    }
}

/// The impersonation calls of a [`Clerk`] client; get it with [`Clerk::impersonations`].
#[derive(Clone, Copy, Debug)]
pub struct Impersonations<'c> {
    clerk: &'c Clerk,
}

/// Which impersonation to end: the user, the actor, and the token that started it if it is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Impersonation {
    user_id: String,
    actor_sub: String,
    actor_token_id: Option<String>,
}

impl Impersonation {
    /// `actor_sub` acting as `user_id`, with no token known (every session of theirs is ended).
    pub fn new(user_id: impl Into<String>, actor_sub: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            actor_sub: actor_sub.into(),
            actor_token_id: None,
        }
    }

    /// The token that started it: revoked first if it is still pending.
    pub fn token_id(mut self, actor_token_id: impl Into<String>) -> Self {
        self.actor_token_id = Some(actor_token_id.into());
        self
    }

    /// The impersonated user.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The actor's user id.
    pub fn actor_sub(&self) -> &str {
        &self.actor_sub
    }
}

impl From<&ActorToken> for Impersonation {
    fn from(token: &ActorToken) -> Self {
        Impersonation::new(token.user_id(), token.actor().sub()).token_id(token.id())
    }
}

/// What [`Impersonations::end`] ended.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Ended {
    /// The token was still pending and is now revoked: its url never signed anyone in.
    TokenRevoked,
    /// These sessions, active until now, are revoked (at least one).
    SessionsRevoked(Vec<Session>),
    /// Nothing was left to end: no pending token and no active session of that actor.
    NothingFound,
}

impl Ended {
    /// Whether the call ended something (rather than finding nothing left to end).
    pub fn ended_something(&self) -> bool {
        !matches!(self, Ended::NothingFound)
    }
}

// The calls take `self` (it is a reference): their futures then borrow the client, not a
// temporary `Impersonations`, and can be awaited later, or two at once.
impl<'c> Impersonations<'c> {
    /// The active sessions of `user_id` in which someone acts as them, every page; with
    /// `actor_sub`, only those of that actor.
    pub async fn active(
        self,
        user_id: impl Into<String>,
        actor_sub: Option<&str>,
    ) -> Result<Vec<Session>, Error> {
        let sessions = self
            .clerk
            .sessions()
            .list()
            .user_id(user_id)
            .status(SessionStatus::Active)
            .send_all()
            .await?;
        Ok(sessions
            .into_iter()
            .filter(|s| s.is_active() && s.is_impersonation())
            .filter(|s| actor_sub.is_none_or(|sub| s.actor_sub() == Some(sub)))
            .collect())
    }

    /// Ends the impersonation: revokes its token if it is known and still pending, and otherwise
    /// revokes every active session of the user whose actor is the actor. Safe to call twice and
    /// from two places at once: a token Clerk will not revoke (used or revoked already, or gone)
    /// and a session that ended before its revoke arrived (Clerk's 400 or 404) count as ended,
    /// not as errors. Any other failure is returned; sessions revoked before it stay revoked.
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actor_tokens::Clerk, token: clerk_actor_tokens::ActorToken)
    /// # -> Result<(), clerk_actor_tokens::Error> {
    /// use clerk_actor_tokens::Ended;
    ///
    /// match clerk.impersonations().end(&token).await? {
    ///     Ended::TokenRevoked => println!("the link was never used; it is dead now"),
    ///     Ended::SessionsRevoked(sessions) => println!("{} session(s) ended", sessions.len()),
    ///     Ended::NothingFound | _ => println!("nothing left to end"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn end(self, impersonation: impl Into<Impersonation>) -> Result<Ended, Error> {
        let which: Impersonation = impersonation.into();
        let ended = self.end_inner(&which).await;
        match &ended {
            Ok(outcome) => tracing::info!(
                target: AUDIT_TARGET,
                operation = "EndImpersonation",
                outcome = match outcome {
                    Ended::TokenRevoked => "token_revoked",
                    Ended::SessionsRevoked(_) => "sessions_revoked",
                    Ended::NothingFound => "nothing_found",
                },
                user_id = %which.user_id,
                actor.sub = %which.actor_sub,
                actor_token.id = which.actor_token_id.as_deref(),
                sessions = %match outcome {
                    Ended::SessionsRevoked(s) => s.iter().map(Session::id).collect::<Vec<_>>().join(","),
                    _ => String::new(),
                },
                "impersonation ended"
            ),
            Err(error) => tracing::info!(
                target: AUDIT_TARGET,
                operation = "EndImpersonation",
                outcome = "failed",
                user_id = %which.user_id,
                actor.sub = %which.actor_sub,
                actor_token.id = which.actor_token_id.as_deref(),
                error = %error,
                "ending an impersonation failed"
            ),
        }
        ended
    }

    async fn end_inner(self, which: &Impersonation) -> Result<Ended, Error> {
        if let Some(id) = &which.actor_token_id {
            match self.clerk.actor_tokens().revoke(id).send().await {
                Ok(_) => return Ok(Ended::TokenRevoked),
                // Used (its sessions are what is left to end), revoked, or gone.
                Err(e) if e.is_not_revocable() || e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        let mut revoked = Vec::new();
        for session in self
            .active(which.user_id.as_str(), Some(&which.actor_sub))
            .await?
        {
            match self.clerk.sessions().revoke(session.id()).send().await {
                Ok(session) => revoked.push(session),
                // Ended meanwhile (another `end`, a sign-out, the expiry): nothing left to do.
                Err(e) if e.is_bad_request() || e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(if revoked.is_empty() {
            Ended::NothingFound
        } else {
            Ended::SessionsRevoked(revoked)
        })
    }
}
