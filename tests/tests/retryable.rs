//! `Error::is_retryable()` says what the retry loop does: with retries off, an error is
//! retryable exactly when the same failure with retries on is followed by a second attempt.

use std::time::Duration;

use clerk_actor_tokens::{Actor, Clerk, Error, RetryPolicy};
use clerk_actor_tokens_fake::{FakeClerk, Fault, StatusCode, Target};

async fn create(clerk: &Clerk, policy: RetryPolicy) -> Error {
    clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .retry_policy(policy)
        .send()
        .await
        .unwrap_err()
}

async fn revoke(clerk: &Clerk, id: &str, policy: RetryPolicy) -> Error {
    clerk
        .actor_tokens()
        .revoke(id)
        .retry_policy(policy)
        .send()
        .await
        .unwrap_err()
}

const REQUEST_TIMEOUT: Duration = Duration::from_millis(300);
const NO_ANSWER_WITHIN_THE_LIMIT: Duration = Duration::from_millis(500);

#[tokio::test]
async fn is_retryable_agrees_with_the_retry_loop() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake
        .client_builder()
        .request_timeout(REQUEST_TIMEOUT)
        .build()
        .unwrap();
    let twice = RetryPolicy::default()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(5));
    let pending = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .await
        .unwrap();

    // (fault, operation is create, expected is_retryable)
    let cases = [
        (
            // Retry-After 0: the retry follows at once instead of after the fake's default 1 s.
            Fault::status(StatusCode::TOO_MANY_REQUESTS)
                .retry_after(Duration::ZERO)
                .on(Target::Create),
            true,
            true,
        ),
        (
            Fault::status(StatusCode::BAD_GATEWAY).on(Target::Create),
            true,
            false,
        ),
        (
            Fault::status(StatusCode::BAD_GATEWAY).on(Target::Revoke),
            false,
            true,
        ),
        (
            Fault::status(StatusCode::SERVICE_UNAVAILABLE).on(Target::Revoke),
            false,
            true,
        ),
        (
            Fault::status(StatusCode::NOT_IMPLEMENTED).on(Target::Revoke),
            false,
            false,
        ),
        (
            Fault::status(StatusCode::UNAUTHORIZED).on(Target::Revoke),
            false,
            false,
        ),
        // Timeouts: an answer that never comes within the limit. The fake holds the request past
        // it and then drops the connection without handling it, so no token is created or
        // revoked behind the test's back after the client gave up.
        (
            Fault::drop_connection()
                .with_delay(NO_ANSWER_WITHIN_THE_LIMIT)
                .on(Target::Revoke),
            false,
            true,
        ),
        (
            Fault::drop_connection()
                .with_delay(NO_ANSWER_WITHIN_THE_LIMIT)
                .on(Target::Create),
            true,
            false,
        ),
    ];
    for (fault, is_create, expected) in cases {
        let label = format!("{fault:?}");
        // Retries off: the error as the caller sees it.
        fake.inject(fault.clone().times(1));
        let once = if is_create {
            create(&clerk, RetryPolicy::never()).await
        } else {
            revoke(&clerk, pending.id(), RetryPolicy::never()).await
        };
        assert_eq!(once.is_retryable(), expected, "{label}: {once}");
        assert_eq!(once.attempts(), Some(1), "{label}");
        fake.clear_faults();
        // Retries on, the same failure twice: a second attempt is made exactly when retryable.
        fake.inject(fault.times(2));
        let again = if is_create {
            create(&clerk, twice.clone()).await
        } else {
            revoke(&clerk, pending.id(), twice.clone()).await
        };
        let expected_attempts = if expected { 2 } else { 1 };
        assert_eq!(
            again.attempts(),
            Some(expected_attempts),
            "{label}: {again}"
        );
        fake.clear_faults();
    }
    // Nothing was handled behind the test's back, even once the held requests' time is up: the
    // one token is still pending, and no other was created.
    tokio::time::sleep(NO_ANSWER_WITHIN_THE_LIMIT).await;
    assert_eq!(fake.token_count(), 1);
    assert!(
        fake.tokens()[0].status == clerk_actor_tokens::Status::Pending,
        "{:?}",
        fake.tokens()[0].status
    );
    // Definite answers from Clerk itself.
    assert!(
        !revoke(&clerk, "act_missing", RetryPolicy::never())
            .await
            .is_retryable()
    );
    fake.stop().await;
}
