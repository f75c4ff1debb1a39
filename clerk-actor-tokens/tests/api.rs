//! The public API's promises that hold without a server: thread-safety of the client and its
//! futures (checked at compile time), the values users' unit tests construct, and inputs refused
//! before anything is sent.

use std::time::Duration;

use clerk_actor_tokens::{Actor, ActorToken, Clerk, Error, InputError, Status, raw};

fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
fn assert_send<T: Send>(_: &T) {}

/// Compiles only if the client can be shared across threads and tasks and every future the API
/// returns can be spawned on a multi-threaded runtime.
#[test]
fn the_client_is_send_sync_clone_and_every_future_is_send() {
    assert_send_sync_clone::<Clerk>();
    assert_send_sync_clone::<clerk_actor_tokens::ClerkBuilder>();
    assert_send_sync_clone::<ActorToken>();
    assert_send_sync_clone::<clerk_actor_tokens::blocking::Clerk>();
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<Error>();

    let clerk = Clerk::new("sk_test_x").unwrap();
    let tokens = clerk.actor_tokens();
    // Futures are inert until polled: nothing is sent here.
    assert_send(&tokens.create("user_1", Actor::new("user_2")).send());
    assert_send(&tokens.revoke("act_1").send());
}

#[tokio::test]
async fn a_sub_claim_is_refused_before_sending() {
    // Port 9 on loopback: nothing is listening, and the call must not get that far anyway.
    let clerk = Clerk::builder()
        .secret_key("sk_test_x")
        .api_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let actor = Actor::new("user_admin").claim("sub", "user_other");
    assert_eq!(actor.sub(), "user_admin");
    let err = clerk
        .actor_tokens()
        .create("user_1", actor)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput(InputError::ReservedClaim { claim: "sub" })
        ),
        "{err:?}"
    );
    assert_eq!(err.attempts(), None, "nothing was sent");
}

#[test]
fn a_built_token_converts_to_the_wire_shape_and_back() {
    let token = ActorToken::builder(
        "act_1",
        "user_1",
        Actor::new("user_admin").claim("reason", "t-1"),
    )
    .status(Status::Accepted)
    .token("tok")
    .url("https://example.accounts.dev/t?ticket=tok")
    .created_at(1_000)
    .updated_at(2_000)
    .expires_at(601_000)
    .trace_id("trace-1")
    .build();
    assert_eq!(token.created_at(), 1_000);
    assert_eq!(token.updated_at(), 2_000);
    assert_eq!(token.expires_at(), Some(601_000));
    // Secrets stay redacted in Debug, also for a built token.
    let debug = format!("{token:?}");
    assert!(!debug.contains("tok\""), "{debug}");
    assert!(!debug.contains("example.accounts.dev"), "{debug}");

    let wire = raw::types::ActorToken::from(token.clone());
    assert_eq!(wire.status, "accepted");
    assert_eq!(wire.actor["sub"], "user_admin");
    assert_eq!(wire.actor["reason"], "t-1");
    assert_eq!(wire.token.as_ref().unwrap().expose(), "tok");

    // Back through the SDK's own conversion: only what is not in Clerk's body is lost.
    let back = ActorToken::from(wire);
    assert_eq!(back.id(), "act_1");
    assert_eq!(back.status(), &Status::Accepted);
    assert_eq!(back.actor(), token.actor());
    assert_eq!(back.url(), token.url());
    assert_eq!(back.trace_id(), None);
    assert_eq!(back.expires_at(), None);
}

#[test]
fn a_built_token_serializes_as_clerk_does_without_sdk_facts() {
    let token = ActorToken::builder("act_1", "user_1", Actor::new("user_admin"))
        .trace_id("trace-1")
        .expires_at(5)
        .build();
    let json = serde_json::to_value(&token).unwrap();
    assert_eq!(json["id"], "act_1");
    assert_eq!(json["status"], "pending");
    assert!(json.get("trace_id").is_none(), "{json}");
    assert!(json.get("expires_at").is_none(), "{json}");
    assert!(json.get("token").is_none(), "{json}");
}

#[test]
fn constructed_errors_carry_what_the_helpers_read() {
    let e = Error::rate_limited(Some(Duration::from_secs(2)));
    assert!(e.is_rate_limited());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(e.code(), Some("too_many_requests"));
    let quota = Error::quota_exhausted(10, 10).quota().unwrap();
    assert_eq!((quota.used, quota.limit), (Some(10), Some(10)));
    assert!(Error::not_revocable().is_not_revocable());
    assert!(!Error::not_found("act_1").is_user_not_found());
    assert!(Error::ambiguous_create().is_ambiguous());
}

/// The re-exported crates are the ones the API uses: these compile only if the types agree.
#[test]
fn foreign_types_are_nameable_through_the_re_exports() {
    let http: clerk_actor_tokens::reqwest::Client =
        clerk_actor_tokens::http_client_builder().build().unwrap();
    let clerk = Clerk::builder()
        .secret_key("sk_test_x")
        .http_client(http)
        .build()
        .unwrap();
    assert_eq!(clerk.base_url(), "https://api.clerk.com/v1");

    let status: clerk_actor_tokens::http::StatusCode = clerk_actor_tokens::StatusCode::NOT_FOUND;
    assert_eq!(Error::not_found("act_1").status(), Some(status));

    let reason: clerk_actor_tokens::serde_json::Value = "ticket 1".into();
    let actor = Actor::new("user_admin").claim("reason", reason.clone());
    assert_eq!(actor.claims()["reason"], reason);
}
