//! The session operations against the typed mocks: what goes on the wire (the paginated form,
//! the filters, the ids), what comes back (`Session`, `SessionPage`), walking every page, the
//! retry rules (reads and a session's revoke are safe to repeat), ids and filters refused before
//! sending, the audit event, and the blocking twin.

mod common;

use std::time::Duration;

use clerk_actor_tokens::raw::types as wire;
use clerk_actor_tokens::{Error, InputError, RetryPolicy, Session, SessionPage, SessionStatus};
use clerk_actor_tokens_httpmock::{MockServerExt, clerk_errors};
use common::captured::{Captured, capture_this_thread};
use common::*;
use httpmock::MockServer;

fn session(id: &str, status: &str, actor: Option<&str>) -> Session {
    let mut json = serde_json::json!({
        "id": id, "user_id": "user_2abc", "client_id": "client_1", "status": status,
        "last_active_at": 1_700_000_000_000_i64, "expire_at": 1_700_001_800_000_i64,
        "abandon_at": 1_700_000_600_000_i64, "created_at": 1_700_000_000_000_i64,
        "updated_at": 1_700_000_000_000_i64
    });
    if let Some(sub) = actor {
        json["actor"] = serde_json::json!({"sub": sub, "reason": "ticket 1"});
    }
    serde_json::from_value(json).unwrap()
}

fn page(sessions: Vec<Session>, total: u64) -> wire::GetSessionListResponse {
    SessionPage::new(sessions, total).into()
}

#[tokio::test]
async fn a_list_asks_for_the_paginated_form_with_its_filters() {
    let server = MockServer::start_async().await;
    let list = server.get_session_list(|when, then| {
        when.user_id("user_2abc")
            .status(wire::GetSessionListStatus::Active)
            .paginated(true)
            .limit(std::num::NonZeroU64::new(2))
            .offset(4);
        then.ok(&page(
            vec![
                session("sess_1", "active", Some("user_2admin")),
                session("sess_2", "active", None),
            ],
            7,
        ));
    });
    let page = client(&server.base_url())
        .sessions()
        .list()
        .user_id("user_2abc")
        .status(SessionStatus::Active)
        .limit(2)
        .offset(4)
        .send()
        .await
        .unwrap();
    list.assert_async().await;
    assert_eq!(page.total_count(), 7);
    let [impersonation, own] = page.sessions() else {
        panic!("two sessions expected")
    };
    assert!(impersonation.is_impersonation() && impersonation.is_active());
    assert_eq!(impersonation.actor_sub(), Some("user_2admin"));
    assert_eq!(
        impersonation.actor().unwrap().claims()["reason"],
        "ticket 1"
    );
    assert!(!own.is_impersonation() && own.actor_sub().is_none());
    assert_eq!(own.expire_at(), 1_700_001_800_000);
}

