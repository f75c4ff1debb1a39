//! What an error says happened, happened: over real sockets, a create that never left the machine
//! is not ambiguous, an error answer over the size cap keeps its status, a custom client's retry
//! policy cannot replay a create, and a blocking client's connections serve its async twin.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clerk_actor_tokens::{Actor, Clerk, Error, ErrorBody, RetryPolicy, TimeoutPhase};
use clerk_actor_tokens_fake::FakeClerk;
use common::captured::{Captured, capture_this_thread};
use common::scripted::{Scripted, Step, head};
use common::*;
use tokio::net::{TcpListener, TcpStream};

async fn create(clerk: &Clerk) -> Error {
    clerk
        .actor_tokens()
        .create("user_2abc", Actor::new("user_2admin"))
        .send()
        .await
        .expect_err("the create fails")
}

fn phase(e: &Error) -> Option<TimeoutPhase> {
    match e {
        Error::Timeout { phase, .. } => Some(*phase),
        Error::AmbiguousOutcome(a) => phase(&a.cause),
        _ => None,
    }
}

#[tokio::test]
async fn a_create_whose_token_provider_never_answers_is_not_ambiguous() {
    let server = Scripted::start(vec![head("500 Internal Server Error", &[])]).await;
    let clerk = Clerk::builder()
        .async_token_provider(std::future::pending::<Result<String, String>>)
        .api_url(&server.base)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let captured = Captured::default();
    let e = {
        let _audit = capture_this_thread(&captured);
        create(&clerk).await
    };
    assert!(!e.is_ambiguous(), "{e:?}");
    assert!(e.is_timeout() && e.is_retryable(), "{e:?}");
    assert_eq!(phase(&e), Some(TimeoutPhase::TokenProvider), "{e:?}");
    assert!(e.to_string().contains("nothing was sent"), "{e}");
    assert_eq!(server.requests(), 0);
    let audit = captured.text();
    assert!(audit.contains(r#"outcome="failed""#), "{audit}");
    assert!(
        !audit.contains("WARN") && !audit.contains("may exist"),
        "{audit}"
    );
}

/// A listener that never accepts, with its accept queue full: the kernel drops further SYNs, so
/// a connect to it hangs in SYN-SENT (a real socket, not a mock). Returns the listener and the
/// connections that fill its queue (both must be kept alive).
async fn listener_with_a_full_accept_queue() -> (TcpListener, Vec<TcpStream>, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => queued.push(stream),
            Ok(Err(e)) => panic!("connecting to fill the queue: {e}"),
            // This connect hangs: the queue is full.
            Err(_) => break,
        }
        assert!(queued.len() < 256, "the accept queue never filled");
    }
    (listener, queued, addr)
}

#[tokio::test]
async fn a_create_that_times_out_while_connecting_is_not_ambiguous() {
    let (_listener, _queued, addr) = listener_with_a_full_accept_queue().await;
    let clerk = Clerk::builder()
        .secret_key(KEY)
        .api_url(format!("http://{addr}"))
        .connect_timeout(Duration::from_secs(30))
        .request_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let started = Instant::now();
    let e = create(&clerk).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!e.is_ambiguous(), "{e:?}");
    assert_eq!(phase(&e), Some(TimeoutPhase::Connect), "{e:?}");
    assert!(e.is_retryable(), "nothing was sent: {e:?}");

    // With retries, each attempt times out the same way, and the call ends by its deadline,
    // still not ambiguous.
    let e = clerk
        .actor_tokens()
        .create("user_2abc", Actor::new("user_2admin"))
        .retry_policy(fast_retries())
        .deadline(Duration::from_secs(1))
        .send()
        .await
        .unwrap_err();
    assert!(!e.is_ambiguous() && e.is_timeout(), "{e:?}");
}

/// A DNS resolver that never answers (a resolver stuck on an unreachable name server).
struct NeverResolves;

