//! A blocking client for scripts, CLIs and synchronous services (feature `blocking`).
//!
//! It is the async [`crate::Clerk`] driven by a runtime of its own, on a thread of its own (as
//! `reqwest::blocking` does), so it has the same builder, errors, retries, time limits and secret
//! handling. Each call blocks the calling thread until the call ends; the client can be cloned
//! and shared between threads.
//!
//! The async client underneath ([`Clerk::as_async`], and the one given to [`Clerk::from_async`]
//! with all its clones) shares the blocking client's connection pool. So that no connection of
//! that pool depends on a runtime that may not be running, every call of any of them runs on the
//! blocking client's thread, wherever it is made: a connection opened by a blocking call serves a
//! later call from the application's runtime at once, and the reverse. Calls through
//! [`crate::Clerk::raw_client`] are the exception: they run where they are awaited.
//!
//! Inside an async runtime a blocking call would stall the runtime's thread (and tokio refuses to
//! start a runtime there with a panic), so every call first checks for one and returns
//! [`Error::BlockingInAsyncContext`] instead. Async code uses [`crate::Clerk`]. The check is
//! "a tokio runtime is current on this thread", which also holds on tokio's blocking threads
//! (`spawn_blocking`): there, call the async client with `Handle::current().block_on(..)`.
//!
//! ```no_run
//! use std::time::Duration;
//! use clerk_actor_tokens::{Actor, Clerk};
//!
//! fn main() -> Result<(), clerk_actor_tokens::Error> {
//!     let clerk = Clerk::builder()
//!         .secret_key(std::env::var("CLERK_SECRET_KEY").unwrap_or_default())
//!         .request_timeout(Duration::from_secs(10))
//!         .build_blocking()?; // or clerk_actor_tokens::blocking::Clerk::from_env()?
//!     let token = clerk
//!         .actor_tokens()
//!         .create("user_2abc", Actor::new("user_2admin").claim("reason", "ticket 4411"))
//!         .expires_in(Duration::from_secs(600))
//!         .send()?;
//!     clerk.actor_tokens().revoke(token.id()).send()?;
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::config::ClerkBuilder;
use crate::driver::Driver;
use crate::error::Error;
use crate::model::{Actor, ActorToken};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::session::{Session, SessionPage, SessionStatus};

/// A configured blocking client; see the [module docs](self). Cheap to clone; share one per
/// process.
#[derive(Clone)]
pub struct Clerk {
    inner: crate::Clerk,
    driver: Arc<Driver>,
}

impl fmt::Debug for Clerk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Clerk")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Clerk {
    /// A client with this secret key and every other setting at its default.
    ///
    /// ```
    /// let clerk = clerk_actor_tokens::blocking::Clerk::new("sk_test_example")?;
    /// assert_eq!(clerk.base_url(), "https://api.clerk.com/v1");
    /// # Ok::<(), clerk_actor_tokens::Error>(())
    /// ```
    pub fn new(secret_key: impl Into<Secret>) -> Result<Self, Error> {
        ClerkBuilder::new().secret_key(secret_key).build_blocking()
    }

    /// A client configured from `CLERK_SECRET_KEY` (required) and `CLERK_API_URL` (optional).
    pub fn from_env() -> Result<Self, Error> {
        ClerkBuilder::from_env()?.build_blocking()
    }

    /// The same builder as the async client's; finish it with [`ClerkBuilder::build_blocking`].
    ///
    /// ```
    /// use clerk_actor_tokens::{blocking, RetryPolicy};
    ///
    /// let clerk = blocking::Clerk::builder()
    ///     .secret_key("sk_test_example")
    ///     .api_url("http://127.0.0.1:8080")
    ///     .retry_policy(RetryPolicy::never())
    ///     .build_blocking()?;
    /// assert_eq!(clerk.base_url(), "http://127.0.0.1:8080/v1");
    /// # Ok::<(), clerk_actor_tokens::Error>(())
    /// ```
    pub fn builder() -> ClerkBuilder {
        ClerkBuilder::new()
    }

    /// Wraps an async client, sharing its configuration and connection pool. From then on every
    /// call of that client and of its clones runs on the blocking client's runtime thread (see
    /// the [module docs](self)); wrapping it twice shares that runtime.
    pub fn from_async(clerk: crate::Clerk) -> Result<Self, Error> {
        let driver = match clerk.shared.driver.get() {
            Some(driver) => driver.clone(),
            None => {
                let driver = Arc::new(Driver::new()?);
                // Another thread may have wrapped a clone meanwhile: use whichever was first.
                clerk.shared.driver.get_or_init(|| driver).clone()
            }
        };
        Ok(Self {
            inner: clerk,
            driver,
        })
    }

    /// The actor-token operations.
    pub fn actor_tokens(&self) -> ActorTokens<'_> {
        ActorTokens { clerk: self }
    }

    /// The session operations.
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions { clerk: self }
    }

    /// The active impersonations of a user (see [`crate::Impersonations::active`]).
    pub fn active_impersonations(
        &self,
        user_id: impl Into<String>,
        actor_sub: Option<&str>,
    ) -> Result<Vec<Session>, Error> {
        self.block_on(self.inner.impersonations().active(user_id, actor_sub))
    }

    /// Ends an impersonation (see [`crate::Impersonations::end`]).
    pub fn end_impersonation(
        &self,
        impersonation: impl Into<crate::Impersonation>,
    ) -> Result<crate::Ended, Error> {
        self.block_on(self.inner.impersonations().end(impersonation))
    }

    /// The base URL requests go to, version path included.
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// The async client underneath, for code that has both worlds. It shares this client's
    /// connection pool, and its calls run on this client's runtime thread wherever they are
    /// awaited (see the [module docs](self)).
    pub fn as_async(&self) -> &crate::Clerk {
        &self.inner
    }

    fn block_on<T>(&self, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::BlockingInAsyncContext);
        }
        self.driver.block_on(call)
    }
}

