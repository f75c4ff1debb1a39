//! Hostile servers over real sockets (a scripted TCP server, `common/scripted.rs`): bodies that
//! stall after the headers, drip, reset or never end; absurd `Retry-After` values; floods and huge
//! heads. Each test checks when the call ended (its limit plus a generous bound for a loaded
//! machine), how many requests the server saw, the error, and that nothing panicked.
//!
//! Limits: 400 ms per request, 1 s for the whole call; retries are fast (`common::fast_retries`).
//! Run with `--nocapture` to see each call's measured duration.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use clerk_actor_tokens::{
    Actor, Clerk, Error, ErrorBody, MAX_RETRY_AFTER, RetryPolicy, StatusCode, TimeoutKind,
};
use common::scripted::{Scripted, Step, head};
use common::*;

const LIMIT: Duration = Duration::from_millis(400);
const DEADLINE: Duration = Duration::from_secs(1);
/// Slack for a shared, loaded 2-core machine: generous, yet far below any hang.
const SLACK: Duration = Duration::from_millis(1500);

fn clerk(server: &Scripted) -> Clerk {
    builder(&server.base)
        .request_timeout(LIMIT)
        .deadline(DEADLINE)
        .build()
        .unwrap()
}

async fn create(server: &Scripted) -> (Error, Duration) {
    timed(
        clerk(server)
            .actor_tokens()
            .create("user_2abc", Actor::new("user_2admin"))
            .send(),
    )
    .await
}

async fn revoke(server: &Scripted) -> (Error, Duration) {
    timed(clerk(server).actor_tokens().revoke("act_1").send()).await
}

/// Runs a call that must fail, and measures it.
async fn timed<T: std::fmt::Debug>(
    call: impl Future<Output = Result<T, Error>>,
) -> (Error, Duration) {
    let started = Instant::now();
    let e = call
        .await
        .expect_err("the hostile server must make the call fail");
    let took = started.elapsed();
    assert_no_secret(&format!("{e} {e:?}"));
    (e, took)
}

/// The call ended after at least `at_least` (it did wait for the limit) and at most `limit`
/// plus the slack.
fn ended(name: &str, took: Duration, at_least: Duration, limit: Duration) {
    eprintln!("{name}: ended after {} ms", took.as_millis());
    assert!(took >= at_least, "{name}: ended early, after {took:?}");
    assert!(took <= limit + SLACK, "{name}: took {took:?}");
}

/// The attempts of a call whose every attempt ran to the request limit until the deadline ended
/// it, checked against what the server saw. The rules guarantee a retry while time is left (at
/// least two attempts: one limit is well under the deadline) and no attempt after the deadline (at
/// most `ceil(DEADLINE / LIMIT)`, three). Exactly three holds only on an idle machine.
fn attempts_until_the_deadline(name: &str, e: &Error, server: &Scripted) {
    let most = DEADLINE.as_millis().div_ceil(LIMIT.as_millis()) as u32;
    let attempts = e.attempts().expect("the call made attempts");
    assert!(
        (2..=most).contains(&attempts),
        "{name}: {attempts} attempts: {e:?}"
    );
    assert_eq!(server.requests(), attempts as usize, "{name}");
}

fn json_head(status: &str, length: usize) -> Step {
    head(
        status,
        &[
            "content-type: application/json",
            &format!("content-length: {length}"),
        ],
    )
}

fn incomplete(e: &Error) -> bool {
    matches!(
        e.api_error().map(|a| &a.body),
        Some(ErrorBody::Incomplete { .. })
    )
}

// ---- Bodies that stall after the headers ----

fn stalled(status: &str) -> Vec<Step> {
    vec![
        json_head(status, 500),
        Step::Write(b"{\"errors\":[".to_vec()),
        Step::Stall,
    ]
}

