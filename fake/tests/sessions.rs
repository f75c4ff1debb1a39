//! Sessions at the HTTP level, as a client that follows Clerk's spec sees them: opening a token's
//! url starts one, its states on the fake's clock, the three session endpoints (statuses, codes
//! and bodies, each with its source in the fake's `errors` table), and the `/__fake/sessions`
//! controls. Answers are also decoded with the SDK's generated wire types.

mod common;

use std::time::Duration;

use clerk_actor_tokens::raw::types as wire;
use clerk_actor_tokens_fake::{
    FakeClerk, Fault, INACTIVITY_TIMEOUT, RateLimit, SessionError, SessionState, StatusCode, Target,
};
use common::{Answer, auth, http, send};
use serde_json::{Value, json};

const MINUTE_MS: i64 = 60_000;

/// Clerk's error shape, with the code of the first error.
fn assert_clerk_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let errors = answer.body["errors"].as_array().expect("errors array");
    for e in errors {
        for field in ["message", "long_message", "code"] {
            assert!(e[field].is_string(), "{field} missing in {e}");
        }
    }
    assert_eq!(errors[0]["code"], code, "{}", answer.body);
    assert!(answer.body["clerk_trace_id"].is_string());
}

fn control(fake: &FakeClerk, path: &str) -> String {
    format!("{}/__fake{path}", fake.base_url().trim_end_matches("/v1"))
}

async fn get(fake: &FakeClerk, path: &str) -> Answer {
    send(auth(http().get(format!("{}{path}", fake.base_url())))).await
}

async fn revoke(fake: &FakeClerk, id: &str) -> Answer {
    send(auth(
        http().post(format!("{}/sessions/{id}/revoke", fake.base_url())),
    ))
    .await
}

/// Creates a token for `user` (actor `user_admin` with a `reason` claim, `extra` merged into the
/// body) and opens its url as a client asking for JSON: the sign-in, with `created_session_id`.
async fn open(fake: &FakeClerk, user: &str, extra: Value) -> (Value, Value) {
    let mut body = json!({"user_id": user, "actor": {"sub": "user_admin", "reason": "support"}});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let token =
        send(auth(http().post(format!("{}/actor_tokens", fake.base_url()))).json(&body)).await;
    assert_eq!(token.status, 200, "{}", token.body);
    let url = token.body["url"].as_str().unwrap();
    let sign_in = send(http().get(url).header("accept", "application/json")).await;
    assert_eq!(sign_in.status, 200, "{}", sign_in.body);
    (token.body, sign_in.body)
}

async fn open_session(fake: &FakeClerk, user: &str) -> String {
    let (_, sign_in) = open(fake, user, json!({})).await;
    sign_in["created_session_id"].as_str().unwrap().to_string()
}

