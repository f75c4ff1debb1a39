//! The SDK against the fake, end to end over HTTP: every operation, every error path and every
//! scenario the fake offers, seen through the SDK's typed errors.

use std::collections::HashSet;
use std::time::Duration;

use clerk_actor_tokens::{Actor, Clerk, RetryPolicy, Status};
use clerk_actor_tokens_fake::{
    ALREADY_USED_CODE, CANNOT_BE_USED_CODE, CANNOT_REVOKE_CODE, FakeClerk, Fault, REVOKED_CODE,
    RedeemError, StatusCode, Target,
};

fn no_retries(fake: &FakeClerk) -> Clerk {
    fake.client_builder()
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap()
}

/// Opens a url with the SDK's own HTTP client (reqwest with the SDK's TLS setup), asking for
/// the JSON answer rather than the browser's redirect.
async fn open(url: &str) -> (u16, serde_json::Value) {
    use clerk_actor_tokens::raw::ClientInfo;
    let clerk = Clerk::new(clerk_actor_tokens_fake::TEST_SECRET_KEY).unwrap();
    let response = clerk
        .raw_client()
        .client()
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    (status, body)
}

#[tokio::test]
async fn create_redeem_then_revoke_is_refused() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    let token = clerk
        .actor_tokens()
        .create(
            "user_1",
            Actor::new("user_admin").claim("reason", "ticket 4411"),
        )
        .expires_in(Duration::from_secs(600))
        .session_max_duration(Duration::from_secs(900))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), &Status::Pending);
    assert!(token.id().starts_with("act_"));
    assert_eq!(token.user_id(), "user_1");
    assert_eq!(token.actor().sub(), "user_admin");
    assert_eq!(token.actor().claims()["reason"], "ticket 4411");
    assert!(token.token().is_some());
    let url = token.url().unwrap().expose().to_string();
    assert!(url.starts_with(&format!("{}/", fake.base_url())), "{url}");

    let stored = fake.token(token.id()).unwrap();
    assert_eq!(stored.session_max_duration, Duration::from_secs(900));
    assert_eq!(stored.expires_at - stored.created_at, 600_000);

    let (status, body) = open(&url).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["actor_token_id"], token.id());
    assert_eq!(body["user_id"], "user_1");
    assert_eq!(fake.token(token.id()).unwrap().status, Status::Accepted);

    let (status, body) = open(&url).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], ALREADY_USED_CODE); // catalogue ActorTokenAlreadyUsed

    let err = clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_bad_request(), "{err}");
    assert_eq!(err.code(), Some(CANNOT_REVOKE_CODE));
    assert!(err.to_string().contains("accepted"), "{err}");
    assert!(err.trace_id().is_some());
    fake.stop().await;
}

#[tokio::test]
async fn a_pending_token_is_revoked_once_and_its_url_stops_working() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .await
        .unwrap();
    let revoked = clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), &Status::Revoked);
    assert_eq!(revoked.id(), token.id());
    assert!(revoked.token().is_none() && revoked.url().is_none());
    assert!(revoked.updated_at() >= token.updated_at());

    let again = clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap_err();
    assert!(again.is_bad_request());
    assert!(again.to_string().contains("revoked"), "{again}");

    let (status, body) = open(token.url().unwrap().expose()).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], REVOKED_CODE); // catalogue ActorTokenRevoked
    assert_eq!(
        fake.redeem(token.url().unwrap().expose()),
        Err(RedeemError::Revoked)
    );
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    for id in ["act_doesnotexist", "act_000000000000000000000000"] {
        let err = clerk.actor_tokens().revoke(id).send().await.unwrap_err();
        assert!(err.is_not_found(), "{id}: {err}");
        assert_eq!(err.code(), Some("resource_not_found"));
    }
    // What is not an actor token id at all is refused by the SDK before sending.
    let err = clerk
        .actor_tokens()
        .revoke("user_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, clerk_actor_tokens::Error::InvalidInput(_)),
        "{err}"
    );
    // An id of another fake instance is unknown here too.
    let other = FakeClerk::start().await.unwrap();
    let foreign = other
        .client()
        .unwrap()
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap();
    assert!(
        clerk
            .actor_tokens()
            .revoke(foreign.id())
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn expired_tokens_cannot_be_redeemed() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .expires_in(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    fake.advance_clock(Duration::from_secs(61));
    let (status, body) = open(token.url().unwrap().expose()).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], CANNOT_BE_USED_CODE); // catalogue ActorTokenCannotBeUsed
    assert_eq!(
        fake.redeem(token.token().unwrap().expose()),
        Err(RedeemError::Expired)
    );
    assert_eq!(fake.token(token.id()).unwrap().status, Status::Pending);
}

#[tokio::test]
async fn the_monthly_quota_is_enforced_with_used_and_limit() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    fake.set_monthly_quota(Some(2));
    for _ in 0..2 {
        clerk
            .actor_tokens()
            .create("user_u", Actor::new("a"))
            .send()
            .await
            .unwrap();
    }
    let err = clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_quota_exhausted(), "{err}");
    assert_eq!(err.status(), Some(http_status(422)));
    let quota = err.quota().unwrap();
    assert_eq!((quota.used, quota.limit), (Some(2), Some(2)));
    assert_eq!(fake.token_count(), 2);

    fake.set_monthly_quota(None);
    clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.usage().used, 3);
}

fn http_status(code: u16) -> http::StatusCode {
    http::StatusCode::from_u16(code).unwrap()
}