#[tokio::test]
async fn a_stalled_success_body_ends_a_create_at_the_limit_as_ambiguous() {
    let server = Scripted::start(stalled("200 OK")).await;
    let (e, took) = create(&server).await;
    ended("stalled 200, create", took, LIMIT, LIMIT);
    assert!(e.is_ambiguous() && e.is_timeout(), "{e:?}");
    assert_eq!(e.attempts(), Some(1));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_stalled_success_body_ends_a_revoke_at_the_deadline() {
    let server = Scripted::start(stalled("200 OK")).await;
    let (e, took) = revoke(&server).await;
    ended("stalled 200, revoke", took, DEADLINE, DEADLINE);
    // The attempt that was running when the deadline came is the one cut by it.
    assert!(
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Deadline,
                ..
            }
        ),
        "{e:?}"
    );
    attempts_until_the_deadline("stalled 200, revoke", &e, &server);
}

#[tokio::test]
async fn a_stalled_401_body_is_still_a_401_at_the_limit() {
    for op in ["create", "revoke"] {
        let server = Scripted::start(stalled("401 Unauthorized")).await;
        let (e, took) = if op == "create" {
            create(&server).await
        } else {
            revoke(&server).await
        };
        ended(&format!("stalled 401, {op}"), took, LIMIT, LIMIT);
        assert!(e.is_unauthorized() && incomplete(&e), "{op}: {e:?}");
        assert_eq!(e.attempts(), Some(1));
        assert_eq!(server.requests(), 1, "{op}");
    }
}

#[tokio::test]
async fn a_stalled_429_body_is_a_rate_limit_retried_until_the_deadline() {
    for op in ["create", "revoke"] {
        let mut script = stalled("429 Too Many Requests");
        script[0] = head(
            "429 Too Many Requests",
            &["content-length: 500", "retry-after: 0"],
        );
        let server = Scripted::start(script).await;
        let (e, took) = if op == "create" {
            create(&server).await
        } else {
            revoke(&server).await
        };
        ended(&format!("stalled 429, {op}"), took, DEADLINE, DEADLINE);
        // A 429 means nothing was done, so even a create is retried.
        assert!(e.is_rate_limited() && incomplete(&e), "{op}: {e:?}");
        assert_eq!(e.retry_after(), Some(Duration::ZERO));
        attempts_until_the_deadline(&format!("stalled 429, {op}"), &e, &server);
    }
}

