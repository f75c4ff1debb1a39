//! The SDK's spans as an OpenTelemetry user receives them: through tracing-opentelemetry into the
//! OpenTelemetry SDK's in-memory exporter, against the fake. Each call's span must follow the
//! HTTP client semantic conventions (name, kind, attributes, status) and hold no secret. Its own
//! test binary: the subscriber is process-wide (a thread-scoped one races with tracing's
//! per-callsite interest cache when other tests run in parallel).

use std::collections::HashMap;
use std::time::Duration;

use clerk_actor_tokens::{Actor, RetryPolicy};
use clerk_actor_tokens_fake::{FakeClerk, Fault, Target};
use opentelemetry::trace::{SpanKind, Status, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt as _;

/// A span's attributes by key.
fn attributes(span: &SpanData) -> HashMap<String, Value> {
    span.attributes
        .iter()
        .map(|KeyValue { key, value, .. }| (key.as_str().to_string(), value.clone()))
        .collect()
}

fn text(attrs: &HashMap<String, Value>, key: &str) -> String {
    attrs
        .get(key)
        .unwrap_or_else(|| panic!("attribute {key} missing: {attrs:?}"))
        .as_str()
        .into_owned()
}

fn int(attrs: &HashMap<String, Value>, key: &str) -> i64 {
    match attrs.get(key) {
        Some(Value::I64(n)) => *n,
        other => panic!("attribute {key} is not an integer: {other:?} in {attrs:?}"),
    }
}

#[tokio::test]
async fn spans_follow_the_http_client_conventions_and_hold_no_secret() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("otel-test")));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let fake = FakeClerk::start().await.unwrap();
    let clerk = fake
        .client_builder()
        .retry_policy(RetryPolicy::default().with_max_attempts(1))
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let token = clerk
        .actor_tokens()
        .create("user_2otel", Actor::new("user_2admin"))
        .send()
        .await
        .unwrap();
    let secrets = [
        token
            .token()
            .expect("a create answer has the ticket")
            .expose()
            .to_string(),
        token.url().expect("and the url").expose().to_string(),
        fake.secret_key().expose().to_string(),
    ];
    clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap();
    let refused = clerk
        .actor_tokens()
        .revoke(token.id())
        .send()
        .await
        .unwrap_err();
    assert!(refused.is_not_revocable(), "{refused}");
    fake.inject(Fault::delay(Duration::from_secs(5)).on(Target::Create));
    let timed_out = clerk
        .actor_tokens()
        .create("user_2otel", Actor::new("user_2admin"))
        .send()
        .await
        .unwrap_err();
    assert!(
        timed_out.is_timeout() && timed_out.is_ambiguous(),
        "{timed_out}"
    );

    provider.force_flush().unwrap();
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 4, "one span per call: {spans:#?}");
    let port = i64::from(fake.local_addr().port());
    for span in &spans {
        let attrs = attributes(span);
        assert_eq!(span.span_kind, SpanKind::Client, "{span:#?}");
        assert_eq!(text(&attrs, "server.address"), "127.0.0.1");
        assert_eq!(int(&attrs, "server.port"), port);
        assert_eq!(text(&attrs, "http.request.method"), "POST");
        // Known from the request (a create) or the answer (a revoke that succeeded).
        if span.name == "POST /v1/actor_tokens" || span.status == Status::Unset {
            assert_eq!(text(&attrs, "user_id"), "user_2otel", "{attrs:?}");
            assert_eq!(text(&attrs, "actor.sub"), "user_2admin", "{attrs:?}");
        }
        // Nothing the exporter sends holds a secret: attributes, events, status.
        let everything = format!("{span:?}");
        for secret in &secrets {
            assert!(
                !everything.contains(secret.as_str()),
                "a secret in {everything}"
            );
        }
        assert!(
            !text(&attrs, "url.template").contains("act_"),
            "the template keeps its placeholders: {attrs:?}"
        );
    }

    let [create, revoke, refused_span, timed_out_span] = &spans[..] else {
        unreachable!()
    };
    // The create: named after its template, status unset (success), the 200 and the token id.
    let attrs = attributes(create);
    assert_eq!(create.name, "POST /v1/actor_tokens");
    assert_eq!(text(&attrs, "url.template"), "/v1/actor_tokens");
    assert_eq!(int(&attrs, "http.response.status_code"), 200);
    assert_eq!(text(&attrs, "actor_token.id"), token.id());
    assert_eq!(create.status, Status::Unset);
    assert!(!attrs.contains_key("error.type") && !attrs.contains_key("http.request.resend_count"));

    let attrs = attributes(revoke);
    assert_eq!(revoke.name, "POST /v1/actor_tokens/{actor_token_id}/revoke");
    assert_eq!(
        text(&attrs, "url.template"),
        "/v1/actor_tokens/{actor_token_id}/revoke"
    );
    assert_eq!(int(&attrs, "http.response.status_code"), 200);
    assert_eq!(text(&attrs, "actor_token.id"), token.id());
    assert_eq!(revoke.status, Status::Unset);

    // A 4xx is an error of a client span; `error.type` is the status code.
    let attrs = attributes(refused_span);
    assert_eq!(int(&attrs, "http.response.status_code"), 400);
    assert_eq!(text(&attrs, "error.type"), "400");
    assert_eq!(
        Some(text(&attrs, "clerk.trace_id").as_str()),
        refused.trace_id()
    );
    assert_eq!(
        refused_span.status,
        Status::error(refused.to_string()),
        "the status says what the error says"
    );

    // The timed-out create: no status code came back, `error.type` names the timeout.
    let attrs = attributes(timed_out_span);
    assert_eq!(timed_out_span.name, "POST /v1/actor_tokens");
    assert!(
        !attrs.contains_key("http.response.status_code"),
        "{attrs:?}"
    );
    assert_eq!(text(&attrs, "error.type"), "timeout");
    match &timed_out_span.status {
        Status::Error { description } => {
            assert!(description.contains("timed out"), "{description}")
        }
        other => panic!("not an error status: {other:?}"),
    }
    fake.stop().await;
}
