//! The blocking client (feature `blocking`) against the fake: the same results, errors and limits
//! as the async client from plain threads, and a clear error (no panic, nothing sent) from inside
//! an async runtime.

use std::time::{Duration, Instant};

use clerk_actor_tokens::{Actor, Error, RetryPolicy, Status, blocking};
use clerk_actor_tokens_fake::{FakeClerk, Fault, StatusCode, Target};

fn blocking_client(fake: &FakeClerk) -> blocking::Clerk {
    fake.client_builder().build_blocking().unwrap()
}

#[test]
fn creates_and_revokes_from_plain_threads() {
    let fake = FakeClerk::start_blocking().unwrap();
    let clerk = blocking_client(&fake);

    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin").claim("reason", "script"))
        .expires_in(Duration::from_secs(600))
        .send()
        .unwrap();
    assert_eq!(token.status(), &Status::Pending);
    assert!(token.url().is_some());
    assert_eq!(
        token.expires_at(),
        Some(token.created_at() + 600_000),
        "expiry from the request"
    );

    // One client shared by threads that call at the same time.
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let clerk = clerk.clone();
            std::thread::spawn(move || {
                clerk
                    .actor_tokens()
                    .create(format!("user_{i}"), Actor::new("user_admin"))
                    .send()
                    .map(|t| t.id().to_string())
            })
        })
        .collect();
    for handle in handles {
        let id = handle.join().unwrap().unwrap();
        assert!(fake.token(&id).is_some(), "{id} was created on the fake");
    }

    let revoked = clerk.actor_tokens().revoke(token.id()).send().unwrap();
    assert_eq!(revoked.status(), &Status::Revoked);
    let again = clerk.actor_tokens().revoke(token.id()).send().unwrap_err();
    assert!(again.is_bad_request(), "{again}");
    fake.stop_blocking();
}

#[test]
fn the_same_errors_retries_and_limits_apply() {
    let fake = FakeClerk::start_blocking().unwrap();
    let clerk = fake
        .client_builder()
        .retry_policy(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .request_timeout(Duration::from_millis(300))
        .build_blocking()
        .unwrap();

    fake.set_monthly_quota(Some(0));
    let err = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .unwrap_err();
    assert!(err.is_quota_exhausted(), "{err}");
    fake.set_monthly_quota(None);

    // A 503 on revoke is retried, as by the async client.
    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .unwrap();
    fake.inject(Fault::status(StatusCode::SERVICE_UNAVAILABLE).on(Target::Revoke));
    let revoked = clerk.actor_tokens().revoke(token.id()).send().unwrap();
    assert_eq!(revoked.status(), &Status::Revoked);

    // The per-request limit (300 ms) ends a call whose answer would come after 1 s: the call
    // ends before the answer could have arrived. The delay is kept short because the fake's
    // handler outlives the call and the stop below lets it finish.
    let answer_after = Duration::from_secs(1);
    fake.inject(Fault::delay(answer_after).on(Target::Create));
    let started = Instant::now();
    let err = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .unwrap_err();
    let took = started.elapsed();
    assert!(err.is_ambiguous() && err.is_timeout(), "{err}");
    assert!(took < answer_after, "{took:?}");
    fake.stop_blocking();
}

#[test]
fn inside_an_async_runtime_a_call_is_refused_not_a_panic() {
    let fake = FakeClerk::start_blocking().unwrap();
    let clerk = blocking_client(&fake);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (create, revoke) = runtime.block_on(async {
        let create = clerk
            .actor_tokens()
            .create("user_1", Actor::new("user_admin"))
            .send();
        let revoke = clerk.actor_tokens().revoke("act_1").send();
        // The last clone dropped inside the runtime must not panic either.
        drop(clerk);
        (create, revoke)
    });
    for result in [create, revoke] {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::BlockingInAsyncContext), "{err:?}");
        assert!(err.to_string().contains("async runtime"), "{err}");
        assert_eq!(err.attempts(), None);
    }
    assert_eq!(fake.token_count(), 0, "nothing was sent");
    drop(runtime);
    fake.stop_blocking();
}

#[tokio::test]
async fn a_current_thread_test_runtime_gets_the_error_too() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client_builder().build_blocking().unwrap();
    let err = clerk.actor_tokens().revoke("act_1").send().unwrap_err();
    assert!(matches!(err, Error::BlockingInAsyncContext), "{err:?}");
    drop(clerk);
    fake.stop().await;
}

/// A resolver that looks names up as the system's does (a blocking call on tokio's blocking pool)
/// and hangs in it, as `getaddrinfo` does when no name server answers.
struct HangsInABlockingLookup(std::sync::mpsc::Sender<()>);

impl clerk_actor_tokens::reqwest::dns::Resolve for HangsInABlockingLookup {
    fn resolve(
        &self,
        _name: clerk_actor_tokens::reqwest::dns::Name,
    ) -> clerk_actor_tokens::reqwest::dns::Resolving {
        let started = self.0.clone();
        Box::pin(async move {
            let _ = tokio::task::spawn_blocking(move || {
                let _ = started.send(());
                std::thread::sleep(Duration::from_secs(5));
            })
            .await;
            Err("no name server answered".into())
        })
    }
}

#[test]
fn dropping_a_blocking_client_does_not_wait_for_a_hung_lookup() {
    let (started, lookup_started) = std::sync::mpsc::channel();
    let http = clerk_actor_tokens::http_client_builder()
        .dns_resolver(std::sync::Arc::new(HangsInABlockingLookup(started)))
        .build()
        .unwrap();
    let clerk = blocking::Clerk::builder()
        .secret_key("sk_test_blocking")
        .api_url("http://localhost:9")
        .http_client(http)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::never())
        .build_blocking()
        .unwrap();
    let e = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .unwrap_err();
    assert!(e.is_timeout() && !e.is_ambiguous(), "{e:?}");
    lookup_started
        .recv_timeout(Duration::from_secs(1))
        .expect("the lookup ran on the blocking pool");
    // The lookup still holds a thread of the client's blocking pool for seconds; dropping the
    // client's runtime the ordinary way would wait for it.
    let dropping = Instant::now();
    drop(clerk);
    let took = dropping.elapsed();
    assert!(took < Duration::from_secs(1), "drop took {took:?}");
}
