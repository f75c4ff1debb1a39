//! Retries, rate limits, time limits, hostile responses and what tracing records, each against a
//! server scripted to misbehave in one way. Delays are short and configured; no test sleeps longer
//! than the behaviour it checks needs.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clerk_actor_tokens::{Actor, Error, ErrorBody, RetryPolicy, StatusCode, TimeoutKind};
use common::scripted::read_request;
use common::*;
use httpmock::prelude::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

fn create_call(clerk: &clerk_actor_tokens::Clerk) -> clerk_actor_tokens::CreateActorToken<'_> {
    clerk
        .actor_tokens()
        .create("user_2abc", Actor::new("user_2admin"))
}

/// Over a real socket, a 429's `Retry-After` is read and the create tried again. That the wait is
/// exactly the server's value is the decision's rule (`decision.rs`, `a_retry_respects_every_rule`)
/// and the loop's (`call.rs`, in paused time); a real sleep here would prove it again, slower.
#[tokio::test]
async fn a_429_with_retry_after_is_retried() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/actor_tokens");
            then.status(429)
                .header("retry-after", "0")
                .json_body(clerk_errors("too_many_requests", None));
        })
        .await;
    limited.up_to_n_times_async(1).await;
    let ok = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/actor_tokens");
            then.status(200)
                .json_body(token_json("act_1", "pending", true));
        })
        .await;
    let token = create_call(&client(&server.base_url()))
        .send()
        .await
        .expect("retried");
    assert_eq!(token.id(), "act_1");
    limited.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_create_answered_with_502_is_not_retried_and_is_ambiguous() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(502)
                .header("clerk-trace-id", "tr_502")
                .json_body(clerk_errors("bad_gateway", None));
        })
        .await;
    let e = create_call(&client(&server.base_url()))
        .send()
        .await
        .unwrap_err();
    mock.assert_calls_async(1).await;
    assert!(e.is_ambiguous(), "{e:?}");
    assert_eq!(e.trace_id(), Some("tr_502"));
    assert_eq!(e.attempts(), Some(1));
    assert!(
        e.to_string().contains("may or may not have been created"),
        "{e}"
    );
}

/// A port with nothing listening yet; a one-shot server starts on it after `delay`. The socket
/// stays bound (so no other process can take the port) but refuses connections until it listens.
async fn late_server(
    delay: Duration,
    body: String,
) -> (SocketAddr, tokio::task::JoinHandle<usize>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let listener = socket.listen(16).unwrap();
        let (mut socket, _) = listener.accept().await.unwrap();
        let request = read_request(&mut socket).await;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(response.as_bytes()).await.unwrap();
        request.len()
    });
    (addr, handle)
}

#[tokio::test]
async fn a_create_whose_connection_was_refused_is_retried() {
    let (addr, server) = late_server(
        Duration::from_millis(150),
        token_json("act_late", "pending", true).to_string(),
    )
    .await;
    let clerk = builder(&format!("http://{addr}"))
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(10)
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_millis(100)),
        )
        .build()
        .unwrap();
    let token = create_call(&clerk)
        .send()
        .await
        .expect("retried after the refusal");
    assert_eq!(token.id(), "act_late");
    assert!(server.await.unwrap() > 0, "the late server saw the request");
}

#[tokio::test]
async fn a_revoke_converges_through_503s() {
    let server = MockServer::start_async().await;
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(503)
                .json_body(clerk_errors("service_unavailable", None));
        })
        .await;
    unavailable.up_to_n_times_async(2).await;
    let ok = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .json_body(token_json("act_1", "revoked", false));
        })
        .await;
    let token = client(&server.base_url())
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .expect("third attempt succeeds");
    assert_eq!(token.status().as_str(), "revoked");
    unavailable.assert_calls_async(2).await;
    ok.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_revoke_that_always_fails_names_the_attempt_count() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(503)
                .json_body(clerk_errors("service_unavailable", None));
        })
        .await;
    let e = client(&server.base_url())
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    mock.assert_calls_async(3).await;
    assert_eq!(e.attempts(), Some(3));
    assert!(e.to_string().contains("3 attempts"), "{e}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_returns_the_rate_limit_at_once() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(429)
                .header("retry-after", "30")
                .json_body(clerk_errors("too_many_requests", None));
        })
        .await;
    let started = Instant::now();
    let e = create_call(&client(&server.base_url()))
        .retry_policy(fast_retries().with_budget(Duration::from_secs(1)))
        .send()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "waited although the budget was too small"
    );
    assert!(e.is_rate_limited(), "{e:?}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_retry_after_http_date_is_understood() {
    let server = MockServer::start_async().await;
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(120));
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(429)
                .header("retry-after", date)
                .json_body(clerk_errors("too_many_requests", None));
        })
        .await;
    let e = revoke_once_err(&server.base_url()).await;
    let after = e.retry_after().expect("parsed");
    assert!(
        after > Duration::from_secs(100) && after <= Duration::from_secs(120),
        "{after:?}"
    );
}