async fn status_of(fake: &FakeClerk, id: &str) -> String {
    let answer = get(fake, &format!("/sessions/{id}")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["status"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn opening_a_url_starts_an_active_session_of_the_user_with_the_actor() {
    let fake = FakeClerk::start().await.unwrap();
    let (token, sign_in) = open(&fake, "user_1", json!({})).await;
    let id = sign_in["created_session_id"].as_str().unwrap();
    assert!(
        id.strip_prefix("sess_")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())),
        "{id}"
    );

    let answer = get(&fake, &format!("/sessions/{id}")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/json");
    let s = &answer.body;
    assert_eq!(s["object"], "session");
    assert_eq!(s["id"], id);
    assert_eq!(s["status"], "active");
    assert_eq!(s["user_id"], "user_1");
    assert_eq!(
        s["actor"],
        json!({"sub": "user_admin", "reason": "support"})
    );
    assert!(s["client_id"].as_str().unwrap().starts_with("client_"));
    let created = s["created_at"].as_i64().unwrap();
    assert!(
        created >= token["created_at"].as_i64().unwrap(),
        "milliseconds"
    );
    assert_eq!(s["updated_at"], created);
    assert_eq!(s["last_active_at"], created);
    // Clerk's defaults: at most 30 minutes, abandoned after 10 idle minutes.
    assert_eq!(s["expire_at"].as_i64().unwrap() - created, 30 * MINUTE_MS);
    assert_eq!(s["abandon_at"].as_i64().unwrap() - created, 10 * MINUTE_MS);
    assert_eq!(INACTIVITY_TIMEOUT, Duration::from_secs(600));

    // The same session as the SDK's generated types read it, and as the fake holds it.
    let clerk = fake.client().unwrap();
    let decoded: wire::Session = clerk
        .raw_client()
        .get_session(id)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (decoded.id.as_str(), decoded.status.as_str()),
        (id, "active")
    );
    let stored = fake.session(id).unwrap();
    assert_eq!(stored.status, SessionState::Active);
    assert_eq!(stored.actor_token_id, token["id"].as_str().unwrap());
    assert_eq!(stored.actor["reason"], "support");
    assert_eq!(fake.sessions(), [stored]);

    // Each opening is a new browser: a session and a client of its own.
    let other = open_session(&fake, "user_1").await;
    let other = fake.session(&other).unwrap();
    assert_ne!(other.id, id);
    assert_ne!(other.client_id, s["client_id"].as_str().unwrap());

    // The redirect flow (a browser) starts one too, and the sign-in page names it.
    let token = fake
        .client()
        .unwrap()
        .actor_tokens()
        .create("user_2", clerk_actor_tokens::Actor::new("user_admin"))
        .send()
        .await
        .unwrap();
    let redirect = send(http().get(token.url().unwrap().expose())).await;
    assert_eq!(redirect.status, 303);
    let page = send(http().get(redirect.headers["location"].to_str().unwrap())).await;
    let created = page.body["created_session_id"].as_str().unwrap();
    assert_eq!(fake.session(created).unwrap().user_id, "user_2");
    // And so does redeeming from Rust.
    let token = clerk
        .actor_tokens()
        .create("user_3", clerk_actor_tokens::Actor::new("user_admin"))
        .send()
        .await
        .unwrap();
    let session = fake.redeem_session(token.url().unwrap().expose()).unwrap();
    assert_eq!(
        (session.user_id.as_str(), session.status),
        ("user_3", SessionState::Active)
    );
    assert_eq!(fake.sessions().len(), 4);
}

#[tokio::test]
async fn a_session_expires_at_its_maximum_and_is_abandoned_after_ten_idle_minutes() {
    let fake = FakeClerk::start().await.unwrap();
    let short = {
        let (_, sign_in) = open(
            &fake,
            "user_1",
            json!({"session_max_duration_in_seconds": 300}),
        )
        .await;
        sign_in["created_session_id"].as_str().unwrap().to_string()
    };
    let long = open_session(&fake, "user_1").await;
    let s = get(&fake, &format!("/sessions/{short}")).await.body;
    let created = s["created_at"].as_i64().unwrap();
    assert_eq!(s["expire_at"].as_i64().unwrap() - created, 5 * MINUTE_MS);
    assert_eq!(s["abandon_at"], s["expire_at"], "never past expire_at");

    fake.advance_clock(Duration::from_secs(4 * 60));
    assert_eq!(status_of(&fake, &short).await, "active");
    // The clock control moves sessions as the Rust method does.
    let moved = send(
        http()
            .post(control(&fake, "/clock/advance"))
            .body(r#"{"seconds": 60}"#),
    )
    .await;
    assert_eq!(moved.status, 200);
    assert_eq!(status_of(&fake, &short).await, "expired");
    assert_eq!(status_of(&fake, &long).await, "active");
    fake.advance_clock(Duration::from_secs(5 * 60));
    assert_eq!(status_of(&fake, &long).await, "abandoned");
    assert_eq!(fake.session(&long).unwrap().status, SessionState::Abandoned);
    // Nothing was stored: the times are what they were.
    let s = get(&fake, &format!("/sessions/{long}")).await.body;
    assert_eq!(s["updated_at"], s["created_at"]);
}

#[tokio::test]
async fn touching_postpones_abandonment_until_the_maximum() {
    let fake = FakeClerk::start().await.unwrap();
    let id = open_session(&fake, "user_1").await;
    fake.advance_clock(Duration::from_secs(9 * 60));
    let touched = send(http().post(control(&fake, &format!("/sessions/{id}/touch")))).await;
    assert_eq!(touched.status, 200, "{}", touched.body);
    let at = touched.body["last_active_at"].as_i64().unwrap();
    assert!(at - touched.body["created_at"].as_i64().unwrap() >= 9 * MINUTE_MS);
    assert_eq!(
        touched.body["abandon_at"].as_i64().unwrap() - at,
        10 * MINUTE_MS
    );
    assert_eq!(touched.body["updated_at"], at);

    fake.advance_clock(Duration::from_secs(9 * 60)); // 18 minutes in, 9 after the touch
    assert_eq!(status_of(&fake, &id).await, "active");
    let again = fake.touch_session(&id).unwrap(); // 18 minutes: abandon_at capped at 30
    assert_eq!(
        again.abandon_at,
        again.expire_at.min(again.last_active_at + 10 * MINUTE_MS)
    );
    fake.advance_clock(Duration::from_secs(9 * 60));
    fake.touch_session(&id).unwrap(); // 27 minutes
    let s = fake.session(&id).unwrap();
    assert_eq!(s.abandon_at, s.expire_at, "never past expire_at");
    fake.advance_clock(Duration::from_secs(3 * 60));
    assert_eq!(status_of(&fake, &id).await, "expired");

    // A session that is over cannot be touched back to life.
    assert_eq!(
        fake.touch_session(&id),
        Err(SessionError::NotActive(SessionState::Expired))
    );
    let refused = send(http().post(control(&fake, &format!("/sessions/{id}/touch")))).await;
    assert_clerk_error(&refused, 400, "invalid_action_for_session"); // catalogue InvalidActionForSession
}

#[tokio::test]
async fn revoke_answers_the_session_revoked_and_a_second_revoke_answers_the_same() {
    let fake = FakeClerk::start().await.unwrap();
    let id = open_session(&fake, "user_1").await;
    fake.advance_clock(Duration::from_secs(60));
    let revoked = revoke(&fake, &id).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(revoked.body["id"], id.as_str());
    assert_eq!(revoked.body["actor"]["sub"], "user_admin");
    let updated = revoked.body["updated_at"].as_i64().unwrap();
    assert!(updated - revoked.body["created_at"].as_i64().unwrap() >= MINUTE_MS);
    assert_eq!(status_of(&fake, &id).await, "revoked");

    // Clerk's server revokes whatever the state (shared/sessions.Service.Revoke): a second
    // revoke answers the revoked session again, it is not refused.
    let again = revoke(&fake, &id).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["status"], "revoked");

    // Ended and expired sessions become revoked too; the SDK's decoding agrees.
    let ended = open_session(&fake, "user_1").await;
    fake.end_session(&ended).unwrap();
    let expired = open_session(&fake, "user_1").await;
    fake.expire_session(&expired).unwrap();
    let clerk = fake.client().unwrap();
    for id in [&ended, &expired] {
        let session = clerk
            .raw_client()
            .revoke_session(id)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(session.status, "revoked");
    }
    // A body, or none, with or without a content type, changes nothing (as the token's revoke).
    let with_body = send(
        auth(http().post(format!("{}/sessions/{id}/revoke", fake.base_url())))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!(with_body.status, 200);
}

#[tokio::test]
async fn the_list_filters_by_user_client_and_status_newest_first_and_pages() {
    let fake = FakeClerk::start().await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(open_session(&fake, "user_a").await);
        fake.advance_clock(Duration::from_secs(1)); // distinct creation times
    }
    let other = open_session(&fake, "user_b").await;
    fake.end_session(&ids[1]).unwrap();
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();

    let page = get(&fake, "/sessions?user_id=user_a&paginated=true").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["total_count"], 3);
    let listed: Vec<&str> = page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, newest_first);

    let active = get(
        &fake,
        "/sessions?user_id=user_a&status=active&paginated=true",
    )
    .await;
    assert_eq!(active.body["total_count"], 2);
    assert!(
        active.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "active")
    );
    let ended = get(
        &fake,
        "/sessions?user_id=user_a&status=ended&paginated=true",
    )
    .await;
    assert_eq!(ended.body["data"][0]["id"], ids[1].as_str());

    // limit and offset page through the matches; total_count is all of them.
    let second = get(
        &fake,
        "/sessions?user_id=user_a&paginated=true&limit=1&offset=1",
    )
    .await;
    assert_eq!(second.body["total_count"], 3);
    assert_eq!(second.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(second.body["data"][0]["id"], newest_first[1]);
    let past = get(&fake, "/sessions?user_id=user_a&paginated=true&offset=3").await;
    assert_eq!(past.body, json!({"data": [], "total_count": 3}));
    let default_limit = {
        for _ in 0..11 {
            open_session(&fake, "user_c").await;
        }
        get(&fake, "/sessions?user_id=user_c&paginated=true").await
    };
    assert_eq!(
        default_limit.body["data"].as_array().unwrap().len(),
        10,
        "Clerk's default"
    );
    assert_eq!(default_limit.body["total_count"], 11);

    // Without paginated=true (or with false): a bare array, as Clerk's spec declares.
    for query in ["user_id=user_a", "user_id=user_a&paginated=false"] {
        let bare = get(&fake, &format!("/sessions?{query}")).await;
        assert_eq!(bare.status, 200);
        let ids: Vec<&str> = bare
            .body
            .as_array()
            .unwrap_or_else(|| panic!("{query}: {}", bare.body))
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, newest_first);
    }

    // A client id names one session; with a user, both must match.
    let client = fake.session(&other).unwrap().client_id;
    let by_client = get(
        &fake,
        &format!("/sessions?client_id={client}&paginated=true"),
    )
    .await;
    assert_eq!(by_client.body["total_count"], 1);
    assert_eq!(by_client.body["data"][0]["id"], other.as_str());
    let both = get(
        &fake,
        &format!("/sessions?client_id={client}&user_id=user_a"),
    )
    .await;
    assert_eq!(both.body, json!([]));
    let unknown = get(&fake, "/sessions?client_id=client_nope").await;
    assert_eq!(unknown.body, json!([]));

    // The SDK's generated client reads the paginated form.
    let clerk = fake.client().unwrap();
    let page: wire::GetSessionListResponse = clerk
        .raw_client()
        .get_session_list(
            None,
            std::num::NonZeroU64::new(2),
            Some(0),
            Some(true),
            Some(wire::GetSessionListStatus::Active),
            Some("user_a"),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total_count, 2);
    assert_eq!(page.data[0].actor.as_ref().unwrap()["sub"], "user_admin");
}

