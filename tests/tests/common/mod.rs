//! Fixtures shared by the workspace's integration tests.
#![allow(dead_code)]

pub mod captured;
pub mod scripted;
pub mod tls;

use std::time::Duration;

use clerk_actor_tokens::{Clerk, ClerkBuilder, Error, RetryPolicy};
use serde_json::{Value, json};

pub const KEY: &str = "sk_test_KEYSECRET0123456789";
pub const TOKEN: &str = "TOKENSECRET_eyJhbGciOi";
pub const URL: &str = "https://accounts.example.dev/v1/tickets/accept?ticket=URLSECRET_abc";

/// Every string that must never show up in Debug, Display or logs.
pub const SECRETS: [&str; 4] = [KEY, "KEYSECRET", "TOKENSECRET", "URLSECRET"];

pub fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "leaked {secret:?} in: {text}");
    }
}

pub fn token_json(id: &str, status: &str, with_secrets: bool) -> Value {
    let mut v = json!({
        "object": "actor_token",
        "id": id,
        "status": status,
        "user_id": "user_2abc",
        "actor": {"sub": "user_2admin", "reason": "ticket 4411"},
        "created_at": 1_700_000_000_000_i64,
        "updated_at": 1_700_000_000_500_i64
    });
    if with_secrets {
        v["token"] = json!(TOKEN);
        v["url"] = json!(URL);
    }
    v
}

pub fn clerk_errors(code: &str, trace: Option<&str>) -> Value {
    let mut v = json!({
        "errors": [{"message": "m", "long_message": format!("long {code}"), "code": code}]
    });
    if let Some(t) = trace {
        v["clerk_trace_id"] = json!(t);
    }
    v
}

/// A builder aimed at `base` with fast retries, so tests stay quick.
pub fn builder(base: &str) -> ClerkBuilder {
    Clerk::builder()
        .secret_key(KEY)
        .api_url(base)
        .retry_policy(fast_retries())
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50))
}

pub fn client(base: &str) -> Clerk {
    builder(base).build().expect("valid test configuration")
}

/// Revokes `act_1` once (no retries) against `base` and returns the error it must end with.
pub async fn revoke_once_err(base: &str) -> Error {
    client(base)
        .actor_tokens()
        .revoke("act_1")
        .retry_policy(RetryPolicy::never())
        .send()
        .await
        .expect_err("an error answer")
}