impl ClerkBuilder {
    /// Checks everything and builds a [`Clerk`] (feature `blocking`): the same settings, driven
    /// by a runtime of its own. No request is sent.
    ///
    /// ```
    /// let clerk = clerk_actor_tokens::Clerk::builder()
    ///     .secret_key("sk_test_example")
    ///     .build_blocking()?;
    /// assert_eq!(clerk.base_url(), "https://api.clerk.com/v1");
    /// # Ok::<(), clerk_actor_tokens::Error>(())
    /// ```
    pub fn build_blocking(self) -> Result<Clerk, Error> {
        Clerk::from_async(self.build()?)
    }
}

/// The actor-token operations of a blocking [`Clerk`].
#[derive(Clone, Copy, Debug)]
pub struct ActorTokens<'c> {
    clerk: &'c Clerk,
}

impl<'c> ActorTokens<'c> {
    /// Starts creating a token that lets `actor` sign in as `user_id`; finish with `.send()`.
    /// See [`crate::ActorTokens::create`].
    pub fn create(&self, user_id: impl Into<String>, actor: Actor) -> CreateActorToken<'c> {
        CreateActorToken {
            clerk: self.clerk,
            inner: self.clerk.inner.actor_tokens().create(user_id, actor),
        }
    }

    /// Starts revoking a pending token; finish with `.send()`. See [`crate::ActorTokens::revoke`].
    pub fn revoke(&self, actor_token_id: impl Into<String>) -> RevokeActorToken<'c> {
        RevokeActorToken {
            clerk: self.clerk,
            inner: self.clerk.inner.actor_tokens().revoke(actor_token_id),
        }
    }
}

macro_rules! call_options {
    () => {
        /// Overrides the client's retry policy for this call.
        pub fn retry_policy(self, policy: RetryPolicy) -> Self {
            Self {
                inner: self.inner.retry_policy(policy),
                ..self
            }
        }

        /// Overrides the client's per-request time limit for this call.
        pub fn request_timeout(self, timeout: Duration) -> Self {
            Self {
                inner: self.inner.request_timeout(timeout),
                ..self
            }
        }

        /// Overrides the client's limit for the whole call, retries included.
        pub fn deadline(self, timeout: Duration) -> Self {
            Self {
                inner: self.inner.deadline(timeout),
                ..self
            }
        }
    };
}

/// A blocking create request being put together. See [`ActorTokens::create`].
#[derive(Debug)]
#[must_use = "nothing is sent until `.send()`"]
pub struct CreateActorToken<'c> {
    clerk: &'c Clerk,
    inner: crate::CreateActorToken<'c>,
}

impl CreateActorToken<'_> {
    /// How long the token can be redeemed (Clerk's default: 1 hour). Whole seconds; at least 1 s.
    pub fn expires_in(self, duration: Duration) -> Self {
        Self {
            inner: self.inner.expires_in(duration),
            ..self
        }
    }

    /// Longest session the token can start (Clerk's default: 30 minutes). Whole seconds; at least 1 s.
    pub fn session_max_duration(self, duration: Duration) -> Self {
        Self {
            inner: self.inner.session_max_duration(duration),
            ..self
        }
    }

    call_options!();

    /// Sends the request and waits for the outcome. Returns
    /// [`Error::BlockingInAsyncContext`] when called from inside an async runtime.
    pub fn send(self) -> Result<ActorToken, Error> {
        self.clerk.block_on(self.inner.send())
    }
}