#[tokio::test]
async fn send_all_walks_every_page_and_stops_at_a_short_one() {
    let server = MockServer::start_async().await;
    let pages: Vec<_> = [(0, 2), (2, 2), (4, 1)]
        .into_iter()
        .map(|(offset, n)| {
            let sessions = (0..n)
                .map(|i| {
                    session(
                        &format!("sess_{}", offset + i),
                        "active",
                        Some("user_2admin"),
                    )
                })
                .collect();
            server.get_session_list(move |when, then| {
                when.user_id("user_2abc")
                    .paginated(true)
                    .offset(offset as u64);
                then.ok(&page(sessions, 5));
            })
        })
        .collect();
    let all = client(&server.base_url())
        .sessions()
        .list()
        .user_id("user_2abc")
        .limit(2)
        .send_all()
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(Session::id).collect();
    assert_eq!(ids, ["sess_0", "sess_1", "sess_2", "sess_3", "sess_4"]);
    for mock in &pages {
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn get_and_revoke_name_the_session_and_map_clerks_refusals() {
    let server = MockServer::start_async().await;
    let get = server.get_session(|when, then| {
        when.session_id("sess_1");
        then.ok(&session("sess_1", "active", Some("user_2admin")).into());
    });
    let revoke = server.revoke_session(|when, then| {
        when.session_id("sess_1");
        then.ok(&session("sess_1", "revoked", Some("user_2admin")).into());
    });
    let missing = server.revoke_session(|when, then| {
        when.session_id("sess_404");
        then.not_found(&clerk_errors("resource_not_found", "Resource not found"));
    });
    let clerk = client(&server.base_url());
    let read = clerk.sessions().get("sess_1").send().await.unwrap();
    assert_eq!(read.status(), &SessionStatus::Active);
    let revoked = clerk.sessions().revoke("sess_1").send().await.unwrap();
    assert_eq!(revoked.status(), &SessionStatus::Revoked);
    let e = clerk
        .sessions()
        .revoke("sess_404")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_not_found() && !e.is_retryable(), "{e:?}");
    get.assert_async().await;
    revoke.assert_async().await;
    missing.assert_async().await;
}

#[tokio::test]
async fn reads_and_a_sessions_revoke_are_retried_like_a_token_revoke() {
    let server = MockServer::start_async().await;
    let unavailable = server.revoke_session(|when, then| {
        when.session_id("sess_1");
        then.into_inner().status(503).json_body(
            serde_json::to_value(clerk_errors("service_unavailable", "try later")).unwrap(),
        );
    });
    let clerk = builder(&server.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let e = clerk.sessions().revoke("sess_1").send().await.unwrap_err();
    // Three attempts (the policy's), never ambiguous: revoking a session twice converges.
    assert_eq!(e.attempts(), Some(3), "{e:?}");
    assert!(!e.is_ambiguous(), "{e:?}");
    unavailable.assert_calls_async(3).await;
    let once = clerk
        .sessions()
        .get("sess_1")
        .retry_policy(RetryPolicy::never())
        .send()
        .await
        .unwrap_err();
    assert_eq!(once.attempts(), Some(1));
}

#[tokio::test]
async fn ids_and_filters_are_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let anything = server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });
    let clerk = client(&server.base_url());
    let url = "https://accounts.example.dev/v1/tickets/accept?ticket=SECRET_TICKET";
    for e in [
        clerk.sessions().get(url).send().await.unwrap_err(),
        clerk.sessions().revoke("act_1").send().await.unwrap_err(),
    ] {
        assert!(
            matches!(e, Error::InvalidInput(InputError::InvalidSessionId { .. })),
            "{e:?}"
        );
        assert!(!format!("{e} {e:?}").contains("SECRET_TICKET"));
    }
    let e = clerk.sessions().list().send().await.unwrap_err();
    assert!(
        matches!(e, Error::InvalidInput(InputError::MissingSessionFilter)),
        "{e:?}"
    );
    let e = clerk
        .sessions()
        .list()
        .user_id("user_2abc")
        .status(SessionStatus::Pending)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidInput(InputError::UnsupportedSessionFilter)),
        "{e:?}"
    );
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_audit_event_says_whose_session_was_revoked() {
    let server = MockServer::start_async().await;
    server.revoke_session(|when, then| {
        when.session_id("sess_1");
        then.ok(&session("sess_1", "revoked", Some("user_2admin")).into());
    });
    let clerk = client(&server.base_url());
    let captured = Captured::default();
    {
        let _audit = capture_this_thread(&captured);
        clerk.sessions().revoke("sess_1").send().await.unwrap();
    }
    let audit = captured.text();
    for field in [
        r#"operation="RevokeSession""#,
        r#"outcome="revoked""#,
        "session.id=sess_1",
        "user_id=user_2abc",
        "actor.sub=user_2admin",
    ] {
        assert!(audit.contains(field), "{field} missing: {audit}");
    }
}

#[test]
fn the_blocking_twin_lists_and_revokes_from_a_plain_thread() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(MockServer::start_async());
    server.get_session_list(|when, then| {
        when.user_id("user_2abc").paginated(true);
        then.ok(&page(
            vec![session("sess_1", "active", Some("user_2admin"))],
            1,
        ));
    });
    server.revoke_session(|when, then| {
        when.session_id("sess_1");
        then.ok(&session("sess_1", "revoked", Some("user_2admin")).into());
    });
    let clerk = builder(&server.base_url())
        .request_timeout(Duration::from_secs(5))
        .build_blocking()
        .unwrap();
    let sessions = clerk
        .sessions()
        .list()
        .user_id("user_2abc")
        .send_all()
        .unwrap();
    assert_eq!(sessions.len(), 1);
    let revoked = clerk.sessions().revoke(sessions[0].id()).send().unwrap();
    assert_eq!(revoked.status(), &SessionStatus::Revoked);
}

fn token(id: &str, status: &str) -> clerk_actor_tokens::ActorToken {
    serde_json::from_value(serde_json::json!({
        "object": "actor_token", "id": id, "status": status, "user_id": "user_2abc",
        "actor": {"sub": "user_2admin"}, "created_at": 1, "updated_at": 1
    }))
    .unwrap()
}

#[tokio::test]
async fn ending_an_unused_impersonation_revokes_its_token_only() {
    let server = MockServer::start_async().await;
    let revoke = server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_1");
        then.ok(&token("act_1", "revoked").into());
    });
    let list = server.get_session_list(|_, then| {
        then.ok(&page(vec![], 0));
    });
    let ended = client(&server.base_url())
        .impersonations()
        .end(&token("act_1", "pending"))
        .await
        .unwrap();
    assert_eq!(ended, clerk_actor_tokens::Ended::TokenRevoked);
    revoke.assert_async().await;
    list.assert_calls_async(0).await;
}

