//! Linking the SDK must not break other reqwest clients in the same binary.
//!
//! Cargo features unify: this test binary declares reqwest without any TLS feature (as an app
//! that only needed plain HTTP might) and gets the SDK's reqwest features on top. With the
//! SDK's former `rustls-no-provider` choice, the plain `reqwest::Client::new()` below panicked
//! ("No rustls crypto provider is configured"); it must build and talk to a server.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Answers one HTTP/1.1 request on a loopback socket with `200 OK` and body `hello`.
async fn one_shot_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        // Read up to the end of the request head; a GET has no body. Bounded by the client's size.
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client closed before sending a request");
            request.extend_from_slice(&buf[..n]);
        }
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello")
            .await
            .unwrap();
    });
    addr
}

#[tokio::test]
async fn a_plain_reqwest_client_builds_and_makes_a_request() {
    // The SDK is linked and in use: its own client is built first, like in an app.
    let _sdk = clerk_actor_tokens::Clerk::new("sk_test_other_clients").unwrap();

    let addr = one_shot_server().await;
    let client = reqwest::Client::new();
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        client.get(format!("http://{addr}/ping")).send(),
    )
    .await
    .expect("the loopback server answers within 10 s")
    .expect("the request succeeds");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "hello");
}

#[test]
fn a_plain_https_only_client_builds_before_the_sdk_is_used() {
    // No SDK call happens first here: nothing may depend on the SDK installing a provider.
    let client = reqwest::Client::builder().https_only(true).build();
    assert!(client.is_ok(), "{:?}", client.err());
}
