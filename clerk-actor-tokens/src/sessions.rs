//! The session operations as fluent builders ending in `.send().await`: `list()`, `get(id)` and
//! `revoke(id)`. Revoking the session an actor token's url created is the only way to end an
//! impersonation before it expires.

use std::future::Future;
use std::num::NonZeroU64;
use std::time::Duration;

use crate::audit::Audit;
use crate::call::{self, CallOptions};
use crate::config::Clerk;
use crate::error::{Error, InputError};
use crate::operation::Operation;
use crate::raw::types as wire;
use crate::retry::RetryPolicy;
use crate::session::{Session, SessionPage, SessionStatus};

/// The most sessions Clerk returns in one page (`limit`'s maximum in Clerk's spec).
pub const MAX_SESSIONS_PER_PAGE: u64 = 500;

impl Clerk {
    /// The session operations. Ending an impersonation whose url was opened means revoking the
    /// session it created:
    ///
    /// ```no_run
    /// use clerk_actor_tokens::{Clerk, SessionStatus};
    ///
    /// # async fn run(clerk: Clerk) -> Result<(), clerk_actor_tokens::Error> {
    /// // Every active session of the user in which this actor acts as them, over all pages.
    /// let sessions = clerk
    ///     .sessions()
    ///     .list()
    ///     .user_id("user_2abc")
    ///     .status(SessionStatus::Active)
    ///     .send_all()
    ///     .await?;
    /// for session in sessions.iter().filter(|s| s.actor_sub() == Some("user_2admin")) {
    ///     let revoked = clerk.sessions().revoke(session.id()).send().await?;
    ///     assert_eq!(revoked.status(), &SessionStatus::Revoked);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions { clerk: self }
    }
}

/// The session operations of a [`Clerk`] client; get it with [`Clerk::sessions`].
#[derive(Clone, Copy, Debug)]
pub struct Sessions<'c> {
    clerk: &'c Clerk,
}

impl<'c> Sessions<'c> {
    /// Starts listing sessions, newest first; give [`ListSessions::user_id`] (or
    /// [`ListSessions::client_id`]) and finish with `.send().await` for one page or
    /// `.send_all().await` for every page.
    pub fn list(&self) -> ListSessions<'c> {
        ListSessions {
            clerk: self.clerk,
            user_id: None,
            client_id: None,
            status: None,
            limit: None,
            offset: 0,
            options: CallOptions::default(),
        }
    }

    /// Starts reading one session; finish with `.send().await`. `session_id` is a
    /// [`Session::id`] (`sess_` and letters and digits); anything else is refused before sending,
    /// with an [`InputError::InvalidSessionId`] that does not show it.
    pub fn get(&self, session_id: impl Into<String>) -> GetSession<'c> {
        GetSession {
            clerk: self.clerk,
            id: session_id.into(),
            options: CallOptions::default(),
        }
    }

    /// Starts revoking a session, which ends it at once; finish with `.send().await`. Ids are
    /// checked as for [`Sessions::get`]. A session token the application already holds stays
    /// valid until it expires (about a minute).
    pub fn revoke(&self, session_id: impl Into<String>) -> RevokeSession<'c> {
        RevokeSession {
            clerk: self.clerk,
            id: session_id.into(),
            options: CallOptions::default(),
        }
    }
}

/// Runs `call` on the blocking client's runtime when this client is one's twin (see
/// `Shared::driver`), else here.
async fn dispatch<T, F, Fut>(clerk: &Clerk, call: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(Clerk) -> Fut,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
{
    #[cfg(feature = "blocking")]
    if let Some(driver) = clerk.shared.driver.get() {
        return driver.run(call(clerk.clone())).await;
    }
    call(clerk.clone()).await
}

/// A session list being put together. See [`Sessions::list`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `.send().await`"]
pub struct ListSessions<'c> {
    clerk: &'c Clerk,
    user_id: Option<String>,
    client_id: Option<String>,
    status: Option<SessionStatus>,
    limit: Option<NonZeroU64>,
    offset: u64,
    options: CallOptions,
}

impl<'c> ListSessions<'c> {
    call_options!();

