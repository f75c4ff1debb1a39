//! The exact wire format of both operations and the decoding of every documented answer, against
//! httpmock: raw matchers where the test is about the bytes on the wire, the typed mocks generated
//! from the fragment (`clerk-actor-tokens-httpmock`) where it is about an operation and its answer.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clerk_actor_tokens::raw::types as wire;
use clerk_actor_tokens::{
    Actor, CLERK_API_VERSION, ConfigError, DEFAULT_USER_AGENT, Error, ErrorBody, InputError, Status,
};
use clerk_actor_tokens_httpmock::MockServerExt;
use common::*;
use httpmock::prelude::*;
use serde_json::json;

/// Headers a request may carry; anything else is a stray header.
const ALLOWED: [&str; 7] = [
    "host",
    "authorization",
    "clerk-api-version",
    "user-agent",
    "accept",
    "content-type",
    "content-length",
];

fn only_allowed_headers(req: &httpmock::HttpMockRequest) -> bool {
    req.headers_vec()
        .iter()
        .all(|(k, _)| ALLOWED.contains(&k.to_ascii_lowercase().as_str()))
}

#[tokio::test]
async fn create_sends_the_documented_request_and_decodes_the_token() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/actor_tokens")
                .header("authorization", format!("Bearer {KEY}"))
                .header("clerk-api-version", CLERK_API_VERSION)
                .header("user-agent", DEFAULT_USER_AGENT)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .header_missing("api-version")
                .is_true(only_allowed_headers)
                .json_body(json!({
                    "user_id": "user_2abc",
                    "actor": {"sub": "user_2admin", "reason": "ticket 4411", "level": 2},
                    "expires_in_seconds": 600,
                    "session_max_duration_in_seconds": 900
                }));
            then.status(200)
                .json_body(token_json("act_1", "pending", true));
        })
        .await;

    let clerk = client(&server.base_url());
    let token = clerk
        .actor_tokens()
        .create(
            "user_2abc",
            Actor::new("user_2admin")
                .claim("reason", "ticket 4411")
                .claim("level", 2),
        )
        .expires_in(Duration::from_secs(600))
        .session_max_duration(Duration::from_secs(900))
        .send()
        .await
        .expect("create succeeds");

    mock.assert_calls_async(1).await;
    assert_eq!(token.id(), "act_1");
    assert_eq!(token.status(), &Status::Pending);
    assert_eq!(token.user_id(), "user_2abc");
    assert_eq!(token.actor().sub(), "user_2admin");
    assert_eq!(token.actor().claims()["reason"], "ticket 4411");
    assert_eq!(token.token().map(|t| t.expose()), Some(TOKEN));
    assert_eq!(token.url().map(|u| u.expose()), Some(URL));
    assert_eq!(token.created_at(), 1_700_000_000_000);
    assert_eq!(token.updated_at(), 1_700_000_000_500);
}

#[tokio::test]
async fn create_without_durations_sends_clerks_defaults() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/actor_tokens").json_body(json!({
                "user_id": "user_2abc",
                "actor": {"sub": "user_2admin"},
                "expires_in_seconds": 3600,
                "session_max_duration_in_seconds": 1800
            }));
            then.status(200)
                .json_body(token_json("act_1", "pending", true));
        })
        .await;
    client(&server.base_url())
        .actor_tokens()
        .create("user_2abc", Actor::new("user_2admin"))
        .send()
        .await
        .expect("create succeeds");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn revoke_sends_no_body_with_an_explicit_zero_length() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/actor_tokens/act_123/revoke")
                .header("authorization", format!("Bearer {KEY}"))
                .header("clerk-api-version", CLERK_API_VERSION)
                .header("user-agent", DEFAULT_USER_AGENT)
                .header("content-length", "0")
                .header_missing("content-type")
                .header_missing("api-version")
                .is_true(only_allowed_headers)
                .body("");
            then.status(200)
                .json_body(token_json("act_123", "revoked", false));
        })
        .await;
    let token = client(&server.base_url())
        .actor_tokens()
        .revoke("act_123")
        .send()
        .await
        .expect("revoke succeeds");
    mock.assert_calls_async(1).await;
    assert_eq!(token.status(), &Status::Revoked);
    assert!(token.token().is_none() && token.url().is_none());
}