#[tokio::test]
async fn list_parameters_are_checked_as_the_fragment_says() {
    let fake = FakeClerk::start().await.unwrap();
    // Server sessions.readAllParams.validate: at least one of client_id and user_id.
    for query in [
        "",
        "?status=active",
        "?user_id=&client_id=",
        "?paginated=true",
    ] {
        let refused = get(&fake, &format!("/sessions{query}")).await;
        assert_clerk_error(&refused, 422, "form_param_missing");
        assert_eq!(
            refused.body["errors"][0]["meta"]["param_names"],
            json!(["client_id", "user_id"]),
            "{query}"
        );
    }
    // The fragment's bounds and values; one error per parameter, each naming it.
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("status=pending", "status"),
        ("status=ACTIVE", "status"),
        ("paginated=1", "paginated"),
    ] {
        let refused = get(&fake, &format!("/sessions?user_id=user_1&{query}")).await;
        assert_clerk_error(&refused, 422, "form_param_value_invalid");
        assert_eq!(
            refused.body["errors"][0]["meta"]["param_name"], param,
            "{query}"
        );
        assert_eq!(refused.body["errors"][0]["message"], "is invalid");
    }
    let several = get(&fake, "/sessions?user_id=u&limit=0&offset=-1").await;
    assert_eq!(several.body["errors"].as_array().unwrap().len(), 2);
    for query in [
        "limit=1",
        "limit=500",
        "offset=0",
        "offset=100000",
        "status=replaced",
    ] {
        let fine = get(&fake, &format!("/sessions?user_id=user_1&{query}")).await;
        assert_eq!(fine.status, 200, "{query}: {}", fine.body);
    }
    // The SDK's facade refuses a list without filters before sending; its raw client does not.
    let raw = fake
        .client()
        .unwrap()
        .raw_client()
        .get_session_list(None, None, None, Some(true), None, None)
        .await
        .unwrap_err();
    assert_eq!(
        raw.status(),
        Some(reqwest::StatusCode::UNPROCESSABLE_ENTITY)
    );
}

