//! The fake over HTTPS (feature `tls`): HTTP/2 by ALPN or HTTP/1.1, its CA, handshakes that fail
//! without harming others, connection counts, and `close_connections` during an HTTP/2 burst:
//! no request is processed without its answer reaching the client.
#![cfg(feature = "tls")]

use std::error::Error as _;
use std::time::Duration;

use clerk_actor_tokens_fake::{FakeClerk, Fault, TEST_SECRET_KEY, Target};
use reqwest::Version;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

async fn tls_fake(http2: bool) -> FakeClerk {
    FakeClerk::builder()
        .tls(true)
        .http2(http2)
        .start()
        .await
        .unwrap()
}

/// A client that trusts only the fake's CA.
fn trusting(fake: &FakeClerk) -> reqwest::ClientBuilder {
    let pem = fake.ca_certificate_pem().expect("a TLS fake has a CA");
    let ca = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    reqwest::Client::builder().tls_certs_only([ca])
}

fn origin(fake: &FakeClerk) -> &str {
    fake.base_url().strip_suffix("/v1").unwrap()
}

async fn stats(client: &reqwest::Client, fake: &FakeClerk) -> (Version, Value) {
    let response = client
        .get(format!("{}/__fake/stats", origin(fake)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let version = response.version();
    let body = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    (version, body)
}

fn create(client: &reqwest::Client, fake: &FakeClerk, n: usize) -> reqwest::RequestBuilder {
    client
        .post(format!("{}/actor_tokens", fake.base_url()))
        .bearer_auth(TEST_SECRET_KEY)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"user_id": "user_{n}", "actor": {{"sub": "user_admin"}}}}"#
        ))
}

