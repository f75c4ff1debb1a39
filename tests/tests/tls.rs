//! TLS as a deployment meets it: a private CA the client is told to trust, and the handshake
//! failures that must say what is wrong (untrusted, wrong name, expired) without being ambiguous:
//! a create whose handshake failed sent nothing, and is not retried into the same failure.

mod common;

use std::sync::atomic::Ordering;

use clerk_actor_tokens::{Actor, Clerk, ConfigError, Error, TlsProblem};
use clerk_actor_tokens_fake::FakeClerk;
use common::tls::{Leaf, TestCa, TlsFront};

fn client(fake: &FakeClerk, url: &str, ca: Option<&TestCa>) -> Clerk {
    let mut builder = Clerk::builder().secret_key(fake.secret_key()).api_url(url);
    if let Some(ca) = ca {
        builder = builder.add_root_certificate_pem(&ca.pem);
    }
    builder.build().expect("a valid configuration")
}

async fn create(clerk: &Clerk) -> Result<clerk_actor_tokens::ActorToken, Error> {
    clerk
        .actor_tokens()
        .create("user_2tls", Actor::new("user_2admin"))
        .send()
        .await
}

#[tokio::test]
async fn a_private_ca_added_to_the_builder_is_trusted() {
    let fake = FakeClerk::start().await.unwrap();
    let ca = TestCa::new("private CA");
    let front = TlsFront::start(ca.issue(Leaf::loopback()), fake.local_addr()).await;
    for host in ["127.0.0.1", "localhost"] {
        let clerk = client(&fake, &front.url(host), Some(&ca));
        let token = create(&clerk)
            .await
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        assert_eq!(fake.token(token.id()).unwrap().user_id, "user_2tls");
    }
    fake.stop().await;
}

/// The failed handshake's error: the problem, said in the message, not ambiguous, one attempt,
/// and nothing reached the server.
async fn assert_refused_handshake(
    leaf: Leaf,
    trusted: bool,
    host: &str,
    problem: TlsProblem,
    says: &str,
) {
    let fake = FakeClerk::start().await.unwrap();
    let ca = TestCa::new("the server's CA");
    let front = TlsFront::start(ca.issue(leaf), fake.local_addr()).await;
    let clerk = client(&fake, &front.url(host), trusted.then_some(&ca));
    let error = create(&clerk).await.unwrap_err();
    assert_eq!(error.tls_problem(), Some(problem), "{error:?}");
    assert!(matches!(error, Error::Tls { attempts: 1, .. }), "{error:?}");
    assert!(!error.is_ambiguous(), "nothing was sent: {error}");
    let message = error.to_string();
    assert!(message.contains(says), "{message}");
    assert!(message.contains("nothing was sent"), "{message}");
    assert_eq!(front.handshakes.load(Ordering::SeqCst), 0);
    assert_eq!(
        front.connections.load(Ordering::SeqCst),
        1,
        "a certificate problem is not retried: it would fail the same way"
    );
    assert_eq!(fake.token_count(), 0);
    fake.stop().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_said_to_be_untrusted() {
    assert_refused_handshake(
        Leaf::loopback(),
        false,
        "127.0.0.1",
        TlsProblem::UntrustedCertificate,
        "not trusted",
    )
    .await;
}

#[tokio::test]
async fn a_certificate_for_another_name_is_said_to_be_for_another_name() {
    let leaf = Leaf {
        names: vec!["api.other.example"],
        validity: None,
    };
    assert_refused_handshake(
        leaf,
        true,
        "localhost",
        TlsProblem::WrongHostName,
        "not valid for this host name",
    )
    .await;
}

#[tokio::test]
async fn an_expired_certificate_is_said_to_have_expired() {
    let leaf = Leaf {
        validity: Some(((2020, 1, 1), (2021, 1, 1))),
        ..Leaf::loopback()
    };
    assert_refused_handshake(leaf, true, "127.0.0.1", TlsProblem::Expired, "has expired").await;
}

#[test]
fn a_root_certificate_that_cannot_be_used_is_a_configuration_error() {
    let build = |builder: clerk_actor_tokens::ClerkBuilder| {
        builder
            .secret_key("sk_test_example")
            .api_url("https://clerk.internal.example")
            .build()
            .map(drop)
    };
    let not_pem = build(Clerk::builder().add_root_certificate_pem("sk_test_not_a_certificate"));
    let Err(Error::Config(ConfigError::RootCertificate { reason })) = not_pem else {
        panic!("{not_pem:?}")
    };
    assert!(
        !reason.contains("sk_test"),
        "the input is never shown: {reason}"
    );
    let custom = build(
        Clerk::builder()
            .http_client(reqwest::Client::new())
            .add_root_certificate_pem(TestCa::new("ca").pem),
    );
    assert!(
        matches!(
            custom,
            Err(Error::Config(ConfigError::RootCertificate { .. }))
        ),
        "a client the SDK did not build is not changed: {custom:?}"
    );
}