#[tokio::test]
async fn a_full_url_with_v1_and_a_trailing_slash_reaches_the_same_path() {
    let server = MockServer::start_async().await;
    let mock = server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_9");
        then.ok(&wire_token("act_9", "revoked", false));
    });
    let clerk = client(&format!("{}/v1/", server.base_url()));
    clerk
        .actor_tokens()
        .revoke("act_9")
        .send()
        .await
        .expect("revoked");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn unknown_status_values_and_fields_still_decode() {
    let server = MockServer::start_async().await;
    let mut body = token_json("act_1", "expired", false);
    body["a_field_clerk_adds_later"] = json!({"x": 1});
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200).json_body(body);
        })
        .await;
    let token = client(&server.base_url())
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .expect("decodes");
    assert_eq!(token.status(), &Status::Other("expired".into()));
    assert_eq!(token.status().as_str(), "expired");
}

async fn error_for(status: u16, body: serde_json::Value, trace_header: Option<&str>) -> Error {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            let then = then.status(status).json_body(body);
            if let Some(t) = trace_header {
                then.header("clerk-trace-id", t);
            }
        })
        .await;
    revoke_once_err(&server.base_url()).await
}

#[tokio::test]
async fn documented_error_statuses_decode_with_code_and_trace_id() {
    let e = error_for(
        400,
        clerk_errors("actor_token_already_used", Some("tr_400")),
        None,
    )
    .await;
    assert!(e.is_bad_request(), "{e}");
    assert_eq!(e.code(), Some("actor_token_already_used"));
    assert_eq!(e.trace_id(), Some("tr_400"));
    assert!(e.to_string().contains("HTTP 400"), "{e}");
    assert!(
        e.to_string().contains("long actor_token_already_used"),
        "{e}"
    );

    let e = error_for(
        402,
        clerk_errors("feature_requires_upgrade", None),
        Some("tr_hdr"),
    )
    .await;
    assert!(e.is_plan_required());
    assert_eq!(
        e.trace_id(),
        Some("tr_hdr"),
        "header trace id when the body has none"
    );

    let e = error_for(
        404,
        clerk_errors("resource_not_found", Some("tr_404")),
        Some("tr_hdr"),
    )
    .await;
    assert!(e.is_not_found());
    assert_eq!(e.trace_id(), Some("tr_404"), "the body's trace id wins");
    assert!(!e.is_plan_required() && !e.is_quota_exhausted());

    let mut quota = clerk_errors("impersonation_limit_exceeded", Some("tr_422"));
    quota["errors"][0]["meta"] = json!({"used": 25, "limit": 25});
    let e = error_for(422, quota, None).await;
    assert!(e.is_quota_exhausted());
    let q = e.quota().expect("quota details");
    assert_eq!((q.used, q.limit), (Some(25), Some(25)));

    let e = error_for(422, clerk_errors("form_param_missing", None), None).await;
    assert!(!e.is_quota_exhausted() && e.quota().is_none());
    assert_eq!(e.status().map(|s| s.as_u16()), Some(422));
}

#[tokio::test]
async fn undocumented_statuses_are_typed_too() {
    let e = error_for(401, clerk_errors("authentication_invalid", None), None).await;
    assert!(e.is_unauthorized(), "{e}");
    assert_eq!(e.code(), Some("authentication_invalid"));

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(429)
                .header("retry-after", "7")
                .header("cf-ray", "ray-1")
                .json_body(clerk_errors("too_many_requests", None));
        })
        .await;
    let e = revoke_once_err(&server.base_url()).await;
    assert!(e.is_rate_limited());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(e.trace_id(), Some("ray-1"));

    let e = error_for(500, clerk_errors("internal_clerk_error", None), None).await;
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(e.code(), Some("internal_clerk_error"));
}