#[tokio::test]
async fn a_stalled_503_body_makes_a_create_ambiguous_and_a_revoke_retry() {
    let server = Scripted::start(stalled("503 Service Unavailable")).await;
    let (e, took) = create(&server).await;
    ended("stalled 503, create", took, LIMIT, LIMIT);
    assert!(e.is_ambiguous(), "{e:?}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
    assert!(incomplete(&e), "{e:?}");
    assert_eq!(server.requests(), 1);

    let server = Scripted::start(stalled("503 Service Unavailable")).await;
    let (e, took) = revoke(&server).await;
    ended("stalled 503, revoke", took, DEADLINE, DEADLINE);
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{e:?}");
    attempts_until_the_deadline("stalled 503, revoke", &e, &server);
}

#[tokio::test]
async fn a_stalled_body_with_the_default_limits_is_bounded_by_them() {
    // `Duration::MAX` as the deadline must neither panic nor lift the request limit.
    let server = Scripted::start(stalled("401 Unauthorized")).await;
    let clerk = builder(&server.base)
        .request_timeout(LIMIT)
        .deadline(Duration::MAX)
        .build()
        .unwrap();
    let (e, took) = timed(clerk.actor_tokens().revoke("act_1").send()).await;
    ended("stalled 401, deadline Duration::MAX", took, LIMIT, LIMIT);
    assert!(e.is_unauthorized(), "{e:?}");

    // And `Duration::MAX` per request leaves the deadline in charge.
    let server = Scripted::start(stalled("200 OK")).await;
    let clerk = builder(&server.base)
        .request_timeout(Duration::MAX)
        .deadline(LIMIT)
        .build()
        .unwrap();
    let (e, took) = timed(clerk.actor_tokens().revoke("act_1").send()).await;
    ended(
        "stalled 200, request_timeout Duration::MAX",
        took,
        LIMIT,
        LIMIT,
    );
    assert!(
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Deadline,
                attempts: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(server.requests(), 1);
}

// ---- Drips and resets ----

#[tokio::test]
async fn a_slow_drip_is_cut_at_the_limit() {
    let server = Scripted::start(vec![
        json_head("200 OK", 1000),
        Step::Drip(Duration::from_millis(100)),
    ])
    .await;
    let (e, took) = create(&server).await;
    ended("drip 200, create", took, LIMIT, LIMIT);
    assert!(e.is_ambiguous() && e.is_timeout(), "{e:?}");
    assert_eq!(server.requests(), 1);

    let server = Scripted::start(vec![
        json_head("404 Not Found", 1000),
        Step::Drip(Duration::from_millis(100)),
    ])
    .await;
    let (e, took) = revoke(&server).await;
    ended("drip 404, revoke", took, LIMIT, LIMIT);
    assert!(e.is_not_found() && incomplete(&e), "{e:?}");
    assert_eq!(server.requests(), 1);
}

fn reset_mid_body(status: &str) -> Vec<Step> {
    vec![
        json_head(status, 1000),
        Step::Write(b"{\"object\":\"actor_".to_vec()),
        Step::Pause(Duration::from_millis(20)),
        Step::Reset,
    ]
}

#[tokio::test]
async fn a_reset_mid_body_ends_at_once() {
    let server = Scripted::start(reset_mid_body("200 OK")).await;
    let (e, took) = create(&server).await;
    ended(
        "reset mid-body 200, create",
        took,
        Duration::ZERO,
        Duration::ZERO,
    );
    assert!(
        matches!(&e, Error::AmbiguousOutcome(a) if matches!(*a.cause, Error::Transport { .. })),
        "{e:?}"
    );
    assert_eq!(server.requests(), 1);

    let server = Scripted::start(reset_mid_body("200 OK")).await;
    let (e, took) = revoke(&server).await;
    ended(
        "reset mid-body 200, revoke",
        took,
        Duration::ZERO,
        Duration::ZERO,
    );
    assert!(
        matches!(e, Error::Transport { attempts: 3, .. }),
        "a lost revoke answer is retried: {e:?}"
    );
    assert_eq!(server.requests(), 3);

    let server = Scripted::start(reset_mid_body("403 Forbidden")).await;
    let (e, took) = create(&server).await;
    ended(
        "reset mid-body 403, create",
        took,
        Duration::ZERO,
        Duration::ZERO,
    );
    assert!(e.is_unauthorized() && incomplete(&e), "{e:?}");
    assert_eq!(server.requests(), 1);
}

// ---- Retry-After ----

fn rate_limited(retry_after: &str) -> Vec<Step> {
    let body = clerk_errors("too_many_requests", None).to_string();
    vec![
        head(
            "429 Too Many Requests",
            &[
                "content-type: application/json",
                &format!("content-length: {}", body.len()),
                &format!("retry-after: {retry_after}"),
            ],
        ),
        Step::Write(body.into_bytes()),
    ]
}

#[tokio::test]
async fn an_absurd_retry_after_ends_the_call_at_once_with_a_clamped_wait() {
    for (name, value) in [
        ("u64::MAX", "18446744073709551615"),
        ("31 digits", "1000000000000000000000000000000"),
        ("far-future date", "Fri, 31 Dec 9999 23:59:59 GMT"),
    ] {
        for op in ["create", "revoke"] {
            let server = Scripted::start(rate_limited(value)).await;
            let (e, took) = if op == "create" {
                create(&server).await
            } else {
                revoke(&server).await
            };
            ended(
                &format!("Retry-After {name}, {op}"),
                took,
                Duration::ZERO,
                Duration::ZERO,
            );
            assert!(e.is_rate_limited(), "{name} {op}: {e:?}");
            assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER), "{name} {op}");
            assert_eq!(e.attempts(), Some(1));
            assert_eq!(server.requests(), 1, "{name} {op}");
        }
    }
}

