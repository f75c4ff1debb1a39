//! The generated mocks against the real SDK: they match what the SDK sends (method, `/v1` path,
//! body, path parameter) and answer in the shape the SDK reads.

use std::num::NonZeroU64;

use clerk_actor_tokens::{Actor, ActorToken, Clerk, Status};
use clerk_actor_tokens_httpmock::{MockServerExt, clerk_errors, types};
use httpmock::MockServer;

fn client(server: &MockServer) -> Clerk {
    Clerk::builder()
        .secret_key("sk_test_mock")
        .api_url(server.base_url())
        .build()
        .unwrap()
}

fn wire_token(id: &str, status: &str) -> types::ActorToken {
    let token: ActorToken = serde_json::from_value(serde_json::json!({
        "object": "actor_token", "id": id, "status": status, "user_id": "user_1",
        "actor": {"sub": "user_admin", "reason": "ticket 1"},
        "token": "tok", "url": "https://example.accounts.dev/t?ticket=tok",
        "created_at": 1_700_000_000_000_i64, "updated_at": 1_700_000_000_000_i64
    }))
    .unwrap();
    token.into()
}

#[tokio::test]
async fn the_body_matcher_takes_the_wire_body_the_sdk_sends() {
    let server = MockServer::start_async().await;
    let mut actor = serde_json::Map::new();
    actor.insert("reason".into(), "ticket 1".into());
    let expected = types::CreateActorTokenBody {
        actor: types::CreateActorTokenBodyActor {
            sub: "user_admin".into(),
            extra: actor,
        },
        expires_in_seconds: NonZeroU64::new(600).unwrap(),
        session_max_duration_in_seconds: NonZeroU64::new(1800).unwrap(),
        user_id: "user_1".into(),
    };
    let mock = server.create_actor_token(|when, then| {
        when.body(&expected);
        then.ok(&wire_token("act_1", "pending"));
    });
    let clerk = client(&server);
    let token = clerk
        .actor_tokens()
        .create(
            "user_1",
            Actor::new("user_admin").claim("reason", "ticket 1"),
        )
        .expires_in(std::time::Duration::from_secs(600))
        .send()
        .await
        .unwrap();
    assert_eq!(token.id(), "act_1");
    assert_eq!(token.actor().claims()["reason"], "ticket 1");
    assert_eq!(
        token.url().unwrap().expose(),
        "https://example.accounts.dev/t?ticket=tok"
    );
    mock.assert_async().await;

    // A different body does not match: httpmock answers 404 without Clerk's body.
    let err = clerk
        .actor_tokens()
        .create(
            "user_2",
            Actor::new("user_admin").claim("reason", "ticket 1"),
        )
        .expires_in(std::time::Duration::from_secs(600))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.code(), None);
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn the_path_parameter_matcher_selects_one_token() {
    let server = MockServer::start_async().await;
    let revoked = server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_1");
        then.ok(&wire_token("act_1", "revoked"));
    });
    let missing = server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_404");
        then.not_found(&clerk_errors(
            "resource_not_found",
            "No actor token act_404.",
        ));
    });
    let clerk = client(&server);

    let token = clerk.actor_tokens().revoke("act_1").send().await.unwrap();
    assert_eq!(token.status(), &Status::Revoked);
    let err = clerk
        .actor_tokens()
        .revoke("act_404")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.code(), Some("resource_not_found"));

    revoked.assert_async().await;
    missing.assert_async().await;
}

#[tokio::test]
async fn into_inner_reaches_answers_the_spec_does_not_document() {
    let server = MockServer::start_async().await;
    let limited = server.create_actor_token(|when, then| {
        when.into_inner()
            .header("authorization", "Bearer sk_test_mock");
        then.into_inner()
            .status(429)
            .header("retry-after", "7")
            .header("content-type", "application/json")
            .json_body_obj(&clerk_errors("too_many_requests", "Slow down."));
    });
    let err = client(&server)
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .retry_policy(clerk_actor_tokens::RetryPolicy::never())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(7)));
    limited.assert_async().await;
}

/// A path parameter is matched as a literal, in the form the generated client sends it
/// (percent-encoded by the same function): regex characters neither panic nor match other ids.
#[tokio::test]
async fn a_path_parameter_matches_itself_as_sent_and_nothing_else() {
    let server = MockServer::start_async().await;
    let ids = ["act(1", "act.1", "act 1/x?y"];
    let mocks: Vec<_> = ids
        .iter()
        .map(|id| {
            server.revoke_actor_token(|when, then| {
                when.actor_token_id(id);
                then.ok(&wire_token(id, "revoked"));
            })
        })
        .collect();
    let http = clerk_actor_tokens::reqwest::Client::new();
    let revoke = |path_id: String| {
        let url = server.url(format!("/v1/actor_tokens/{path_id}/revoke"));
        let http = http.clone();
        async move { http.post(url).send().await.unwrap().status().as_u16() }
    };
    for (id, mock) in ids.iter().zip(&mocks) {
        assert_eq!(
            revoke(progenitor_client::encode_path(id)).await,
            200,
            "{id}"
        );
        assert_eq!(mock.calls_async().await, 1, "{id}");
    }
    // `.` is not "any character", and an id that only decodes to one is not it.
    assert_eq!(revoke("actX1".into()).await, 404);
    assert_eq!(revoke("act%2E1".into()).await, 404);
    for mock in &mocks {
        assert_eq!(mock.calls_async().await, 1);
    }
}
