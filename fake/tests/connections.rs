//! Connection counting and `close_connections` over plain HTTP/1.1: what a client's keep-alive
//! pool and a server restart behind a load balancer look like from the fake.

mod common;

use std::time::{Duration, Instant};

use clerk_actor_tokens::Actor;
use clerk_actor_tokens_fake::{FakeClerk, Fault, Target};
use common::{http, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn stats_url(fake: &FakeClerk) -> String {
    format!("http://{}/__fake/stats", fake.local_addr())
}

#[tokio::test]
async fn connections_are_counted_at_accept_per_client_and_reset_keeps_the_count() {
    let fake = FakeClerk::start().await.unwrap();
    assert_eq!(fake.connections_opened(), 0);
    let client = http();
    for _ in 0..4 {
        let answer = send(client.get(stats_url(&fake))).await;
        assert_eq!(answer.status, 200);
        // The stats request's own connection is counted: it was accepted before it was asked.
        assert_eq!(answer.body["connections_opened"], 1, "{}", answer.body);
        assert_eq!(answer.body["connections_open"], 1, "{}", answer.body);
    }
    assert_eq!(fake.connections_opened(), 1, "one keep-alive connection");

    let other = http();
    let answer = send(other.get(stats_url(&fake))).await;
    assert_eq!(answer.body["connections_opened"], 2, "{}", answer.body);
    assert_eq!(answer.body["connections_open"], 2, "{}", answer.body);

    fake.reset();
    assert_eq!(
        fake.connections_opened(),
        2,
        "reset forgets Clerk's state, not the count"
    );
    // A connection that never sends a request counts too.
    let _silent = TcpStream::connect(fake.local_addr()).await.unwrap();
    let answer = send(client.get(stats_url(&fake))).await;
    assert_eq!(answer.body["connections_opened"], 3, "{}", answer.body);
    fake.stop().await;
}

/// One HTTP/1.1 request on `stream`, read up to the end of its `Content-Length` body.
async fn exchange(stream: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: fake\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "closed mid-answer: {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&received).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .expect("the fake sends Content-Length");
            if body.len() >= length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn close_connections_closes_idle_keep_alive_connections_and_keeps_listener_and_state() {
    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake.client().unwrap();
    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_a"))
        .send()
        .await
        .unwrap();
    let mut idle = TcpStream::connect(fake.local_addr()).await.unwrap();
    let answer = exchange(&mut idle, "/__fake/stats").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(
        fake.connections_open(),
        2,
        "the SDK's and ours, both kept alive"
    );

    tokio::time::timeout(Duration::from_secs(1), fake.close_connections())
        .await
        .expect("idle connections close at once");
    assert_eq!(fake.connections_open(), 0);
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(1), idle.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        n,
        0,
        "closed without a word: {:?}",
        String::from_utf8_lossy(&rest)
    );

    // The listener still accepts, and the state is the fake's as it was.
    let mut again = TcpStream::connect(fake.local_addr()).await.unwrap();
    let answer = exchange(&mut again, &format!("/__fake/tokens/{}", token.id())).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"pending\""), "{answer}");
    assert_eq!(fake.connections_opened(), 3);
    assert_eq!(fake.connections_open(), 1);
    fake.stop().await;
}

#[tokio::test]
async fn close_connections_lets_a_busy_connection_answer_first_and_later_connections_stay() {
    let fake = FakeClerk::start().await.unwrap();
    fake.inject(Fault::delay(Duration::from_millis(300)).on(Target::Create));
    let clerk = fake.client().unwrap();
    let in_flight = tokio::spawn({
        let clerk = clerk.clone();
        async move {
            clerk
                .actor_tokens()
                .create("user_1", Actor::new("user_a"))
                .send()
                .await
        }
    });
    // Until the create is being processed (its fault taken), then close during its delay.
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.pending_faults() > 0 {
        assert!(Instant::now() < deadline, "the create never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut later = TcpStream::connect(fake.local_addr()).await.unwrap();
    // `later` may still be in the accept queue; one exchange makes sure the fake took it.
    exchange(&mut later, "/__fake/stats").await;
    let closing = fake.close_connections();
    // A connection accepted after the call is not closed by it.
    let mut after = TcpStream::connect(fake.local_addr()).await.unwrap();
    closing.await;
    assert_eq!(
        fake.token_count(),
        1,
        "close_connections waited for the busy connection's create"
    );
    let token = in_flight
        .await
        .unwrap()
        .expect("the busy request was answered");
    assert_eq!(fake.tokens().len(), 1);
    assert_eq!(fake.tokens()[0].id, token.id());
    let mut rest = Vec::new();
    assert_eq!(
        later.read_to_end(&mut rest).await.unwrap(),
        0,
        "idle: closed"
    );
    let answer = exchange(&mut after, "/__fake/stats").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    fake.stop().await;
}

#[test]
fn close_connections_blocking_waits_on_a_fake_of_its_own_thread() {
    let fake = FakeClerk::start_blocking().unwrap();
    let mut idle = std::net::TcpStream::connect(fake.local_addr()).unwrap();
    use std::io::{Read, Write};
    idle.write_all(b"GET /__fake/stats HTTP/1.1\r\nHost: fake\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    // The stats body is one JSON object: its closing brace ends the answer.
    while !answer.ends_with(b"}") {
        let n = idle.read(&mut buf).unwrap();
        assert!(n > 0, "closed mid-answer");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    assert_eq!(fake.connections_open(), 1);
    fake.close_connections_blocking();
    assert_eq!(fake.connections_open(), 0, "waited until it closed");
    idle.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(idle.read(&mut buf).unwrap(), 0);
    fake.stop_blocking();
}

#[tokio::test]
async fn the_close_control_answers_then_closes_its_own_connection_too() {
    let fake = FakeClerk::start().await.unwrap();
    let mut idle = TcpStream::connect(fake.local_addr()).await.unwrap();
    exchange(&mut idle, "/__fake/stats").await;
    let mut control = TcpStream::connect(fake.local_addr()).await.unwrap();
    control
        .write_all(
            b"POST /__fake/connections/close HTTP/1.1\r\nHost: fake\r\nContent-Length: 0\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    // The answer, then the end of the connection: read_to_end returns only at the close.
    tokio::time::timeout(Duration::from_secs(1), control.read_to_end(&mut answer))
        .await
        .expect("the control's connection closes after its answer")
        .unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(r#"{"connections_closing":2}"#), "{answer}");
    let mut rest = Vec::new();
    assert_eq!(idle.read_to_end(&mut rest).await.unwrap(), 0);
    let answer = send(http().get(stats_url(&fake))).await;
    assert_eq!(answer.body["connections_opened"], 3, "{}", answer.body);
    assert_eq!(answer.body["connections_open"], 1, "{}", answer.body);
    fake.stop().await;
}