#[tokio::test]
async fn an_html_error_page_is_a_typed_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(502)
                .header("content-type", "text/html")
                .body("<html><body>502 Bad Gateway</body></html>");
        })
        .await;
    let e = revoke_once_err(&server.base_url()).await;
    let api = e.api_error().expect("an API error");
    assert_eq!(api.status.as_u16(), 502);
    assert!(api.errors.is_empty());
    assert_eq!(
        api.body,
        ErrorBody::NotClerk {
            content_type: Some("text/html".into())
        }
    );
    assert!(!e.to_string().contains("<html>"), "{e}");
}

#[tokio::test]
async fn a_success_with_a_foreign_body_is_a_typed_error_without_the_body() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .json_body(json!({"token": TOKEN, "url": URL, "unexpected": true}));
        })
        .await;
    let e = client(&server.base_url())
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidResponse {
                status: Some(clerk_actor_tokens::StatusCode::OK),
                ..
            }
        ),
        "{e:?}"
    );
    assert_no_secret(&e.to_string());
    assert_no_secret(&format!("{e:?}"));
}

#[tokio::test]
async fn bad_inputs_are_refused_before_any_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(token_json("act_1", "revoked", false));
        })
        .await;
    let clerk = client(&server.base_url());
    for id in [
        "",
        ".",
        "..",
        "../../users",
        "a\\b",
        "act 1",
        "act\n1",
        "act\u{0}",
    ] {
        let e = clerk.actor_tokens().revoke(id).send().await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidInput(InputError::InvalidActorTokenId { .. })
            ),
            "{id:?}: {e:?}"
        );
    }
    let create = |user: &str, sub: &str| clerk.actor_tokens().create(user, Actor::new(sub));
    assert!(matches!(
        create("", "user_a").send().await.unwrap_err(),
        Error::InvalidInput(InputError::EmptyUserId)
    ));
    assert!(matches!(
        create("user_b", " ").send().await.unwrap_err(),
        Error::InvalidInput(InputError::EmptyActorSub)
    ));
    assert!(matches!(
        create("user_b", "user_a")
            .expires_in(Duration::ZERO)
            .send()
            .await
            .unwrap_err(),
        Error::InvalidInput(InputError::DurationTooShort {
            field: "expires_in_seconds"
        })
    ));
    assert!(matches!(
        create("user_b", "user_a")
            .session_max_duration(Duration::from_millis(999))
            .send()
            .await
            .unwrap_err(),
        Error::InvalidInput(InputError::DurationTooShort { .. })
    ));
    assert_eq!(
        any.calls_async().await,
        0,
        "no request may leave the machine"
    );
}

#[tokio::test]
async fn the_token_provider_is_called_for_every_request() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer sk_test_rotated_1");
            then.status(200)
                .json_body(token_json("act_1", "revoked", false));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.header("authorization", "Bearer sk_live_rotated_2");
            then.status(200)
                .json_body(token_json("act_1", "revoked", false));
        })
        .await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let clerk = Clerk::builder()
        .api_url(server.base_url())
        .token_provider(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::convert::Infallible>(if n == 0 {
                "sk_test_rotated_1".to_string()
            } else {
                "sk_live_rotated_2".to_string()
            })
        })
        .build()
        .unwrap();
    for _ in 0..3 {
        clerk.actor_tokens().revoke("act_1").send().await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    first.assert_calls_async(1).await;
    second.assert_calls_async(2).await;
}

use clerk_actor_tokens::Clerk;

