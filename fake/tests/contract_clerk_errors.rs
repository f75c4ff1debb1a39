//! The fake answers as Clerk does: each test names, beside its assertions, the public source of
//! the status, code and texts it checks (the full table is in the fake's `errors` module docs).
//!
//! Sources: "catalogue" is clerk/clerk-docs `data/api_errors.json` and `docs/errors/*.mdx`;
//! "reference" is Clerk's Backend API reference for actor tokens; "spec" is Clerk's OpenAPI spec;
//! "server" is Clerk's Go server code as published in alexisintech/scalar-script; "limits" is
//! clerk/clerk-docs `docs/guides/how-clerk-works/system-limits.mdx`.

mod common;

use std::time::Duration;

use clerk_actor_tokens::{Actor, Clerk, RetryPolicy, Status};
use clerk_actor_tokens_fake::{
    CANNOT_REVOKE_CODE, FakeClerk, Fault, QUOTA_EXCEEDED_CODE, RESOURCE_NOT_FOUND_CODE, RateLimit,
    StatusCode, TEST_SECRET_KEY, TOO_MANY_REQUESTS_CODE, Target, UNSUPPORTED_PLAN_FEATURES_CODE,
};
use common::http;
use serde_json::{Value, json};

fn no_retries(fake: &FakeClerk) -> Clerk {
    fake.client_builder()
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap()
}

async fn create_raw(fake: &FakeClerk, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = http()
        .post(format!("{}/actor_tokens", fake.base_url()))
        .bearer_auth(TEST_SECRET_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// The first error of a Clerk error body: (code, message, long_message, meta).
fn first(body: &Value) -> (&str, &str, &str, &Value) {
    let e = &body["errors"][0];
    (
        e["code"].as_str().unwrap(),
        e["message"].as_str().unwrap(),
        e["long_message"].as_str().unwrap(),
        &e["meta"],
    )
}

#[tokio::test]
async fn revoking_a_token_that_is_not_pending() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .await
        .unwrap();
    fake.redeem(token.url().unwrap().expose()).unwrap();
    let response = http()
        .post(format!(
            "{}/actor_tokens/{}/revoke",
            fake.base_url(),
            token.id()
        ))
        .bearer_auth(TEST_SECRET_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400); // catalogue ActorTokenCannotBeRevoked: 400
    let body: Value = response.json().await.unwrap();
    let (code, message, long, _) = first(&body);
    assert_eq!(code, "actor_token_cannot_be_revoked_code"); // catalogue, reference
    assert_eq!(message, "cannot revoke"); // catalogue
    assert_eq!(
        long,
        "Actor token cannot be revoked because its status is accepted. Only pending tokens can be revoked."
    ); // catalogue (status filled in)
    assert!(body["clerk_trace_id"].is_string()); // server apierror.Response

    let err = clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_not_revocable() && err.has_code(CANNOT_REVOKE_CODE),
        "{err}"
    );
    assert!(!err.is_not_found());
}

