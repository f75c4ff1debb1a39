//! HTTP/2 (the SDK's feature `http2`) against servers that speak it over TLS: a scripted h2
//! server for what a stream's end says (refused unprocessed, or cut after the server took it),
//! and the fake for ALPN, connection sharing and a restart (GOAWAY) during a burst.

mod common;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use clerk_actor_tokens::{Actor, Clerk, Error};
use common::tls::{Leaf, TestCa};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// What the scripted server does with the n-th request it receives (0-based), then answers every
/// later one with a token.
#[derive(Clone, Copy, Debug)]
enum Act {
    /// RST_STREAM REFUSED_STREAM: per RFC 9113, not processed.
    Refuse,
    /// Read the request, then end the connection (GOAWAY NO_ERROR naming this stream as
    /// processed, then close): the server took it, so the answer is lost, not refused.
    TakeThenClose,
    /// Answer 200 with a token.
    Answer,
}

struct ScriptedH2 {
    url: String,
    ca_pem: String,
    /// Requests received.
    received: Arc<AtomicU32>,
    /// Requests answered 200.
    answered: Arc<AtomicU32>,
}

impl ScriptedH2 {
    async fn start(script: Vec<Act>) -> Self {
        let ca = TestCa::new("h2 CA");
        let cert = ca.issue(Leaf::loopback());
        let mut config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(cert.chain, cert.key)
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let url = format!(
            "https://127.0.0.1:{}/v1",
            listener.local_addr().unwrap().port()
        );
        let received = Arc::new(AtomicU32::new(0));
        let answered = Arc::new(AtomicU32::new(0));
        let (seen, done) = (received.clone(), answered.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    continue;
                };
                let Ok(mut connection) = h2::server::handshake(tls).await else {
                    continue;
                };
                let (script, seen, done) = (script.clone(), seen.clone(), done.clone());
                tokio::spawn(async move {
                    while let Some(Ok((request, mut respond))) = connection.accept().await {
                        let n = seen.fetch_add(1, Ordering::SeqCst) as usize;
                        let mut body = request.into_body();
                        match script.get(n).copied().unwrap_or(Act::Answer) {
                            Act::Refuse => respond.send_reset(h2::Reason::REFUSED_STREAM),
                            Act::TakeThenClose => {
                                while let Some(Ok(_)) = body.data().await {}
                                connection.abrupt_shutdown(h2::Reason::NO_ERROR);
                                let _ = std::future::poll_fn(|cx| connection.poll_closed(cx)).await;
                                return;
                            }
                            Act::Answer => {
                                while let Some(Ok(_)) = body.data().await {}
                                let head = http::Response::builder()
                                    .status(200)
                                    .header("content-type", "application/json")
                                    .body(())
                                    .unwrap();
                                let json = common::token_json("act_2h2", "pending", true);
                                if let Ok(mut stream) = respond.send_response(head, false) {
                                    let _ = stream.send_data(Bytes::from(json.to_string()), true);
                                    done.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                        }
                    }
                });
            }
        });
        Self {
            url,
            ca_pem: ca.pem,
            received,
            answered,
        }
    }

    fn client(&self) -> Clerk {
        Clerk::builder()
            .secret_key(common::KEY)
            .api_url(&self.url)
            .add_root_certificate_pem(&self.ca_pem)
            .retry_policy(common::fast_retries())
            .build()
            .unwrap()
    }
}

async fn create(clerk: &Clerk) -> Result<clerk_actor_tokens::ActorToken, Error> {
    clerk
        .actor_tokens()
        .create("user_2abc", Actor::new("user_2admin"))
        .send()
        .await
}