    /// Only the sessions of this user.
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Only the sessions of this client.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Only the sessions in this state. Clerk filters by the states its spec lists (every
    /// variant but [`SessionStatus::Pending`] and [`SessionStatus::Other`], which are refused
    /// before sending).
    pub fn status(mut self, status: SessionStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// How many sessions a page holds: 1 to [`MAX_SESSIONS_PER_PAGE`] (Clerk's default is 10).
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = NonZeroU64::new(limit.clamp(1, MAX_SESSIONS_PER_PAGE));
        self
    }

    /// How many sessions to skip (the sessions of earlier pages).
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    fn wire_status(&self) -> Result<Option<wire::GetSessionListStatus>, Error> {
        use wire::GetSessionListStatus as W;
        Ok(match &self.status {
            None => None,
            Some(SessionStatus::Active) => Some(W::Active),
            Some(SessionStatus::Revoked) => Some(W::Revoked),
            Some(SessionStatus::Ended) => Some(W::Ended),
            Some(SessionStatus::Expired) => Some(W::Expired),
            Some(SessionStatus::Removed) => Some(W::Removed),
            Some(SessionStatus::Abandoned) => Some(W::Abandoned),
            Some(SessionStatus::Replaced) => Some(W::Replaced),
            Some(_) => return Err(InputError::UnsupportedSessionFilter.into()),
        })
    }

    fn check(&self) -> Result<(), Error> {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        if !given(&self.user_id) && !given(&self.client_id) {
            return Err(InputError::MissingSessionFilter.into());
        }
        Ok(())
    }

    /// Sends the request: one page.
    pub async fn send(self) -> Result<SessionPage, Error> {
        self.check()?;
        let status = self.wire_status()?;
        let (user_id, client_id, limit, offset, options) = (
            self.user_id,
            self.client_id,
            self.limit,
            self.offset,
            self.options,
        );
        dispatch(self.clerk, move |clerk| async move {
            let audit = Audit {
                user_id: user_id.as_deref(),
                ..Audit::default()
            };
            let shared = &clerk.shared;
            call::run(shared, Operation::ListSessions, &options, audit, || {
                shared.raw.get_session_list(
                    client_id.as_deref(),
                    limit,
                    Some(offset),
                    // Clerk's own SDKs always ask for the paginated form: it has the total.
                    Some(true),
                    status,
                    user_id.as_deref(),
                )
            })
            .await
        })
        .await
    }

    /// Sends one request per page (of [`ListSessions::limit`] sessions, [`MAX_SESSIONS_PER_PAGE`]
    /// when not set) from the offset on, until a page is short or the total is reached, and
    /// returns every session. Each page is a call with its own limits and retries.
    pub async fn send_all(self) -> Result<Vec<Session>, Error> {
        let limit = self
            .limit
            .unwrap_or(NonZeroU64::new(MAX_SESSIONS_PER_PAGE).expect("not zero"));
        let mut offset = self.offset;
        let mut all = Vec::new();
        loop {
            let page = self
                .clone()
                .limit(limit.get())
                .offset(offset)
                .send()
                .await?;
            let total = page.total_count();
            let got = page.sessions().len() as u64;
            all.extend(page.into_sessions());
            offset = offset.saturating_add(got);
            // A short or empty page is the last one, whatever the total says: sessions can
            // end between two pages.
            if got < limit.get() || offset >= total {
                return Ok(all);
            }
        }
    }
}

/// A session read being put together. See [`Sessions::get`].
#[must_use = "nothing is sent until `.send().await`"]
pub struct GetSession<'c> {
    clerk: &'c Clerk,
    id: String,
    options: CallOptions,
}

impl std::fmt::Debug for GetSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_with_checked_id(f, "GetSession", self.clerk, &self.id, &self.options)
    }
}

impl<'c> GetSession<'c> {
    call_options!();

    /// Sends the request.
    pub async fn send(self) -> Result<Session, Error> {
        by_id(self.clerk, Operation::GetSession, self.id, self.options).await
    }
}

/// A session revoke being put together. See [`Sessions::revoke`].
#[must_use = "nothing is sent until `.send().await`"]
pub struct RevokeSession<'c> {
    clerk: &'c Clerk,
    id: String,
    options: CallOptions,
}

impl std::fmt::Debug for RevokeSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_with_checked_id(f, "RevokeSession", self.clerk, &self.id, &self.options)
    }
}

impl<'c> RevokeSession<'c> {
    call_options!();

    /// Sends the request.
    pub async fn send(self) -> Result<Session, Error> {
        by_id(self.clerk, Operation::RevokeSession, self.id, self.options).await
    }
}

/// A call on one session (get or revoke): the id checked, then the generated operation `op` names.
async fn by_id(
    clerk: &Clerk,
    op: Operation,
    id: String,
    options: CallOptions,
) -> Result<Session, Error> {
    check_session_id(&id)?;
    dispatch(clerk, move |clerk| async move {
        let audit = Audit {
            session_id: Some(&id),
            ..Audit::default()
        };
        let shared = &clerk.shared;
        call::run(shared, op, &options, audit, || async {
            if op == Operation::RevokeSession {
                shared.raw.revoke_session(&id).await
            } else {
                shared.raw.get_session(&id).await
            }
        })
        .await
    })
    .await
}

/// A builder's `Debug`, with its id shown only when it is one: a refused value may be a
/// credential given by mistake.
fn debug_with_checked_id(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    clerk: &Clerk,
    id: &str,
    options: &CallOptions,
) -> std::fmt::Result {
    let id = match check_session_id(id) {
        Ok(()) => id,
        Err(_) => "[refused, not shown]",
    };
    f.debug_struct(name)
        .field("clerk", clerk)
        .field("id", &id)
        .field("options", options)
        .finish()
}

/// The prefix of every session id of Clerk's.
const SESSION_ID_PREFIX: &str = "sess_";

/// Accepts what Clerk's session ids are: `sess_` and one or more ASCII letters and digits (see
/// `check_actor_token_id` for why nothing else is sent).
pub(crate) fn check_session_id(id: &str) -> Result<(), InputError> {
    let reason = match id.strip_prefix(SESSION_ID_PREFIX) {
        _ if id.is_empty() => "it is empty",
        None if id.contains("://") => "it is a URL",
        None => "it does not start with sess_",
        Some("") => "there is nothing after sess_",
        Some(rest) if rest.bytes().all(|b| b.is_ascii_alphanumeric()) => return Ok(()),
        Some(_) => "after sess_ it holds characters other than ASCII letters and digits",
    };
    Err(InputError::InvalidSessionId { reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clerks_session_id_format_is_accepted() {
        for bad in [
            "",
            "sess_",
            "sess_a/b",
            "sess_..",
            "act_1",
            "SESS_1",
            "sess_1 ",
            "https://x/y",
        ] {
            let err = check_session_id(bad).expect_err(bad);
            if bad.len() > 5 {
                assert!(!format!("{err} {err:?}").contains(bad), "{bad:?} shown");
            }
        }
        for good in ["sess_1", "sess_2x9QbD7aL0mN3pR5sT8vW1yZ4"] {
            assert!(check_session_id(good).is_ok(), "{good}");
        }
    }
}