#[tokio::test]
async fn ending_a_used_impersonation_revokes_that_actors_active_sessions_and_no_other() {
    let server = MockServer::start_async().await;
    server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_1");
        then.bad_request(&clerk_errors(
            clerk_actor_tokens::CANNOT_REVOKE_CODE,
            "Only pending actor tokens can be revoked.",
        ));
    });
    server.get_session_list(|when, then| {
        when.user_id("user_2abc")
            .status(wire::GetSessionListStatus::Active)
            .paginated(true);
        then.ok(&page(
            vec![
                session("sess_ours", "active", Some("user_2admin")),
                session("sess_other", "active", Some("user_2someone")),
                session("sess_own", "active", None),
            ],
            3,
        ));
    });
    let ours = server.revoke_session(|when, then| {
        when.session_id("sess_ours");
        then.ok(&session("sess_ours", "revoked", Some("user_2admin")).into());
    });
    let others: Vec<_> = ["sess_other", "sess_own"]
        .into_iter()
        .map(|id| {
            server.revoke_session(move |when, then| {
                when.session_id(id);
                then.into_inner().status(500);
            })
        })
        .collect();
    let clerk = client(&server.base_url());
    let captured = Captured::default();
    let ended = {
        let _audit = capture_this_thread(&captured);
        clerk
            .impersonations()
            .end(&token("act_1", "accepted"))
            .await
            .unwrap()
    };
    let clerk_actor_tokens::Ended::SessionsRevoked(revoked) = &ended else {
        panic!("{ended:?}")
    };
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].status(), &SessionStatus::Revoked);
    ours.assert_async().await;
    for other in &others {
        other.assert_calls_async(0).await;
    }
    let audit = captured.text();
    assert!(
        audit.contains(r#"operation="EndImpersonation""#)
            && audit.contains(r#"outcome="sessions_revoked""#)
            && audit.contains("sessions=sess_ours"),
        "{audit}"
    );
}

#[tokio::test]
async fn ending_twice_or_in_a_race_finds_nothing_left_and_is_not_an_error() {
    let server = MockServer::start_async().await;
    // The other `end` revoked the session between this one's list and its revoke.
    server.get_session_list(|_, then| {
        then.ok(&page(
            vec![session("sess_ours", "active", Some("user_2admin"))],
            1,
        ));
    });
    server.revoke_session(|when, then| {
        when.session_id("sess_ours");
        then.bad_request(&clerk_errors(
            "invalid_action_for_session",
            "The session is not active.",
        ));
    });
    let clerk = client(&server.base_url());
    let ended = clerk
        .impersonations()
        .end(clerk_actor_tokens::Impersonation::new(
            "user_2abc",
            "user_2admin",
        ))
        .await
        .unwrap();
    assert_eq!(ended, clerk_actor_tokens::Ended::NothingFound);
    assert!(!ended.ended_something());
}

#[tokio::test]
async fn ending_stops_at_a_failure_that_is_not_about_the_state() {
    let server = MockServer::start_async().await;
    server.revoke_actor_token(|when, then| {
        when.actor_token_id("act_1");
        then.into_inner().status(401).json_body(
            serde_json::to_value(clerk_errors("authentication_invalid", "bad key")).unwrap(),
        );
    });
    let list = server.get_session_list(|_, then| {
        then.ok(&page(vec![], 0));
    });
    let e = client(&server.base_url())
        .impersonations()
        .end(&token("act_1", "pending"))
        .await
        .unwrap_err();
    assert!(e.is_unauthorized(), "{e:?}");
    list.assert_calls_async(0).await;
}

/// End to end against the fake: opening the url creates the impersonation's session, `end`
/// revokes it, and two `end`s at once, or one after the other, each succeed.
#[tokio::test]
async fn an_opened_impersonation_is_ended_once_against_the_fake_even_by_two_at_once() {
    let fake = clerk_actor_tokens_fake::FakeClerk::start().await.unwrap();
    let clerk = fake.client_builder().build().unwrap();
    let token = clerk
        .actor_tokens()
        .create("user_2abc", clerk_actor_tokens::Actor::new("user_2admin"))
        .send()
        .await
        .unwrap();
    fake.redeem(token.url().unwrap().expose()).unwrap();
    let active = clerk
        .impersonations()
        .active("user_2abc", Some("user_2admin"))
        .await
        .unwrap();
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0].actor_sub(), Some("user_2admin"));
    let (first, second) = tokio::join!(
        clerk.impersonations().end(&token),
        clerk.impersonations().end(&token)
    );
    let outcomes = [first.unwrap(), second.unwrap()];
    let ended: Vec<_> = outcomes
        .iter()
        .filter_map(|o| match o {
            clerk_actor_tokens::Ended::SessionsRevoked(s) => Some(s.len()),
            _ => None,
        })
        .collect();
    // Both may have listed the session; at least one revoked it, and neither failed.
    assert!(
        !ended.is_empty() && ended.iter().all(|&n| n == 1),
        "{outcomes:?}"
    );
    let session = clerk.sessions().get(active[0].id()).send().await.unwrap();
    assert_eq!(session.status(), &SessionStatus::Revoked);
    assert_eq!(
        clerk.impersonations().end(&token).await.unwrap(),
        clerk_actor_tokens::Ended::NothingFound
    );
}
