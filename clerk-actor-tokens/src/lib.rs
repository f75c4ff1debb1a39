//! A typed Rust client for Clerk's Backend API **actor tokens** (user impersonation).
//!
//! An actor token is a one-time sign-in ticket: its `url` signs whoever opens it in as the user,
//! on behalf of the actor (say, a support engineer). This crate creates and revokes them, with:
//!
//! - types generated at build time from a vendored OpenAPI fragment (progenitor), kept in [`raw`];
//! - a small facade: [`Clerk`] and its [`ClerkBuilder`], fluent [`ActorTokens`] calls, one
//!   [`Error`] type with helpers, [`RetryPolicy`] and [`Timeouts`];
//! - secrets (the key, a token's `token` and `url`) wrapped in [`Secret`], which never prints.
//!
//! ```no_run
//! use std::time::Duration;
//! use clerk_actor_tokens::{Actor, Clerk};
//!
//! # async fn run() -> Result<(), clerk_actor_tokens::Error> {
//! let clerk = Clerk::from_env()?; // CLERK_SECRET_KEY, optional CLERK_API_URL
//! let token = clerk
//!     .actor_tokens()
//!     .create("user_2abc", Actor::new("user_2admin").claim("reason", "ticket 4411"))
//!     .expires_in(Duration::from_secs(600))
//!     .send()
//!     .await?;
//! let url = token.url().expect("a create response carries the url");
//! println!("{} {}", token.id(), url.expose()); // url is a secret: expose() on purpose
//!
//! match clerk.actor_tokens().revoke(token.id()).send().await {
//!     Ok(revoked) => assert_eq!(revoked.status().as_str(), "revoked"),
//!     Err(e) if e.is_bad_request() => eprintln!("already used: {e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
// docs.rs builds with `--cfg docsrs` (see Cargo.toml): items behind a feature (`blocking`,
// `test-util`, `schemars`) then say which feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Bottom-up: each module uses only those above it (lib.rs and the generated `raw` aside).
// Data types:
mod codes;
mod error;
mod model;
mod operation;
mod retry;
mod secret;
mod session;
// The pure retry decision:
mod decision;
// Transport: what a failed connection's error says, the hooks on every request, the default
// HTTP client, what an answer means:
mod connection_error;
mod hooks;
mod http_client;
mod response;
// The client, its configuration and the runtime of a blocking client:
mod config;
#[cfg(feature = "blocking")]
mod driver;
// One call (its audit trail, an attempt's time limit, the attempt loop) and the operations'
// builders:
mod audit;
mod time_limit;
#[macro_use]
mod call;
mod actor_tokens;
mod sessions;
// What combines them: ending an impersonation whatever its token's state:
mod impersonations;
// Last, the blocking twin and the test constructors:
#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "test-util")]
mod test_util;

pub use actor_tokens::{
    ActorTokens, CreateActorToken, DEFAULT_EXPIRES_IN, DEFAULT_SESSION_MAX_DURATION,
    RevokeActorToken,
};
pub use audit::AUDIT_TARGET;
pub use config::{
    API_URL_ENV, API_VERSION_PATH, CLERK_API_VERSION, Clerk, ClerkBuilder, DEFAULT_API_URL,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_USER_AGENT, SECRET_KEY_ENV, Timeouts,
};
pub use error::{
    AmbiguousOutcome, ApiError, ClerkError, ConfigError, Error, ErrorBody, InputError, Quota,
    TimeoutKind, TimeoutPhase, TlsProblem,
};
#[cfg(feature = "test-util")]
pub use model::ActorTokenBuilder;
// Clerk's documented error codes of these operations (see each constant for its source).
pub use codes::{
    CANNOT_REVOKE_CODE, FORM_PARAM_MISSING_CODE, FORM_PARAM_VALUE_INVALID_CODE,
    FORM_RESOURCE_NOT_FOUND_CODE, QUOTA_EXCEEDED_CODE, RESOURCE_NOT_FOUND_CODE,
    TOO_MANY_REQUESTS_CODE, UNSUPPORTED_PLAN_FEATURES_CODE,
};
pub use hooks::CLERK_API_VERSION_HEADER;
pub use http_client::http_client_builder;
pub use impersonations::{Ended, Impersonation, Impersonations};
pub use model::{Actor, ActorToken, Status};
pub use retry::{MAX_RETRY_AFTER, RetryPolicy};
pub use secret::{REDACTED, Secret, looks_like_secret_key};
#[cfg(feature = "test-util")]
pub use session::SessionBuilder;
pub use session::{Session, SessionPage, SessionStatus};
pub use sessions::{GetSession, ListSessions, MAX_SESSIONS_PER_PAGE, RevokeSession, Sessions};

// The foreign crates whose types appear in the public API, so that users name exactly the
// versions the SDK was built with (`clerk_actor_tokens::reqwest::Client`, `::http::StatusCode`,
// `::serde_json::Value` of actor claims and error `meta`). The raw client re-exports
// progenitor's own types (`raw::Error`, `raw::ResponseValue`).
pub use http;
/// The HTTP status type of [`Error::status`] and [`ApiError::status`] (from [`http`]).
pub use http::StatusCode;
pub use reqwest;
pub use serde_json;

/// The one seam between the generated code and the facade: the generated code names the facade
/// only through this module (build-support's `generate::SEAM`), so the facade's own modules stay
/// free to change and private. Users cannot make an `Inner`: a raw client comes from [`Clerk`].
mod seam {
    /// The state the generated `Client` carries for its hooks (progenitor's inner type).
    pub use crate::hooks::HookState as Inner;
    /// What the fragment's `format: password` strings are generated as.
    pub use crate::secret::Secret;
}

/// The client and wire types generated by progenitor from `openapi/clerk-actor-tokens.yaml`.
///
/// This is the unchecked wire layer, public for tools that must speak the exact wire format (the
/// fake server of this workspace answers with these types). It changes whenever the fragment
/// does; applications should use the facade ([`Clerk`]) instead.
#[allow(missing_docs, clippy::all, unused)]
pub mod raw {
    #[cfg(feature = "codegen")]
    include!(concat!(env!("OUT_DIR"), "/clerk_actor_tokens_generated.rs"));
    #[cfg(not(feature = "codegen"))]
    include!("../generated/client.rs");
}