#[tokio::test]
async fn a_failing_or_malformed_token_provider_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(token_json("act_1", "revoked", false));
        })
        .await;
    let failing = Clerk::builder()
        .api_url(server.base_url())
        .token_provider(|| Err::<String, _>("vault is sealed"))
        .build()
        .unwrap();
    let e = failing
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(ConfigError::TokenProvider { message }) if message == "vault is sealed"),
        "{e:?}"
    );
    let malformed = Clerk::builder()
        .api_url(server.base_url())
        .token_provider(|| Ok::<_, String>("pk_test_publishable_SECRET".to_string()))
        .build()
        .unwrap();
    let e = malformed
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(ConfigError::InvalidSecretKey { .. })),
        "{e:?}"
    );
    assert!(!e.to_string().contains("pk_test"), "{e}");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn an_async_token_provider_is_awaited_for_every_request() {
    let server = MockServer::start_async().await;
    let rotated = |n: usize| format!("sk_test_fetched_{n}");
    let mocks: Vec<_> = (0..3)
        .map(|n| {
            let key = rotated(n);
            server.revoke_actor_token(move |when, then| {
                when.actor_token_id("act_1")
                    .into_inner()
                    .header("authorization", format!("Bearer {key}"));
                then.ok(&wire_token("act_1", "revoked", false));
            })
        })
        .collect();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let clerk = Clerk::builder()
        .api_url(server.base_url())
        .async_token_provider(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                // A fetch that really suspends, as a secret manager's would.
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok::<_, std::convert::Infallible>(rotated(n))
            }
        })
        .build()
        .unwrap();
    for _ in 0..3 {
        clerk.actor_tokens().revoke("act_1").send().await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    for mock in mocks {
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn a_failing_or_stuck_async_token_provider_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(token_json("act_1", "revoked", false));
        })
        .await;
    let failing = Clerk::builder()
        .api_url(server.base_url())
        .async_token_provider(|| async { Err::<String, _>("secret manager unreachable") })
        .build()
        .unwrap();
    let e = failing
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(ConfigError::TokenProvider { message }) if message == "secret manager unreachable"),
        "{e:?}"
    );
    // A provider that never answers is cut by the request's time limit like any attempt.
    let stuck = Clerk::builder()
        .api_url(server.base_url())
        .async_token_provider(std::future::pending::<Result<String, String>>)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(clerk_actor_tokens::RetryPolicy::never())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let e = stuck
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(any.calls_async().await, 0);
}

#[test]
fn malformed_static_keys_are_refused_at_build_time() {
    for bad in [
        "",
        "sk_test_",
        "pk_test_abc",
        "sk_prod_abc",
        "sk_test_has space",
        "Bearer sk_test_x",
    ] {
        let e = Clerk::new(bad).unwrap_err();
        assert!(
            matches!(e, Error::Config(ConfigError::InvalidSecretKey { .. })),
            "{bad:?}: {e:?}"
        );
        if bad.len() > 8 {
            assert!(!e.to_string().contains(bad), "the key leaked: {e}");
        }
    }
    assert!(Clerk::new("sk_live_abc").is_ok());
}

#[tokio::test]
async fn debug_output_never_shows_the_key_a_token_or_a_url() {
    let server = MockServer::start_async().await;
    server.create_actor_token(|_, then| {
        then.ok(&wire_token("act_1", "pending", true));
    });
    server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_1");
        then.bad_request(&clerk_actor_tokens_httpmock::clerk_errors(
            clerk_actor_tokens::CANNOT_REVOKE_CODE,
            "Only pending tokens can be revoked.",
        ));
    });
    let builder = builder(&server.base_url());
    assert_no_secret(&format!("{builder:?}"));
    let clerk = builder.build().unwrap();
    assert_no_secret(&format!("{clerk:?}"));
    let token = clerk
        .actor_tokens()
        .create("user_2abc", Actor::new("user_2admin"))
        .send()
        .await
        .unwrap();
    assert_no_secret(&format!("{token:?}"));
    assert_no_secret(&format!(
        "{:?} {}",
        token.token().unwrap(),
        token.url().unwrap()
    ));
    let e = clerk
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert_no_secret(&format!("{e:?} {e}"));
    // The raw generated types redact too.
    assert_no_secret(&format!("{:?}", wire_token("act_1", "pending", true)));
    // Serializing on purpose keeps the secrets: that is how a caller stores them.
    let json = serde_json::to_string(&token).unwrap();
    assert!(json.contains(TOKEN) && json.contains(URL));
}

/// The wire shape of [`token_json`], for the typed mocks.
fn wire_token(id: &str, status: &str, with_secrets: bool) -> wire::ActorToken {
    serde_json::from_value(token_json(id, status, with_secrets)).expect("a valid actor token")
}
