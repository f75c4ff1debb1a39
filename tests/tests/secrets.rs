//! No secret in any message, for secrets given where they do not belong: a ticket or a sign-in
//! url passed as an actor token id, a key or a ticket inside an API URL, a ticket or a url given
//! as the secret key (directly or by a token provider). Neither the `Display` nor the `Debug` of
//! any error or builder, nor any event at TRACE (the SDK's own and what reqwest and httpmock log,
//! `log` records bridged into tracing as applications do), contains them.

mod common;

use std::sync::Once;

use clerk_actor_tokens::{Clerk, Error};
use clerk_actor_tokens_httpmock::{MockServerExt, types};
use common::captured::Captured;
use common::{KEY, token_json};
use httpmock::MockServer;
use proptest::prelude::*;

/// The shapes a credential of Clerk's takes when it ends up in the wrong place.
fn placements(secret: &str) -> Vec<String> {
    vec![
        // A ticket (a token's `token`).
        secret.to_string(),
        // A sign-in url.
        format!("https://accounts.example.dev/v1/tickets/accept?ticket={secret}"),
        // A key of the wrong kind, or one that is not a header value.
        format!("pk_live_{secret}"),
        format!("sk_test_{secret} x"),
    ]
}

fn urls(secret: &str) -> Vec<String> {
    vec![
        format!("https://user:{secret}@api.clerk.com"),
        format!("https://{secret}@api.clerk.com"),
        format!("https://api.clerk.com/?ticket={secret}"),
        format!("https://api.clerk.com/v1#{secret}"),
        format!("http://user:{secret}@example.com"),
        format!("ftp://user:{secret}@api.clerk.com"),
        secret.to_string(),
        format!("https://accounts.example.dev/v1/tickets/accept?ticket={secret}"),
    ]
}

fn bridge_log_into_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| tracing_log::LogTracer::init().expect("the only logger of this test"));
}

/// Runs `f` with every event at TRACE of this thread recorded, and returns what was recorded.
fn traced(f: impl FnOnce()) -> String {
    bridge_log_into_tracing();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    captured.text()
}

fn shown(e: &Error) -> String {
    format!("{e} {e:?} {:?}", std::error::Error::source(e))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_secret_in_the_wrong_place_is_never_shown(secret in "SECRET[A-Za-z0-9]{8,24}") {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut texts = Vec::new();
        let events = traced(|| runtime.block_on(async {
            // A real server, so that reqwest and httpmock have something to log: one good
            // revoke goes through, the mistakes around it never leave the process.
            let server = MockServer::start_async().await;
            let revoked: types::ActorToken =
                serde_json::from_value(token_json("act_1", "revoked", false)).unwrap();
            let mock = server.revoke_actor_token(|when, then| {
                when.actor_token_id("act_1");
                then.ok(&revoked);
            });
            let clerk = Clerk::builder().secret_key(KEY).api_url(server.base_url()).build().unwrap();
            clerk.actor_tokens().revoke("act_1").send().await.unwrap();

            for wrong in placements(&secret) {
                // As an actor token id.
                let revoke = clerk.actor_tokens().revoke(wrong.clone());
                texts.push(format!("{revoke:?}"));
                let e = revoke.send().await.unwrap_err();
                assert!(matches!(e, Error::InvalidInput(_)), "{e}");
                texts.push(shown(&e));
                // As a session id.
                let get = clerk.sessions().get(wrong.clone());
                texts.push(format!("{get:?}"));
                let e = get.send().await.unwrap_err();
                assert!(matches!(e, Error::InvalidInput(_)), "{e}");
                texts.push(shown(&e));
                let revoke = clerk.sessions().revoke(wrong.clone());
                texts.push(format!("{revoke:?}"));
                texts.push(shown(&revoke.send().await.unwrap_err()));
                // As the secret key, and from a token provider.
                let builder = Clerk::builder().secret_key(wrong.clone()).api_url(server.base_url());
                texts.push(format!("{builder:?}"));
                texts.push(shown(&builder.build().unwrap_err()));
                let answer = wrong.clone();
                let clerk = Clerk::builder()
                    .token_provider(move || Ok::<_, String>(answer.clone()))
                    .api_url(server.base_url())
                    .build()
                    .unwrap();
                texts.push(format!("{clerk:?}"));
                let e = clerk.actor_tokens().revoke("act_1").send().await.unwrap_err();
                texts.push(shown(&e));
            }
            for url in urls(&secret) {
                let builder = Clerk::builder().secret_key(KEY).api_url(url);
                texts.push(format!("{builder:?}"));
                texts.push(shown(&builder.build().unwrap_err()));
            }
            // Exactly the one good request reached the server.
            assert_eq!(mock.calls(), 1);
        }));
        for text in texts.iter().chain(std::iter::once(&events)) {
            prop_assert!(!text.contains(&secret), "{secret} shown in: {text}");
        }
        // The capture saw the bridged `log` records too (so the check above covers them).
        prop_assert!(events.contains("reqwest"), "{events}");
    }
}
