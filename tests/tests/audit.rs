//! The audit trail: who impersonated whom, which token, until when, and Clerk's trace id of the
//! answer, in the call span and in one audit event per call that the README's recipe writes to a
//! log; never a key, token or url. Its own test binary: a thread-scoped subscriber races with
//! tracing's per-callsite interest cache when other tests run in parallel threads.

mod common;

use clerk_actor_tokens::{AUDIT_TARGET, Actor, RetryPolicy};
use clerk_actor_tokens_httpmock::{MockServerExt, clerk_errors};
use common::captured::Captured;
use common::*;
use httpmock::MockServer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::prelude::*;

#[tokio::test]
async fn the_audit_log_says_who_impersonated_whom_and_never_a_secret() {
    let audit = Captured::default();
    let spans = Captured::default();
    let (audit_writer, span_writer) = (audit.clone(), spans.clone());
    let subscriber = tracing_subscriber::registry()
        // The README's recipe: only the audit events, one line each.
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || audit_writer.clone())
                .with_filter(Targets::new().with_target(AUDIT_TARGET, tracing::Level::INFO)),
        )
        // Everything, with the call span's fields when it closes.
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_span_events(FmtSpan::CLOSE)
                .with_writer(move || span_writer.clone())
                .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
        );
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    let wire = |id: &str, status: &str| -> clerk_actor_tokens::raw::types::ActorToken {
        serde_json::from_value(token_json(id, status, true)).unwrap()
    };
    server.create_actor_token(|when, then| {
        when.into_inner()
            .json_body_includes(r#"{"user_id": "user_2abc"}"#);
        then.into_inner()
            .status(200)
            .header("clerk-trace-id", "tr_create")
            .json_body_obj(&wire("act_1", "pending"));
    });
    server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_1");
        then.ok(&wire("act_1", "revoked"));
    });
    server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_used");
        then.bad_request(&clerk_errors(
            clerk_actor_tokens::CANNOT_REVOKE_CODE,
            "Only pending tokens can be revoked.",
        ));
    });
    server.create_actor_token(|when, then| {
        when.into_inner()
            .json_body_includes(r#"{"user_id": "user_lost"}"#);
        then.into_inner()
            .status(502)
            .body("<html>bad gateway</html>");
    });

    let clerk = builder(&server.base_url())
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let token = clerk
        .actor_tokens()
        .create(
            "user_2abc",
            Actor::new("user_2admin").claim("reason", "ticket 4411"),
        )
        .expires_in(std::time::Duration::from_secs(600))
        .send()
        .await
        .unwrap();
    // The answer's trace id and the expiry the request asked for are on the token.
    assert_eq!(token.trace_id(), Some("tr_create"));
    assert_eq!(token.expires_at(), Some(token.created_at() + 600_000));
    clerk.actor_tokens().revoke("act_1").send().await.unwrap();
    clerk
        .actor_tokens()
        .revoke("act_used")
        .send()
        .await
        .unwrap_err();
    let lost = clerk
        .actor_tokens()
        .create("user_lost", Actor::new("user_2admin"))
        .send()
        .await
        .unwrap_err();
    assert!(lost.is_ambiguous(), "{lost}");

    let audit = audit.text();
    let spans = spans.text();
    assert_no_secret(&audit);
    assert_no_secret(&spans);
    let lines: Vec<&str> = audit.lines().collect();
    assert_eq!(lines.len(), 4, "one audit line per call: {audit}");

    let created = lines[0];
    for expected in [
        "actor token created",
        "CreateActorToken",
        "user_id=user_2abc",
        "actor.sub=user_2admin",
        "actor_token.id=act_1",
        &format!("actor_token.expires_at={}", token.created_at() + 600_000),
        "clerk.trace_id=tr_create",
    ] {
        assert!(
            created.contains(expected),
            "{expected:?} missing: {created}"
        );
    }
    assert!(created.contains(" INFO "), "{created}");

    let revoked = lines[1];
    for expected in [
        "actor token revoked",
        "RevokeActorToken",
        "actor_token.id=act_1",
        "user_id=user_2abc",
        "actor.sub=user_2admin",
    ] {
        assert!(
            revoked.contains(expected),
            "{expected:?} missing: {revoked}"
        );
    }

    let refused = lines[2];
    assert!(refused.contains("actor token call failed"), "{refused}");
    assert!(refused.contains("actor_token.id=act_used"), "{refused}");
    assert!(
        refused.contains(clerk_actor_tokens::CANNOT_REVOKE_CODE),
        "{refused}"
    );

    // A create that may have happened is what an audit most needs to see.
    let ambiguous = lines[3];
    assert!(ambiguous.contains(" WARN "), "{ambiguous}");
    assert!(ambiguous.contains("may or may not"), "{ambiguous}");
    assert!(ambiguous.contains("user_id=user_lost"), "{ambiguous}");
    assert!(ambiguous.contains("actor.sub=user_2admin"), "{ambiguous}");

    // The call span carries the same facts, once each.
    let create_span = spans
        .lines()
        .find(|l| {
            l.contains("close")
                && l.contains("actor_token.id=act_1")
                && l.contains("CreateActorToken")
        })
        .unwrap_or_else(|| panic!("no closed create span: {spans}"));
    for expected in [
        "user_id=user_2abc",
        "actor.sub=user_2admin",
        "actor_token.expires_at=",
        "tr_create",
    ] {
        assert!(
            create_span.contains(expected),
            "{expected:?} missing: {create_span}"
        );
        assert_eq!(
            create_span.matches(expected).count(),
            1,
            "{expected:?} recorded twice: {create_span}"
        );
    }
}