impl clerk_actor_tokens::reqwest::dns::Resolve for NeverResolves {
    fn resolve(
        &self,
        _name: clerk_actor_tokens::reqwest::dns::Name,
    ) -> clerk_actor_tokens::reqwest::dns::Resolving {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_create_that_times_out_while_resolving_the_host_is_not_ambiguous() {
    let http = clerk_actor_tokens::http_client_builder()
        .dns_resolver(NeverResolves)
        .build()
        .unwrap();
    let clerk = Clerk::builder()
        .secret_key(KEY)
        .api_url("http://localhost:9")
        .http_client(http)
        .request_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let e = create(&clerk).await;
    assert!(!e.is_ambiguous(), "{e:?}");
    assert_eq!(phase(&e), Some(TimeoutPhase::Connect), "{e:?}");
}

#[tokio::test]
async fn a_create_that_times_out_after_the_server_read_it_is_ambiguous() {
    // The counterpart: the request reached the server, which never answers.
    let server = Scripted::start(vec![Step::Stall]).await;
    let clerk = builder(&server.base)
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = create(&clerk).await;
    assert!(e.is_ambiguous(), "{e:?}");
    assert_eq!(phase(&e), Some(TimeoutPhase::Response), "{e:?}");
    assert_eq!(server.requests(), 1);
}

/// A proxy's HTML error page, larger than the client's body cap.
fn html_error(status: &str, headers: &[&str]) -> Vec<Step> {
    let page = vec![b'x'; 8 * 1024];
    let length = format!("content-length: {}", page.len());
    let mut all = vec!["content-type: text/html", "clerk-trace-id: trace_big"];
    all.extend_from_slice(headers);
    all.push(&length);
    vec![head(status, &all), Step::Write(page)]
}

#[tokio::test]
async fn an_error_answer_over_the_size_cap_keeps_its_status_and_headers() {
    let server = Scripted::start(html_error("429 Too Many Requests", &["retry-after: 7"])).await;
    // The budget is shorter than the Retry-After: the call ends at once with the 429. (A
    // backoff, which is what a lost status would get, would have retried.)
    let clerk = builder(&server.base)
        .max_response_bytes(1024)
        .retry_policy(RetryPolicy::default().with_budget(Duration::from_secs(1)))
        .build()
        .unwrap();
    let e = create(&clerk).await;
    assert!(e.is_rate_limited(), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(e.trace_id(), Some("trace_big"));
    assert!(
        matches!(
            e.api_error().map(|a| &a.body),
            Some(ErrorBody::TooLarge { limit: 1024, content_type: Some(t) }) if t == "text/html"
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("exceeds the limit of 1024 bytes"),
        "{e}"
    );
    assert_eq!(server.requests(), 1);

    // A 429 that asks for no wait is retried, create or not, as the status says.
    let server = Scripted::start(html_error("429 Too Many Requests", &["retry-after: 0"])).await;
    let clerk = builder(&server.base)
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let e = create(&clerk).await;
    assert!(e.is_rate_limited() && !e.is_ambiguous(), "{e:?}");
    assert_eq!((e.attempts(), server.requests()), (Some(3), 3));

    for (status, holds) in [
        (
            "401 Unauthorized",
            Error::is_unauthorized as fn(&Error) -> bool,
        ),
        ("404 Not Found", Error::is_not_found),
        ("422 Unprocessable Entity", |e: &Error| {
            e.status().is_some_and(|s| s.as_u16() == 422)
        }),
    ] {
        let server = Scripted::start(html_error(status, &[])).await;
        let e = client_with_cap(&server.base).await;
        assert!(holds(&e), "{status}: {e:?}");
        assert_eq!(e.trace_id(), Some("trace_big"), "{status}");
    }
}

async fn client_with_cap(base: &str) -> Error {
    builder(base)
        .max_response_bytes(1024)
        .build()
        .unwrap()
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_custom_clients_retry_policy_cannot_replay_a_create() {
    let server = Scripted::start(vec![head(
        "503 Service Unavailable",
        &["content-length: 0"],
    )])
    .await;
    // A client that would retry every 5xx up to three times.
    let retry_everything = clerk_actor_tokens::reqwest::retry::for_host("127.0.0.1")
        .no_budget()
        .max_retries_per_request(3)
        .classify_fn(|rr| {
            if rr.status().is_some_and(|s| s.is_server_error()) {
                rr.retryable()
            } else {
                rr.success()
            }
        });
    let http = clerk_actor_tokens::http_client_builder()
        .retry(retry_everything)
        .build()
        .unwrap();
    let clerk = builder(&server.base).http_client(http).build().unwrap();
    let e = create(&clerk).await;
    assert!(e.is_ambiguous(), "{e:?}");
    assert_eq!(server.requests(), 1, "the create was sent once");
}

#[test]
fn a_blocking_calls_connection_serves_its_async_twin_in_another_runtime_at_once() {
    let fake = FakeClerk::start_blocking().unwrap();
    let limit = Duration::from_secs(5);
    let clerk = Clerk::builder()
        .secret_key(KEY)
        .api_url(fake.base_url())
        .request_timeout(limit)
        .build_blocking()
        .unwrap();
    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .send()
        .unwrap();
    // The connection the blocking create opened is in the pool; the app's own runtime reuses it.
    let app = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let revoked = app.block_on(clerk.as_async().actor_tokens().revoke(token.id()).send());
    let took = started.elapsed();
    assert!(revoked.is_ok(), "{revoked:?}");
    assert!(took < limit / 5, "took {took:?} of a {limit:?} limit");

    // And the other way round: a connection opened through the async twin serves a blocking call.
    let started = Instant::now();
    let token = app
        .block_on(
            clerk
                .as_async()
                .actor_tokens()
                .create("user_1", Actor::new("user_admin"))
                .send(),
        )
        .unwrap();
    clerk.actor_tokens().revoke(token.id()).send().unwrap();
    assert!(started.elapsed() < limit / 5);
}