#[tokio::test]
async fn a_plan_without_impersonation_gets_402() {
    let fake = FakeClerk::start().await.unwrap();
    fake.set_impersonation_enabled(false);
    let err = fake
        .client()
        .unwrap()
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_plan_required(), "{err}");
    assert!(!err.is_ambiguous());
    assert_eq!(fake.token_count(), 0);
}

#[tokio::test]
async fn an_injected_429_carries_retry_after_and_the_sdk_honours_it() {
    let fake = FakeClerk::start().await.unwrap();
    fake.inject(
        Fault::status(StatusCode::TOO_MANY_REQUESTS)
            .retry_after(Duration::from_secs(7))
            .on(Target::Create),
    );
    let err = no_retries(&fake)
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(err.code(), Some("too_many_requests"));
    assert_eq!(fake.token_count(), 0);

    // With retries, a 429 asking for no wait is retried and the second attempt succeeds.
    fake.inject(
        Fault::status(StatusCode::TOO_MANY_REQUESTS)
            .retry_after(Duration::ZERO)
            .on(Target::Create),
    );
    let token = fake
        .client()
        .unwrap()
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.pending_faults(), 0);
    assert!(fake.token(token.id()).is_some());
}

#[tokio::test]
async fn a_502_on_create_is_an_ambiguous_outcome() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    // The token is minted and then the answer is lost: exactly why the SDK must not retry.
    fake.inject(
        Fault::status(StatusCode::BAD_GATEWAY)
            .on(Target::Create)
            .after_processing(),
    );
    let err = clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert!(matches!(
        err,
        clerk_actor_tokens::Error::AmbiguousOutcome(_)
    ));
    assert_eq!(err.status(), Some(http_status(502)));
    assert_eq!(err.attempts(), Some(1));
    assert!(err.trace_id().is_some());
    assert_eq!(
        fake.token_count(),
        1,
        "the fake minted the token the client never saw"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_ambiguous_on_create_and_retried_on_revoke() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake
        .client_builder()
        .retry_policy(RetryPolicy::default().with_initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    fake.inject(Fault::drop_connection().on(Target::Create));
    let err = clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(fake.token_count(), 0);

    let token = clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap();
    fake.inject(
        Fault::drop_connection()
            .on(Target::Revoke)
            .after_processing(),
    );
    // The first revoke is carried out but its answer lost; the retry then finds it revoked.
    let err = clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_bad_request(), "{err}");
    assert_eq!(err.attempts(), Some(2));
    assert_eq!(fake.token(token.id()).unwrap().status, Status::Revoked);
}

#[tokio::test]
async fn a_delay_longer_than_the_request_timeout_times_out() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake
        .client_builder()
        .request_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    fake.inject(Fault::delay(Duration::from_millis(300)).on(Target::Create));
    let err = clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout() && err.is_ambiguous(), "{err}");

    // A shorter delay is only a delay.
    fake.inject(Fault::delay(Duration::from_millis(5)).on(Target::Create));
    clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_get_distinct_ids() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let clerk = clerk.clone();
        tasks.spawn(async move {
            clerk
                .actor_tokens()
                .create(format!("user_{i}"), Actor::new("a"))
                .send()
                .await
                .map(|t| t.id().to_string())
        });
    }
    let mut ids = HashSet::new();
    while let Some(id) = tasks.join_next().await {
        assert!(ids.insert(id.unwrap().unwrap()));
    }
    assert_eq!(ids.len(), 200);
    assert_eq!(fake.token_count(), 200);
}

#[tokio::test]
async fn a_full_store_evicts_and_evicted_ids_are_not_found() {
    let fake = FakeClerk::builder().max_tokens(3).start().await.unwrap();
    let clerk = fake.client().unwrap();
    let mut ids = Vec::new();
    for _ in 0..5 {
        let t = clerk
            .actor_tokens()
            .create("user_u", Actor::new("a"))
            .send()
            .await
            .unwrap();
        ids.push(t.id().to_string());
    }
    assert_eq!((fake.token_count(), fake.evicted_count()), (3, 2));
    assert!(
        clerk
            .actor_tokens()
            .revoke(&ids[0])
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
    clerk.actor_tokens().revoke(&ids[4]).send().await.unwrap();
}

#[tokio::test]
async fn reset_forgets_everything_but_never_reissues_an_id() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    let before = clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap();
    fake.set_monthly_quota(Some(1));
    fake.inject(Fault::status(StatusCode::INTERNAL_SERVER_ERROR));
    fake.reset();
    assert_eq!((fake.token_count(), fake.pending_faults()), (0, 0));
    let after = clerk
        .actor_tokens()
        .create("user_u", Actor::new("a"))
        .send()
        .await
        .unwrap();
    assert_ne!(before.id(), after.id());
    assert!(
        clerk
            .actor_tokens()
            .revoke(before.id())
            .send()
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn the_blocking_fake_serves_synchronous_tests() {
    let fake = FakeClerk::start_blocking().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clerk = fake.client().unwrap();
    let token = runtime
        .block_on(
            clerk
                .actor_tokens()
                .create("user_u", Actor::new("a"))
                .send(),
        )
        .unwrap();
    assert_eq!(
        fake.redeem(token.url().unwrap().expose()).unwrap().status,
        Status::Accepted
    );
    let addr = fake.local_addr();
    fake.stop_blocking();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "stopped fakes refuse connections"
    );
}

#[tokio::test]
async fn stop_closes_the_listener() {
    let fake = FakeClerk::start().await.unwrap();
    let addr = fake.local_addr();
    fake.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