#[tokio::test]
async fn a_stream_the_server_refused_unprocessed_is_retried_even_for_a_create() {
    let server = ScriptedH2::start(vec![Act::Refuse]).await;
    let token = create(&server.client())
        .await
        .expect("the retry is answered");
    assert_eq!(token.id(), "act_2h2");
    assert_eq!(server.received.load(Ordering::SeqCst), 2);
    assert_eq!(server.answered.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refusal_on_every_attempt_ends_as_not_processed_and_not_ambiguous() {
    let server = ScriptedH2::start(vec![Act::Refuse; 8]).await;
    let error = create(&server.client()).await.unwrap_err();
    assert!(matches!(error, Error::NotProcessed { .. }), "{error:?}");
    assert!(!error.is_ambiguous(), "{error}");
    assert_eq!(
        Some(server.received.load(Ordering::SeqCst)),
        error.attempts()
    );
    assert!(error.to_string().contains("without processing"), "{error}");
}

#[tokio::test]
async fn a_create_the_server_took_before_the_connection_ended_is_ambiguous_and_not_replayed() {
    let server = ScriptedH2::start(vec![Act::TakeThenClose]).await;
    let error = create(&server.client()).await.unwrap_err();
    assert!(
        error.is_ambiguous(),
        "the server may have minted it: {error:?}"
    );
    assert_eq!(
        server.received.load(Ordering::SeqCst),
        1,
        "never sent again"
    );
}

#[tokio::test]
async fn a_revoke_the_server_took_before_the_connection_ended_is_retried() {
    let server = ScriptedH2::start(vec![Act::TakeThenClose]).await;
    let revoked = server
        .client()
        .actor_tokens()
        .revoke("act_2h2")
        .send()
        .await
        .expect("a revoke converges, so it is sent again");
    assert_eq!(revoked.id(), "act_2h2");
    assert_eq!(server.received.load(Ordering::SeqCst), 2);
}

/// A TLS fake, offering h2 or only HTTP/1.1, and a client of it without retries of its own
/// making: every call below is one attempt unless the rules allow more.
async fn tls_fake(http2: bool) -> (clerk_actor_tokens_fake::FakeClerk, Clerk) {
    let fake = clerk_actor_tokens_fake::FakeClerk::builder()
        .tls(true)
        .http2(http2)
        .start()
        .await
        .unwrap();
    let clerk = fake
        .client_builder()
        .retry_policy(common::fast_retries())
        .build()
        .unwrap();
    (fake, clerk)
}

/// One warm call, then 32 at once; returns the results of the 32.
async fn warm_then_burst(clerk: &Clerk) -> Vec<Result<clerk_actor_tokens::ActorToken, Error>> {
    create(clerk).await.expect("the warm call");
    let burst: Vec<_> = (0..32)
        .map(|_| {
            let clerk = clerk.clone();
            tokio::spawn(async move { create(&clerk).await })
        })
        .collect();
    let mut results = Vec::new();
    for call in burst {
        results.push(call.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http2_a_burst_after_a_warm_call_shares_its_one_connection() {
    let (fake, clerk) = tls_fake(true).await;
    for result in warm_then_burst(&clerk).await {
        result.expect("every call of the burst");
    }
    assert_eq!(fake.connections_opened(), 1, "33 calls, one h2 connection");
    assert_eq!(fake.token_count(), 33);
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http1_a_burst_opens_a_connection_per_concurrent_call() {
    let (fake, clerk) = tls_fake(false).await;
    for result in warm_then_burst(&clerk).await {
        result.expect("every call of the burst");
    }
    let opened = fake.connections_opened();
    println!("HTTP/1.1: 33 calls (32 at once) opened {opened} connections");
    // One request per connection at a time: the burst needs more than the warm one, up to one
    // each (a connection freed early can serve a later call of the burst).
    assert!((2..=33).contains(&opened), "{opened}");
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_during_an_http2_burst_replays_nothing_that_may_have_been_processed() {
    let (fake, clerk) = tls_fake(true).await;
    create(&clerk).await.expect("the warm call");
    // Held in the fake while the restart comes: every create is in flight when GOAWAY is sent.
    fake.inject(
        clerk_actor_tokens_fake::Fault::delay(std::time::Duration::from_millis(300))
            .on(clerk_actor_tokens_fake::Target::Create)
            .times(32),
    );
    let burst: Vec<_> = (0..32)
        .map(|_| {
            let clerk = clerk.clone();
            tokio::spawn(async move { create(&clerk).await })
        })
        .collect();
    while fake.pending_faults() > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let closed = fake.close_connections();
    let mut answered = 0;
    for call in burst {
        match call.await.unwrap() {
            Ok(_) => answered += 1,
            // Anything else must say that nothing was done: a refused stream that ran out of
            // attempts, never an ambiguous outcome for a create the fake processed.
            Err(e) => assert!(matches!(e, Error::NotProcessed { .. }), "{e:?}"),
        }
    }
    closed.await;
    assert_eq!(answered, 32, "a graceful restart answers what it took");
    assert_eq!(fake.token_count(), 33, "each create processed once");
    // After the restart, the next call opens a new connection.
    create(&clerk).await.expect("after the restart");
    assert_eq!(fake.connections_opened(), 2);
    fake.stop().await;
}