/// A blocking revoke request being put together. See [`ActorTokens::revoke`].
#[derive(Debug)]
#[must_use = "nothing is sent until `.send()`"]
pub struct RevokeActorToken<'c> {
    clerk: &'c Clerk,
    inner: crate::RevokeActorToken<'c>,
}

impl RevokeActorToken<'_> {
    call_options!();

    /// Sends the request and waits for the outcome. Returns
    /// [`Error::BlockingInAsyncContext`] when called from inside an async runtime.
    pub fn send(self) -> Result<ActorToken, Error> {
        self.clerk.block_on(self.inner.send())
    }
}

/// The session operations of a blocking [`Clerk`]; see [`crate::Sessions`].
#[derive(Clone, Copy, Debug)]
pub struct Sessions<'c> {
    clerk: &'c Clerk,
}

impl<'c> Sessions<'c> {
    /// Starts listing sessions; finish with `.send()` or `.send_all()`. See
    /// [`crate::Sessions::list`].
    pub fn list(&self) -> ListSessions<'c> {
        ListSessions {
            clerk: self.clerk,
            inner: self.clerk.inner.sessions().list(),
        }
    }

    /// Starts reading a session; finish with `.send()`. See [`crate::Sessions::get`].
    pub fn get(&self, session_id: impl Into<String>) -> GetSession<'c> {
        GetSession {
            clerk: self.clerk,
            inner: self.clerk.inner.sessions().get(session_id),
        }
    }

    /// Starts revoking a session; finish with `.send()`. See [`crate::Sessions::revoke`].
    pub fn revoke(&self, session_id: impl Into<String>) -> RevokeSession<'c> {
        RevokeSession {
            clerk: self.clerk,
            inner: self.clerk.inner.sessions().revoke(session_id),
        }
    }
}

/// A blocking session list being put together. See [`crate::ListSessions`].
#[derive(Debug)]
#[must_use = "nothing is sent until `.send()`"]
pub struct ListSessions<'c> {
    clerk: &'c Clerk,
    inner: crate::ListSessions<'c>,
}

impl ListSessions<'_> {
    call_options!();

    /// Only the sessions of this user.
    pub fn user_id(self, user_id: impl Into<String>) -> Self {
        Self {
            inner: self.inner.user_id(user_id),
            ..self
        }
    }

    /// Only the sessions of this client.
    pub fn client_id(self, client_id: impl Into<String>) -> Self {
        Self {
            inner: self.inner.client_id(client_id),
            ..self
        }
    }

    /// Only the sessions in this state.
    pub fn status(self, status: SessionStatus) -> Self {
        Self {
            inner: self.inner.status(status),
            ..self
        }
    }

    /// How many sessions a page holds (1 to 500).
    pub fn limit(self, limit: u64) -> Self {
        Self {
            inner: self.inner.limit(limit),
            ..self
        }
    }

    /// How many sessions to skip.
    pub fn offset(self, offset: u64) -> Self {
        Self {
            inner: self.inner.offset(offset),
            ..self
        }
    }

    /// Sends the request: one page.
    pub fn send(self) -> Result<SessionPage, Error> {
        self.clerk.block_on(self.inner.send())
    }

    /// Every page; see [`crate::ListSessions::send_all`].
    pub fn send_all(self) -> Result<Vec<Session>, Error> {
        self.clerk.block_on(self.inner.send_all())
    }
}

/// A blocking session read being put together. See [`crate::GetSession`].
#[derive(Debug)]
#[must_use = "nothing is sent until `.send()`"]
pub struct GetSession<'c> {
    clerk: &'c Clerk,
    inner: crate::GetSession<'c>,
}

impl GetSession<'_> {
    call_options!();

    /// Sends the request and waits for the outcome.
    pub fn send(self) -> Result<Session, Error> {
        self.clerk.block_on(self.inner.send())
    }
}

/// A blocking session revoke being put together. See [`crate::RevokeSession`].
#[derive(Debug)]
#[must_use = "nothing is sent until `.send()`"]
pub struct RevokeSession<'c> {
    clerk: &'c Clerk,
    inner: crate::RevokeSession<'c>,
}

impl RevokeSession<'_> {
    call_options!();

    /// Sends the request and waits for the outcome.
    pub fn send(self) -> Result<Session, Error> {
        self.clerk.block_on(self.inner.send())
    }
}