#[tokio::test]
async fn unknown_session_ids_are_404() {
    let fake = FakeClerk::start().await.unwrap();
    let id = open_session(&fake, "user_1").await;
    for unknown in [
        "sess_nope",
        "act_1",
        "sess_2x9QbD7aL0mN3pR5sT8vW1",
        "%FF%FE",
    ] {
        // Catalogue SessionNotFound.
        let read = get(&fake, &format!("/sessions/{unknown}")).await;
        assert_clerk_error(&read, 404, "resource_not_found");
        assert_eq!(read.body["errors"][0]["message"], "Session not found");
        assert_clerk_error(&revoke(&fake, unknown).await, 404, "resource_not_found");
        for action in ["touch", "end", "expire"] {
            let url = control(&fake, &format!("/sessions/{unknown}/{action}"));
            assert_clerk_error(&send(http().post(url)).await, 404, "resource_not_found");
        }
    }
    // Another fake's ids are not this one's.
    let other = FakeClerk::start().await.unwrap();
    assert_clerk_error(
        &get(&other, &format!("/sessions/{id}")).await,
        404,
        "resource_not_found",
    );
    assert_eq!(other.end_session(&id), Err(SessionError::Unknown));
    assert!(other.session(&id).is_none());
}

#[tokio::test]
async fn auth_methods_rate_limit_and_faults_apply_to_the_session_endpoints() {
    let fake = FakeClerk::start().await.unwrap();
    let id = open_session(&fake, "user_1").await;
    let base = fake.base_url();
    let paths = [
        format!("{base}/sessions?user_id=user_1"),
        format!("{base}/sessions/{id}"),
    ];
    for url in &paths {
        assert_clerk_error(&send(http().get(url)).await, 401, "authentication_invalid");
        let bad_key = send(http().get(url).bearer_auth("pk_test_x")).await;
        assert_clerk_error(&bad_key, 401, "clerk_key_invalid");
    }
    let revoke_url = format!("{base}/sessions/{id}/revoke");
    assert_clerk_error(
        &send(http().post(&revoke_url)).await,
        401,
        "authentication_invalid",
    );
    assert_eq!(
        status_of(&fake, &id).await,
        "active",
        "nothing revoked without a key"
    );

    for (method, url, allow) in [
        ("POST", format!("{base}/sessions"), "GET, HEAD"),
        ("DELETE", format!("{base}/sessions/{id}"), "GET, HEAD"),
        ("PATCH", format!("{base}/sessions/{id}"), "GET, HEAD"),
        ("GET", revoke_url.clone(), "POST"),
        ("PUT", revoke_url.clone(), "POST"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let answer = send(auth(http().request(method.clone(), &url))).await;
        assert_clerk_error(&answer, 405, "method_not_allowed");
        assert_eq!(answer.headers["allow"], allow, "{method} {url}");
    }

    // Faults are per operation: a list fault leaves reads alone.
    fake.inject(Fault::status(StatusCode::SERVICE_UNAVAILABLE).on(Target::ListSessions));
    assert_eq!(get(&fake, &format!("/sessions/{id}")).await.status, 200);
    assert_clerk_error(
        &get(&fake, "/sessions?user_id=user_1").await,
        503,
        "service_unavailable",
    );
    // A revoke carried out whose answer is lost, queued as JSON over the control endpoint.
    let queued = send(
        http()
            .post(control(&fake, "/faults"))
            .body(r#"{"target":"revoke_session","status":502,"after_processing":true}"#),
    )
    .await;
    assert_eq!(queued.body["pending_faults"], 1, "{}", queued.body);
    assert_clerk_error(&revoke(&fake, &id).await, 502, "bad_gateway");
    assert_eq!(
        status_of(&fake, &id).await,
        "revoked",
        "processed before the fault"
    );
    fake.inject(Fault::drop_connection().on(Target::GetSession));
    let dropped = auth(http().get(format!("{base}/sessions/{id}")))
        .send()
        .await;
    assert!(
        dropped.is_err(),
        "the connection is closed without an answer"
    );
    assert_eq!(fake.pending_faults(), 0);

    // Clerk's rate limit counts the session endpoints too.
    fake.set_rate_limit(Some(RateLimit::new(2, Duration::from_secs(60))));
    assert_eq!(get(&fake, &format!("/sessions/{id}")).await.status, 200);
    assert_eq!(get(&fake, "/sessions?user_id=user_1").await.status, 200);
    let limited = revoke(&fake, &id).await;
    assert_clerk_error(&limited, 429, "too_many_requests");
    assert!(limited.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn controls_list_end_and_expire_sessions_and_reset_forgets_them() {
    let fake = FakeClerk::start().await.unwrap();
    let first = open_session(&fake, "user_1").await;
    let second = open_session(&fake, "user_1").await;
    let third = open_session(&fake, "user_2").await;

    let listed = send(http().get(control(&fake, "/sessions?user_id=user_1"))).await;
    assert_eq!(listed.body["total_count"], 2, "{}", listed.body);
    assert_eq!(
        listed.body["data"][0]["id"],
        second.as_str(),
        "newest first"
    );
    assert!(
        listed.body["data"][0]["actor_token_id"]
            .as_str()
            .unwrap()
            .starts_with("act_")
    );
    let one = send(http().get(control(&fake, "/sessions?limit=1"))).await;
    assert_eq!(one.body["total_count"], 3);
    assert_eq!(one.body["data"].as_array().unwrap().len(), 1);

    let ended = send(http().post(control(&fake, &format!("/sessions/{first}/end")))).await;
    assert_eq!(ended.body["status"], "ended", "{}", ended.body);
    let expired = send(http().post(control(&fake, &format!("/sessions/{second}/expire")))).await;
    assert_eq!(expired.body["status"], "expired", "{}", expired.body);
    assert_eq!(expired.body["expire_at"], expired.body["updated_at"]);
    assert_eq!(status_of(&fake, &first).await, "ended");
    assert_eq!(status_of(&fake, &second).await, "expired");
    let by_status = send(http().get(control(&fake, "/sessions?status=ended"))).await;
    assert_eq!(by_status.body["data"][0]["id"], first.as_str());
    let again = send(http().post(control(&fake, &format!("/sessions/{first}/expire")))).await;
    assert_clerk_error(&again, 400, "invalid_action_for_session");
    assert_eq!(
        fake.end_session(&second),
        Err(SessionError::NotActive(SessionState::Expired))
    );
    let shown = send(http().get(control(&fake, &format!("/sessions/{third}")))).await;
    assert_eq!(shown.body["status"], "active");

    send(http().post(control(&fake, "/reset"))).await;
    assert!(fake.sessions().is_empty());
    assert_clerk_error(
        &get(&fake, &format!("/sessions/{third}")).await,
        404,
        "resource_not_found",
    );
    let after = open_session(&fake, "user_1").await;
    assert!(
        ![&first, &second, &third].contains(&&after),
        "ids are never reissued"
    );
}

#[tokio::test]
async fn a_full_session_map_forgets_the_oldest() {
    let fake = FakeClerk::builder().max_sessions(2).start().await.unwrap();
    let ids = [
        open_session(&fake, "user_1").await,
        open_session(&fake, "user_1").await,
        open_session(&fake, "user_1").await,
    ];
    assert_eq!(fake.evicted_session_count(), 1);
    assert_clerk_error(
        &get(&fake, &format!("/sessions/{}", ids[0])).await,
        404,
        "resource_not_found",
    );
    let page = get(&fake, "/sessions?user_id=user_1&paginated=true").await;
    assert_eq!(page.body["total_count"], 2);
}