#[tokio::test]
async fn an_unusable_retry_after_is_ignored_and_backoff_applies() {
    for (name, value) in [("negative", "-5"), ("garbage", "soon"), ("fraction", "1.5")] {
        let server = Scripted::start(rate_limited(value)).await;
        let (e, took) = create(&server).await;
        ended(
            &format!("Retry-After {name}, create"),
            took,
            Duration::ZERO,
            Duration::ZERO,
        );
        assert!(e.is_rate_limited(), "{name}: {e:?}");
        assert_eq!(e.retry_after(), None, "{name}");
        assert_eq!(e.attempts(), Some(3));
        assert_eq!(server.requests(), 3, "{name}");
    }
}

// ---- Floods, huge heads, huge bodies ----

#[tokio::test]
async fn a_flood_of_headers_or_a_huge_header_is_a_transport_error() {
    let many: Vec<String> = (0..20_000).map(|i| format!("x-flood-{i}: v")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let huge = format!("x-huge: {}", "h".repeat(1024 * 1024));
    for (name, script) in [
        ("20,000 headers", vec![head("200 OK", &many), Step::Stall]),
        ("a 1 MB header", vec![head("200 OK", &[&huge]), Step::Stall]),
    ] {
        let server = Scripted::start(script.clone()).await;
        let (e, took) = create(&server).await;
        ended(&format!("{name}, create"), took, Duration::ZERO, LIMIT);
        assert!(
            matches!(&e, Error::AmbiguousOutcome(a) if matches!(*a.cause, Error::Transport { .. })),
            "{name}: {e:?}"
        );
        assert_eq!(server.requests(), 1, "{name}");

        let server = Scripted::start(script).await;
        let (e, took) = revoke(&server).await;
        ended(&format!("{name}, revoke"), took, Duration::ZERO, DEADLINE);
        assert!(
            matches!(e, Error::Transport { attempts: 3, .. }),
            "{name}: {e:?}"
        );
        assert_eq!(server.requests(), 3, "{name}");
    }
}

#[tokio::test]
async fn endless_and_64_mb_bodies_stop_at_the_cap() {
    const MB64: usize = 64 * 1024 * 1024;
    for (name, script) in [
        (
            "64 MB declared",
            vec![json_head("200 OK", MB64), Step::Flood(MB64)],
        ),
        (
            "64 MB streamed",
            vec![
                head("200 OK", &["content-type: application/json"]),
                Step::Flood(MB64),
            ],
        ),
        (
            "endless body",
            vec![head("200 OK", &[]), Step::Flood(usize::MAX)],
        ),
    ] {
        let server = Scripted::start(script.clone()).await;
        let (e, took) = create(&server).await;
        ended(&format!("{name}, create"), took, Duration::ZERO, LIMIT);
        assert!(
            matches!(&e, Error::AmbiguousOutcome(a) if matches!(*a.cause, Error::BodyTooLarge { status: Some(StatusCode::OK), .. })),
            "{name}: {e:?}"
        );
        assert_eq!(server.requests(), 1, "{name}");

        let server = Scripted::start(script).await;
        let (e, took) = timed(
            clerk(&server)
                .actor_tokens()
                .revoke("act_1")
                .retry_policy(RetryPolicy::never())
                .send(),
        )
        .await;
        ended(&format!("{name}, revoke"), took, Duration::ZERO, LIMIT);
        assert!(
            matches!(
                e,
                Error::BodyTooLarge {
                    status: Some(StatusCode::OK),
                    ..
                }
            ),
            "{name}: {e:?}"
        );
        assert_eq!(server.requests(), 1, "{name}");
    }

    // An error answer's endless body: capped too, and the status still decides (503: retried).
    let server = Scripted::start(vec![
        head("503 Service Unavailable", &[]),
        Step::Flood(usize::MAX),
    ])
    .await;
    let (e, took) = revoke(&server).await;
    ended("endless 503 body, revoke", took, Duration::ZERO, DEADLINE);
    assert!(
        e.status() == Some(StatusCode::SERVICE_UNAVAILABLE)
            && matches!(
                e.api_error().map(|a| &a.body),
                Some(ErrorBody::TooLarge { .. })
            ),
        "{e:?}"
    );
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn truncated_json_with_a_200_is_invalid_and_a_create_is_ambiguous() {
    let full = token_json("act_1", "pending", true).to_string();
    let truncated = full.as_bytes()[..full.len() / 2].to_vec();
    let script = vec![json_head("200 OK", truncated.len()), Step::Write(truncated)];
    let server = Scripted::start(script.clone()).await;
    let (e, took) = create(&server).await;
    ended(
        "truncated JSON 200, create",
        took,
        Duration::ZERO,
        Duration::ZERO,
    );
    assert!(
        matches!(&e, Error::AmbiguousOutcome(a) if matches!(&*a.cause, Error::InvalidResponse { reason, .. } if reason.contains("truncated"))),
        "{e:?}"
    );
    assert_eq!(server.requests(), 1);

    let server = Scripted::start(script).await;
    let (e, took) = revoke(&server).await;
    ended(
        "truncated JSON 200, revoke",
        took,
        Duration::ZERO,
        Duration::ZERO,
    );
    assert!(
        matches!(
            e,
            Error::InvalidResponse {
                status: Some(StatusCode::OK),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(server.requests(), 1, "an unreadable success is not retried");
}

#[tokio::test]
async fn huge_limits_do_not_panic() {
    let body = token_json("act_1", "revoked", false).to_string();
    let server = Scripted::start(vec![
        json_head("200 OK", body.len()),
        Step::Write(body.into_bytes()),
    ])
    .await;
    let clerk = builder(&server.base)
        .request_timeout(Duration::MAX)
        .deadline(Duration::MAX)
        .retry_policy(
            RetryPolicy::default()
                .with_budget(Duration::MAX)
                .with_max_backoff(Duration::MAX)
                .with_initial_backoff(Duration::MAX),
        )
        .build()
        .unwrap();
    let token = clerk
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .expect("answered");
    assert_eq!(token.id(), "act_1");
    assert_eq!(server.requests(), 1);
}

// ---- The fake plays these servers too ----

#[tokio::test]
async fn the_fake_can_stall_drip_and_send_any_retry_after() {
    use clerk_actor_tokens_fake::{FakeClerk, Fault, HeaderValue, StatusCode, Target};

    let fake = FakeClerk::start().await.unwrap();
    let clerk = builder(fake.base_url())
        .request_timeout(LIMIT)
        .deadline(DEADLINE)
        .build()
        .unwrap();

    // A success whose body stalls: the create may have happened, and the fake says it did.
    fake.inject(Fault::delay(Duration::ZERO).stall_body().on(Target::Create));
    let (e, took) = timed(
        clerk
            .actor_tokens()
            .create("user_2abc", Actor::new("user_2admin"))
            .send(),
    )
    .await;
    ended("fake: stalled 200, create", took, LIMIT, LIMIT);
    assert!(e.is_ambiguous() && e.is_timeout(), "{e:?}");

    // A 503 whose body drips, once: the revoke's second attempt gets the fake's real answer.
    fake.inject(
        Fault::status(StatusCode::SERVICE_UNAVAILABLE)
            .drip_body(Duration::from_millis(100))
            .on(Target::Revoke),
    );
    let started = Instant::now();
    let e = clerk
        .actor_tokens()
        .revoke("act_unknown")
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    ended("fake: dripping 503 then 404, revoke", took, LIMIT, DEADLINE);
    assert!(e.is_not_found(), "{e:?}");
    assert_eq!(e.attempts(), Some(2));

    // An absurd Retry-After, verbatim.
    fake.inject(
        Fault::status(StatusCode::TOO_MANY_REQUESTS)
            .retry_after_raw(HeaderValue::from_static("18446744073709551615"))
            .on(Target::Revoke),
    );
    let (e, took) = timed(clerk.actor_tokens().revoke("act_1").send()).await;
    ended(
        "fake: Retry-After u64::MAX, revoke",
        took,
        Duration::ZERO,
        Duration::ZERO,
    );
    assert!(e.is_rate_limited(), "{e:?}");
    assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER));
    assert_eq!(e.attempts(), Some(1));
}
