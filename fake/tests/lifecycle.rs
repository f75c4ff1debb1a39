//! Stopping the fake: dropping it never stalls the caller, even with a request in flight, and the
//! server does stop.

use std::time::{Duration, Instant};

use clerk_actor_tokens_fake::FakeClerk;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The fake's `host:port`.
fn host_port(fake: &FakeClerk) -> String {
    fake.base_url()
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_string()
}

/// A connection in the middle of a request (headers not finished): the server's graceful stop
/// waits for it, up to its grace period.
async fn request_in_flight(fake: &FakeClerk) -> TcpStream {
    let addr = host_port(fake);
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"POST /v1/actor_tokens HTTP/1.1\r\nHost: fake\r\n")
        .await
        .unwrap();
    // Let the server read what was sent, so that the connection is busy, not idle.
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream
}

async fn refuses_connections(addr: &str) -> bool {
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_a_blocking_fake_on_a_runtime_thread_returns_at_once() {
    let fake = FakeClerk::start_blocking().unwrap();
    let addr = host_port(&fake);
    let _busy = request_in_flight(&fake).await;
    let started = Instant::now();
    drop(fake);
    let took = started.elapsed();
    // Joining the server's thread took the whole 2 s grace here.
    assert!(took < Duration::from_millis(500), "drop took {took:?}");
    assert!(refuses_connections(&addr).await, "the server still accepts");
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_a_fake_started_on_the_runtime_returns_at_once() {
    let fake = FakeClerk::start().await.unwrap();
    let addr = host_port(&fake);
    let _busy = request_in_flight(&fake).await;
    let started = Instant::now();
    drop(fake);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(refuses_connections(&addr).await, "the server still accepts");
}

#[test]
fn stop_blocking_waits_until_the_server_has_stopped() {
    let fake = FakeClerk::start_blocking().unwrap();
    let addr = host_port(&fake);
    fake.stop_blocking();
    assert!(std::net::TcpStream::connect(&addr).is_err());
}