/// The token id of a create's answer.
async fn created_id(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn https_speaks_http2_by_default_with_the_same_router() {
    let fake = tls_fake(true).await;
    assert!(
        fake.base_url().starts_with("https://127.0.0.1:"),
        "{}",
        fake.base_url()
    );
    let pem = fake.ca_certificate_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let client = trusting(&fake).build().unwrap();
    let (version, body) = stats(&client, &fake).await;
    assert_eq!(version, Version::HTTP_2);
    assert_eq!(body["connections_opened"], 1, "{body}");

    let response = create(&client, &fake, 1).send().await.unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    let id = created_id(response).await;
    assert_eq!(fake.token(&id).unwrap().user_id, "user_1");
    // Sign-in urls point at the fake over https too.
    let url = fake.token(&id).unwrap().url;
    assert!(url.expose().starts_with(origin(&fake)), "{}", url.expose());

    // Clerk's errors are the same over h2: no key is 401.
    let response = client
        .post(format!("{}/actor_tokens", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    fake.stop().await;
}

#[tokio::test]
async fn without_http2_alpn_offers_only_http1() {
    let fake = tls_fake(false).await;
    let client = trusting(&fake).build().unwrap();
    let (version, _) = stats(&client, &fake).await;
    assert_eq!(version, Version::HTTP_11);
    let response = create(&client, &fake, 1).send().await.unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
    created_id(response).await;
    fake.stop().await;
}

#[tokio::test]
async fn failed_handshakes_only_end_their_own_connection() {
    let fake = tls_fake(true).await;
    // A client that trusts another fake's CA (each start makes its own) fails the handshake.
    let other = tls_fake(true).await;
    assert_ne!(other.ca_certificate_pem(), fake.ca_certificate_pem());
    let untrusting = trusting(&other).build().unwrap();
    let error = untrusting
        .get(format!("{}/__fake/stats", origin(&fake)))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    // Plain HTTP to the TLS port, and a client that connects and says nothing.
    let mut plain = TcpStream::connect(fake.local_addr()).await.unwrap();
    plain
        .write_all(b"GET /__fake/stats HTTP/1.1\r\nHost: fake\r\n\r\n")
        .await
        .unwrap();
    let _silent = TcpStream::connect(fake.local_addr()).await.unwrap();

    let client = trusting(&fake).build().unwrap();
    let (_, body) = stats(&client, &fake).await;
    assert_eq!(body["connections_opened"], 4, "{body}");
    // The refused ones are closed; the silent one waits for its handshake (10 s at most).
    assert!(body["connections_open"].as_u64().unwrap() <= 2, "{body}");
    fake.stop().await;
}

#[test]
fn without_tls_there_is_no_ca() {
    let fake = FakeClerk::start_blocking().unwrap();
    assert_eq!(fake.ca_certificate_pem(), None);
    assert!(fake.base_url().starts_with("http://"));
    fake.stop_blocking();
}

#[tokio::test]
async fn one_client_uses_one_connection_and_separate_clients_their_own() {
    for http2 in [true, false] {
        let fake = tls_fake(http2).await;
        let client = trusting(&fake).build().unwrap();
        for n in 0..5 {
            created_id(create(&client, &fake, n).send().await.unwrap()).await;
        }
        assert_eq!(fake.connections_opened(), 1, "http2: {http2}");
        let other = trusting(&fake).build().unwrap();
        created_id(create(&other, &fake, 9).send().await.unwrap()).await;
        assert_eq!(fake.connections_opened(), 2, "http2: {http2}");
        assert_eq!(fake.token_count(), 6);
        fake.stop().await;
    }
}

/// The HTTP/2 error among a failed request's causes.
fn h2_error(error: &reqwest::Error) -> Option<&h2::Error> {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(h2) = cause.downcast_ref::<h2::Error>() {
            return Some(h2);
        }
        source = cause.source();
    }
    None
}

/// Whether a failed request is one the server refused unprocessed on HTTP/2: streams past a
/// GOAWAY's last stream id, or reset with `REFUSED_STREAM` (RFC 9113, section 8.7).
fn refused_unprocessed(error: &reqwest::Error) -> bool {
    h2_error(error).is_some_and(|h2| {
        h2.is_remote()
            && ((h2.is_go_away() && h2.reason() == Some(h2::Reason::NO_ERROR))
                || (h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM)))
    })
}

/// 32 creates on one HTTP/2 connection, sent 3 ms apart and each held 60 ms by a fault, and
/// `close_connections` once 4 are held: those are in flight at the GOAWAY, some are sent around
/// it, the rest after it. Returns the ids answered and how many failed as refused. (Refusals are
/// rare: hyper's graceful shutdown sends a first GOAWAY that stops new streams and takes every
/// stream sent before the client saw it; only a stream racing it would be refused.)
async fn burst_across_close(fake: &FakeClerk, client: &reqwest::Client) -> (Vec<String>, usize) {
    // The connection first, so that the burst shares it instead of racing to open its own.
    stats(client, fake).await;
    assert_eq!(fake.connections_opened(), 1);
    fake.inject(
        Fault::delay(Duration::from_millis(60))
            .on(Target::Create)
            .times(32),
    );
    let mut burst = tokio::task::JoinSet::new();
    for n in 0..32 {
        let request = create(client, fake, n);
        burst.spawn(async move {
            tokio::time::sleep(Duration::from_millis(3 * n as u64)).await;
            request.send().await
        });
    }
    // Until some creates are held by their fault (taken: being processed), whatever the load.
    while fake.pending_faults() > 28 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let taken = 32 - fake.pending_faults();
    tokio::time::timeout(Duration::from_secs(5), fake.close_connections())
        .await
        .expect("in-flight requests end within the grace");
    // Each create being processed at the call finished before the close did.
    assert!(
        fake.token_count() >= taken as usize,
        "{} < {taken}",
        fake.token_count()
    );
    let (mut answered, mut refused) = (Vec::new(), 0);
    while let Some(result) = burst.join_next().await {
        match result.unwrap() {
            Ok(response) => {
                assert_eq!(response.version(), Version::HTTP_2);
                answered.push(created_id(response).await);
            }
            Err(error) if refused_unprocessed(&error) => refused += 1,
            Err(error) => panic!("neither answered nor refused unprocessed: {error:?}"),
        }
    }
    assert!(
        fake.connections_opened() >= 2,
        "requests after the GOAWAY went to a new connection"
    );
    (answered, refused)
}

fn assert_stored_exactly(fake: &FakeClerk, answered: &mut [String]) {
    let mut stored: Vec<String> = fake.tokens().into_iter().map(|t| t.id).collect();
    stored.sort();
    answered.sort();
    assert_eq!(stored, answered, "processed == answered");
}

#[tokio::test]
async fn close_connections_during_an_http2_burst_answers_or_refuses_each_request() {
    let fake = tls_fake(true).await;
    let client = trusting(&fake)
        .retry(reqwest::retry::never())
        .build()
        .unwrap();
    let (mut answered, refused) = burst_across_close(&fake, &client).await;
    assert_eq!(answered.len() + refused, 32);
    assert!(
        answered.len() >= 4,
        "those in flight at the close were answered: {}",
        answered.len()
    );
    assert_stored_exactly(&fake, &mut answered);
    fake.stop().await;
}

#[tokio::test]
async fn a_client_that_resends_refused_requests_gets_every_answer_once() {
    let fake = tls_fake(true).await;
    // reqwest's default: a request refused by GOAWAY or REFUSED_STREAM is sent again.
    let client = trusting(&fake).build().unwrap();
    let (mut answered, refused) = burst_across_close(&fake, &client).await;
    assert_eq!((answered.len(), refused), (32, 0));
    // Had the fake processed a refused request, its resend would have made a 33rd token.
    assert_stored_exactly(&fake, &mut answered);
    fake.stop().await;
}

#[tokio::test]
async fn a_dropped_connection_fault_on_http2_resets_only_its_stream() {
    let fake = tls_fake(true).await;
    let client = trusting(&fake)
        .retry(reqwest::retry::never())
        .build()
        .unwrap();
    stats(&client, &fake).await;
    fake.inject(Fault::delay(Duration::from_millis(200)).on(Target::Create));
    let slow = tokio::spawn(create(&client, &fake, 1).send());
    tokio::time::sleep(Duration::from_millis(50)).await;
    fake.inject(Fault::drop_connection().on(Target::Revoke));
    let error = client
        .post(format!("{}/actor_tokens/act_x/revoke", fake.base_url()))
        .bearer_auth(TEST_SECRET_KEY)
        .send()
        .await
        .unwrap_err();
    let reset = h2_error(&error).unwrap_or_else(|| panic!("an h2 error: {error:?}"));
    assert!(reset.is_reset() && reset.is_remote(), "{reset:?}");
    assert_eq!(reset.reason(), Some(h2::Reason::INTERNAL_ERROR));
    // The other request on the connection is answered, and the connection stays.
    created_id(slow.await.unwrap().unwrap()).await;
    stats(&client, &fake).await;
    assert_eq!(fake.connections_opened(), 1);
    fake.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_starts_its_handshake_is_dropped_after_10_s() {
    use tokio::io::AsyncReadExt;
    let fake = tls_fake(true).await;
    let mut silent = TcpStream::connect(fake.local_addr()).await.unwrap();
    while fake.connections_opened() == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(fake.connections_open(), 1);
    let started = tokio::time::Instant::now();
    // The paused clock jumps to the fake's next timer, the handshake timeout.
    let mut buf = [0u8; 1];
    assert_eq!(silent.read(&mut buf).await.unwrap(), 0, "closed");
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(9)..Duration::from_secs(11)).contains(&waited),
        "{waited:?}"
    );
    assert_eq!(fake.connections_open(), 0);
    fake.stop().await;
}