/// Accepts connections and never answers.
async fn hung_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

#[tokio::test]
async fn a_hung_server_yields_a_timeout_within_the_bound() {
    let addr = hung_server().await;
    let clerk = builder(&format!("http://{addr}"))
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    let started = Instant::now();
    let e = clerk
        .actor_tokens()
        .revoke("act_1")
        .retry_policy(RetryPolicy::never())
        .send()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            e,
            Error::Timeout {
                kind: TimeoutKind::Attempt,
                attempts: 1,
                ..
            }
        ),
        "{e:?}"
    );

    // A create that timed out after sending is ambiguous, and not retried.
    let e = create_call(&clerk).send().await.unwrap_err();
    assert!(e.is_ambiguous() && e.is_timeout(), "{e:?}");
    assert_eq!(e.attempts(), Some(1));

    // The deadline bounds the whole call, retries included.
    let started = Instant::now();
    let e = clerk
        .actor_tokens()
        .revoke("act_1")
        .request_timeout(Duration::from_secs(10))
        .deadline(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
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
}

#[tokio::test]
async fn an_oversized_body_is_cut_off() {
    let server = MockServer::start_async().await;
    let huge = vec![b' '; 10 * 1024 * 1024];
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .header("content-type", "application/json")
                .body(huge);
        })
        .await;
    let clerk = client(&server.base_url());
    let e = clerk
        .actor_tokens()
        .revoke("act_1")
        .retry_policy(RetryPolicy::never())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::BodyTooLarge { status: Some(StatusCode::OK), limit } if limit == 1024 * 1024),
        "{e:?}"
    );
    // On create, a success that cannot be read means a token probably exists.
    let e = create_call(&clerk).send().await.unwrap_err();
    assert!(e.is_ambiguous(), "{e:?}");
}

#[tokio::test]
async fn a_configured_limit_applies_to_error_bodies_too() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(404).body(vec![b'x'; 4096]);
        })
        .await;
    let e = builder(&server.base_url())
        .max_response_bytes(1024)
        .build()
        .unwrap()
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.is_not_found()
            && matches!(
                e.api_error().map(|a| &a.body),
                Some(ErrorBody::TooLarge { limit: 1024, .. })
            ),
        "{e:?}"
    );
}

#[tokio::test]
async fn truncated_json_on_success_is_a_typed_error() {
    let server = MockServer::start_async().await;
    let full = token_json("act_1", "pending", true).to_string();
    let truncated = full[..full.len() / 2].to_string();
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .header("content-type", "application/json")
                .body(truncated);
        })
        .await;
    let e = client(&server.base_url())
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidResponse { reason, .. } if reason.contains("truncated")),
        "{e:?}"
    );
    assert_no_secret(&format!("{e} {e:?}"));
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused() {
    let e = clerk_actor_tokens::Clerk::builder()
        .secret_key(KEY)
        .api_url("http://api.clerk.com")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("allow_insecure_http"), "{e}");
    assert_no_secret(&format!("{e} {e:?}"));
    assert!(
        clerk_actor_tokens::Clerk::builder()
            .secret_key(KEY)
            .api_url("http://api.clerk.com")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
}

#[tokio::test]
async fn an_html_page_with_a_success_status_is_a_typed_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(200)
                .header("content-type", "text/html")
                .body("<html>captive portal</html>");
        })
        .await;
    let e = client(&server.base_url())
        .actor_tokens()
        .revoke("act_1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidResponse { status: Some(StatusCode::OK), reason, .. } if reason.contains("not JSON")),
        "{e:?}"
    );
    assert!(!e.to_string().contains("captive"), "{e}");
}
