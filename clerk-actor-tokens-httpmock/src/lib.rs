//! Typed [`httpmock`] mocks of Clerk's actor-token endpoints, generated from the same OpenAPI
//! fragment as the `clerk-actor-tokens` SDK (progenitor's httpmock generator, the way oxide.rs
//! makes `oxide-httpmock`).
//!
//! [`MockServerExt`] adds one method per operation to [`httpmock::MockServer`]:
//! `server.create_actor_token(|when, then| ..)` and `server.revoke_actor_token(|when, then| ..)`.
//! `when` already matches the operation's method and path (`/v1/...`, as the SDK sends it) and
//! offers one method per parameter (`body`, `actor_token_id`); `then` offers one method per
//! documented response (`ok`, `bad_request`, `not_found`, ...), each taking the wire type Clerk
//! sends. A matcher or answer the spec does not document (a 429 with `Retry-After`, a 502 page)
//! goes through `into_inner()`, the plain httpmock `When`/`Then`.
//!
//! ```
//! use clerk_actor_tokens::{Actor, ActorToken, CANNOT_REVOKE_CODE, Clerk};
//! use clerk_actor_tokens_httpmock::{MockServerExt, clerk_errors, types};
//! use httpmock::MockServer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), clerk_actor_tokens::Error> {
//! let server = MockServer::start_async().await;
//! // Use `ActorToken::builder` (feature `test-util`) or deserialize Clerk's JSON.
//! let token: ActorToken = serde_json::from_value(serde_json::json!({
//!     "object": "actor_token", "id": "act_1", "status": "pending", "user_id": "user_1",
//!     "actor": {"sub": "user_admin"}, "url": "https://example.accounts.dev/t?ticket=x",
//!     "created_at": 1, "updated_at": 1
//! })).unwrap();
//! let created = server.create_actor_token(|when, then| {
//!     when.into_inner().json_body_includes(r#"{"user_id": "user_1"}"#);
//!     then.ok(&token.clone().into());
//! });
//! let refused = server.revoke_actor_token(|when, then| {
//!     when.actor_token_id("act_1");
//!     then.bad_request(&clerk_errors(CANNOT_REVOKE_CODE, "Only pending tokens can be revoked."));
//! });
//!
//! let clerk = Clerk::builder().secret_key("sk_test_x").api_url(server.base_url()).build()?;
//! let got = clerk.actor_tokens().create("user_1", Actor::new("user_admin")).send().await?;
//! assert_eq!(got.id(), "act_1");
//! let err = clerk.actor_tokens().revoke("act_1").send().await.unwrap_err();
//! assert!(err.is_not_revocable());
//! created.assert_async().await;
//! refused.assert_async().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

/// The wire types the mocks match and answer with (re-exported from
/// `clerk_actor_tokens::raw::types`). The SDK converts its [`clerk_actor_tokens::ActorToken`]
/// into [`types::ActorToken`] with `.into()`.
pub use clerk_actor_tokens::raw::types;
/// The httpmock version the mocks are built for.
pub use httpmock;

/// The generated code; its items have no doc comments of their own (see the crate docs).
#[allow(missing_docs, clippy::all)]
mod generated {
    #[cfg(feature = "codegen")]
    include!(concat!(
        env!("OUT_DIR"),
        "/clerk_actor_tokens_httpmock_generated.rs"
    ));
    #[cfg(not(feature = "codegen"))]
    include!("../generated/mock.rs");
}

pub use generated::{MockServerExt, operations};

/// A Clerk error body with one error, as Clerk answers a refused request (`message` and
/// `long_message` are both `long_message`; add `meta` or more errors through the public fields).
///
/// ```
/// let body = clerk_actor_tokens_httpmock::clerk_errors("resource_not_found", "No such token.");
/// assert_eq!(body.errors[0].code, "resource_not_found");
/// ```
pub fn clerk_errors(code: &str, long_message: &str) -> types::ClerkErrors {
    types::ClerkErrors {
        clerk_trace_id: None,
        errors: vec![types::ClerkError {
            code: code.to_string(),
            message: long_message.to_string(),
            long_message: long_message.to_string(),
            meta: serde_json::Map::new(),
        }],
        meta: serde_json::Map::new(),
    }
}