#[tokio::test]
async fn unknown_users_get_404_and_users_can_be_added_and_removed() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = no_retries(&fake);
    // Default rule: every user id exists until removed (a deleted user).
    fake.remove_user("bob@example.com");
    let (status, _, body) = create_raw(
        &fake,
        json!({"user_id": "bob@example.com", "actor": {"sub": "user_a"}}),
    )
    .await;
    assert_eq!(status, 404); // reference: 404 for a user id that matches no user
    let (code, message, long, _) = first(&body);
    assert_eq!(code, RESOURCE_NOT_FOUND_CODE); // reference
    assert_eq!(message, "not found"); // reference
    assert_eq!(long, "No user was found with id bob@example.com."); // reference ("No user was found with id ...")

    fake.remove_user("user_gone"); // a deleted user
    let err = clerk
        .actor_tokens()
        .create("user_gone", Actor::new("user_a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_user_not_found() && err.is_not_found(), "{err}");
    assert_eq!(fake.token_count(), 0, "nothing was created");

    fake.add_user("legacy-42");
    assert!(fake.user_exists("legacy-42"));
    clerk
        .actor_tokens()
        .create("legacy-42", Actor::new("user_a"))
        .send()
        .await
        .unwrap();

    // Strict mode over HTTP: only added users exist.
    let control = |path: &str| format!("{}/__fake{path}", fake.base_url().trim_end_matches("/v1"));
    let set = http()
        .put(control("/users"))
        .body(r#"{"strict": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(set.json::<Value>().await.unwrap()["strict"], true);
    let err = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_user_not_found(), "{err}");
    let added = http().put(control("/users/user_1")).send().await.unwrap();
    assert_eq!(added.json::<Value>().await.unwrap()["exists"], true);
    clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .send()
        .await
        .unwrap();
    let removed = http()
        .delete(control("/users/user_1"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.json::<Value>().await.unwrap()["exists"], false);
    let listed: Value = http()
        .get(control("/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({"strict": true, "added": ["legacy-42"]}));
    fake.reset();
    assert!(fake.user_exists("user_1"), "reset returns to the open rule");
}

#[tokio::test]
async fn strict_users_from_the_builder() {
    let fake = FakeClerk::builder()
        .strict_users(true)
        .start()
        .await
        .unwrap();
    assert!(!fake.user_exists("user_1"));
    fake.add_user("user_1");
    let clerk = fake.client().unwrap();
    clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_plan_without_impersonation() {
    let fake = FakeClerk::start().await.unwrap();
    fake.set_impersonation_enabled(false);
    let (status, _, body) = create_raw(
        &fake,
        json!({"user_id": "user_1", "actor": {"sub": "user_a"}}),
    )
    .await;
    assert_eq!(status, 402); // spec: CreateActorToken answers 402
    let (code, message, long, meta) = first(&body);
    assert_eq!(code, UNSUPPORTED_PLAN_FEATURES_CODE); // catalogue's 402 plan code (body of this 402 not public)
    assert_eq!(message, "Unsupported plan features"); // catalogue UnsupportedSubscriptionPlanFeatures
    assert_eq!(
        long,
        "Some features are not supported in your current plan. Upgrade your subscription to unlock them."
    ); // catalogue
    assert_eq!(meta, &json!({"unsupported_features": ["impersonation"]})); // server meta key; the value is our choice
    let err = no_retries(&fake)
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_plan_required(), "{err}");
}

#[tokio::test]
async fn the_monthly_quota() {
    let fake = FakeClerk::start().await.unwrap();
    fake.set_monthly_quota(Some(1));
    fake.set_quota_used(1);
    let (status, _, body) = create_raw(
        &fake,
        json!({"user_id": "user_1", "actor": {"sub": "user_a"}}),
    )
    .await;
    assert_eq!(status, 422); // catalogue ImpersonationLimitExceeded: 422
    let (code, message, long, meta) = first(&body);
    assert_eq!(code, QUOTA_EXCEEDED_CODE); // catalogue
    assert_eq!(message, "Impersonation limit exceeded"); // catalogue
    assert_eq!(
        long,
        "Your application has reached the impersonation limit for your plan (1/1). The limit will reset at the beginning of the next billing period."
    ); // catalogue (numbers filled in)
    assert_eq!(meta, &json!({"used": 1, "limit": 1})); // catalogue meta Limit/Used; clerk/cli reads meta.used, meta.limit
}

#[tokio::test]
async fn validation_errors_use_clerks_texts() {
    let fake = FakeClerk::start().await.unwrap();
    let (status, _, body) = create_raw(&fake, json!({"actor": {"sub": "user_a"}})).await;
    assert_eq!(status, 422); // reference: "User id is missing from the request payload"
    let (code, message, long, meta) = first(&body);
    assert_eq!((code, message), ("form_param_missing", "is missing")); // reference
    assert_eq!(long, "user_id must be included."); // reference
    assert_eq!(meta, &json!({"param_name": "user_id"})); // reference

    let (_, _, body) = create_raw(
        &fake,
        json!({"user_id": "user_1", "actor": {"reason": "x"}}),
    )
    .await;
    let (code, _, long, meta) = first(&body);
    assert_eq!(code, "form_param_missing"); // reference: "Actor id is missing from the payload"
    assert_eq!(long, "actor.sub must be included."); // reference
    assert_eq!(meta, &json!({"param_name": "actor.sub"})); // reference

    let (status, _, body) = create_raw(
        &fake,
        json!({"user_id": "user_1", "actor": {"sub": "a"}, "expires_in_seconds": 0}),
    )
    .await;
    assert_eq!(status, 422); // reference: "Non-positive value for expiration duration"
    let (code, message, long, meta) = first(&body);
    assert_eq!((code, message), ("form_param_value_invalid", "is invalid")); // reference
    assert_eq!(long, "expires_in_seconds is invalid"); // reference
    assert_eq!(meta, &json!({"param_name": "expires_in_seconds"})); // reference
}

#[tokio::test]
async fn the_sign_in_url_redirects_to_the_sign_in_page_with_the_ticket() {
    let fake = FakeClerk::builder()
        .sign_in_url("https://app.example.test/sign-in?from=support")
        .start()
        .await
        .unwrap();
    let token = fake
        .client()
        .unwrap()
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .await
        .unwrap();
    let ticket = token.token().unwrap().expose().to_string();
    let url = token.url().unwrap().expose().to_string();
    // server actor_tokens.Service.Create: <frontend API>/v1/tickets/accept?ticket=<ticket>
    assert_eq!(
        url,
        format!("{}/tickets/accept?ticket={ticket}", fake.base_url())
    );

    let response = http()
        .get(format!(
            "{url}&redirect_url=https%3A%2F%2Fapp.example.test%2Fhome"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303); // server tickets.HTTP.Accept: http.StatusSeeOther
    let location = response.headers()["location"].to_str().unwrap();
    // server tickets.handleActorToken: the sign-in url with __clerk_ticket (and __clerk_redirect_url)
    assert_eq!(
        location,
        format!(
            "https://app.example.test/sign-in?from=support&__clerk_ticket={ticket}&__clerk_redirect_url=https%3A%2F%2Fapp.example.test%2Fhome"
        )
    );
    assert_eq!(fake.token(token.id()).unwrap().status, Status::Accepted);
    // A second opening is refused as Clerk's sign-in refuses a used actor token (catalogue).
    let again = http().get(&url).send().await.unwrap();
    assert_eq!(again.status(), 400);
    let body: Value = again.json().await.unwrap();
    assert_eq!(first(&body).0, "actor_token_already_used_code");
}

#[tokio::test]
async fn a_browser_following_the_redirect_lands_on_the_fakes_sign_in_page() {
    let fake = FakeClerk::start().await.unwrap();
    assert_eq!(
        fake.sign_in_url(),
        format!("{}/sign-in", fake.base_url().trim_end_matches("/v1"))
    );
    let token = fake
        .client()
        .unwrap()
        .actor_tokens()
        .create("user_1", Actor::new("user_admin").claim("reason", "r"))
        .send()
        .await
        .unwrap();
    let browser = clerk_actor_tokens::http_client_builder()
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .unwrap();
    let response = browser
        .get(token.url().unwrap().expose())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.url().path().ends_with("/sign-in"));
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["actor_token_id"], token.id());
    assert_eq!(page["actor"]["reason"], "r");
    // Only a JSON-asking client gets JSON from the accept url itself ("JSON only when asked").
    let second = fake
        .client()
        .unwrap()
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .await
        .unwrap();
    let asked = http()
        .get(second.url().unwrap().expose())
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    assert_eq!(
        asked.json::<Value>().await.unwrap()["actor_token_id"],
        second.id()
    );
}

#[tokio::test]
async fn a_configured_frontend_api_origin_is_where_urls_point() {
    let fake = FakeClerk::builder()
        .frontend_api("https://clerk.example.test/")
        .start()
        .await
        .unwrap();
    let token = fake
        .client()
        .unwrap()
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .await
        .unwrap();
    let url = token.url().unwrap().expose();
    assert!(
        url.starts_with("https://clerk.example.test/v1/tickets/accept?ticket="),
        "{url}"
    );
    assert_eq!(fake.redeem(url).unwrap().status, Status::Accepted);
    assert!(matches!(
        FakeClerk::builder().sign_in_url("/relative").start().await,
        Err(clerk_actor_tokens_fake::StartError::InvalidUrl { .. })
    ));
}

#[tokio::test]
async fn an_injected_429_always_has_a_whole_second_retry_after() {
    let fake = FakeClerk::start().await.unwrap();
    fake.inject(Fault::status(StatusCode::TOO_MANY_REQUESTS).on(Target::Create));
    let (status, headers, body) = create_raw(
        &fake,
        json!({"user_id": "user_1", "actor": {"sub": "user_a"}}),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "1"); // limits: rate-limited requests get Retry-After (seconds)
    let (code, message, long, _) = first(&body);
    assert_eq!(code, TOO_MANY_REQUESTS_CODE); // catalogue TooManyRequests
    assert_eq!(message, "Too many requests"); // catalogue
    assert_eq!(long, "Too many requests, retry later"); // catalogue
}

#[tokio::test]
async fn clerks_rate_limit_as_an_opt_in_mode() {
    let fake = FakeClerk::start().await.unwrap();
    fake.set_rate_limit(Some(RateLimit::new(2, Duration::from_secs(10))));
    let clerk = no_retries(&fake);
    for _ in 0..2 {
        clerk
            .actor_tokens()
            .create("user_1", Actor::new("user_a"))
            .send()
            .await
            .unwrap();
    }
    let err = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_rate_limited() && err.has_code(TOO_MANY_REQUESTS_CODE),
        "{err}"
    );
    let wait = err.retry_after().unwrap();
    // limits: Retry-After is the seconds until the block expires (here within the 10 s window).
    assert!(
        wait >= Duration::from_secs(1) && wait <= Duration::from_secs(10),
        "{wait:?}"
    );
    assert_eq!(wait.subsec_nanos(), 0, "whole seconds");
    fake.set_rate_limit(None);
    clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .send()
        .await
        .unwrap();

    // Over HTTP, with Clerk's documented presets (limits: 100 per 10 s on development).
    let control = format!(
        "{}/__fake/rate_limit",
        fake.base_url().trim_end_matches("/v1")
    );
    let set: Value = http()
        .put(&control)
        .body(r#"{"preset": "development"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set, json!({"requests": 100, "window_seconds": 10}));
    assert_eq!(RateLimit::PRODUCTION.requests, 1000); // limits: 1000 per 10 s on production
    let bad = http()
        .put(&control)
        .body(r#"{"preset": "enterprise"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    http().delete(&control).send().await.unwrap();
}

#[tokio::test]
async fn choices_where_no_source_exists() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    // Our choice (no public source): a pending token past its expiry can still be revoked, as
    // the server code refuses only tokens that are not pending.
    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .expires_in(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    fake.advance_clock(Duration::from_secs(120));
    let revoked = clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), &Status::Revoked);
    // Our choice (no public maximum): lifetimes are limited only by the spec's minimum of 1.
    let year = Duration::from_secs(365 * 24 * 3600);
    let long = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .expires_in(year)
        .session_max_duration(year)
        .send()
        .await
        .unwrap();
    let stored = fake.token(long.id()).unwrap();
    assert_eq!(stored.session_max_duration, year);
}
