//! What tracing records for a call: operation, attempts, status, trace id, duration, retries, and
//! never a key, token or url. Its own test binary, because a thread-scoped subscriber races with
//! tracing's per-callsite interest cache when other tests run in parallel threads.

mod common;

use clerk_actor_tokens::Actor;
use common::captured::Captured;
use common::*;
use httpmock::prelude::*;

#[tokio::test]
async fn tracing_records_the_call_but_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/v1/actor_tokens");
            then.status(200)
                .header("clerk-trace-id", "tr_create")
                .json_body(token_json("act_1", "pending", true));
        })
        .await;
    let flaky = server
        .mock_async(|when, then| {
            when.path("/v1/actor_tokens/act_1/revoke");
            then.status(503)
                .json_body(clerk_errors("service_unavailable", None));
        })
        .await;
    flaky.up_to_n_times_async(1).await;
    server
        .mock_async(|when, then| {
            when.path("/v1/actor_tokens/act_1/revoke");
            then.status(400)
                .json_body(clerk_errors("actor_token_already_used", Some("tr_x")));
        })
        .await;

    // A token provider that logs, as one fetching the key from a secret manager would: it runs
    // inside the attempt, so its event must nest under the call's span.
    let clerk = builder(&server.base_url())
        .async_token_provider(|| async {
            tracing::info!("fetching the key");
            Ok::<_, std::convert::Infallible>(KEY)
        })
        .build()
        .unwrap();
    let token = clerk
        .actor_tokens()
        .create("user_2abc", Actor::new("user_2admin"))
        .send()
        .await
        .unwrap();
    assert_no_secret(&format!("{token:?}"));
    let e = clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap_err();
    assert_no_secret(&format!("{e} {e:?}"));

    let log = captured.text();
    assert_no_secret(&log);
    assert!(log.contains("CreateActorToken"), "{log}");
    assert!(log.contains("RevokeActorToken"), "{log}");
    assert!(log.contains("tr_create"), "the trace id is recorded: {log}");
    assert!(log.contains("http.response.status_code=503"), "{log}");
    assert!(log.contains("http.request.resend_count=1"), "{log}");
    assert!(log.contains("retrying"), "retries are logged: {log}");
    assert!(log.contains("attempt=2"), "{log}");
    assert!(log.contains("attempts=2"), "the call span sums up: {log}");
    assert!(
        !log.contains("attempt=1 attempt=2"),
        "a field recorded twice: {log}"
    );
    assert!(log.contains("actor token call succeeded"), "{log}");
    assert!(log.contains("duration_ms"), "{log}");
    let provider_line = log
        .lines()
        .find(|line| line.contains("fetching the key"))
        .unwrap_or_else(|| panic!("the provider's event: {log}"));
    assert!(
        provider_line.contains("clerk.actor_tokens{")
            && provider_line.contains("operation=\"CreateActorToken\""),
        "events inside an attempt nest under the call span: {provider_line}"
    );
}
