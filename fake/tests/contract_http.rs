//! The fake at the HTTP level, as any client that follows Clerk's spec sees it: status codes,
//! Clerk's error bodies, headers, and the `/__fake` controls.

mod common;

use clerk_actor_tokens_fake::FakeClerk;
use common::{Answer, auth, http, send};
use serde_json::{Value, json};

async fn create(fake: &FakeClerk, body: &str) -> Answer {
    send(
        auth(http().post(format!("{}/actor_tokens", fake.base_url())))
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

/// Every error is Clerk's shape with a `clerk_trace_id` in the body (server `apierror.Response`);
/// no `Clerk-Trace-Id` header, for which there is no public evidence.
fn assert_clerk_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    let errors = answer.body["errors"].as_array().expect("errors array");
    assert!(!errors.is_empty());
    for e in errors {
        for field in ["message", "long_message", "code"] {
            assert!(e[field].is_string(), "{field} missing in {e}");
        }
    }
    assert_eq!(errors[0]["code"], code, "{}", answer.body);
    let trace = answer.body["clerk_trace_id"].as_str().unwrap();
    assert!(trace.len() == 32 && trace.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!answer.headers.contains_key("clerk-trace-id"));
}

fn params(answer: &Answer) -> Vec<(String, String)> {
    answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["meta"]["param_name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn keys_must_look_like_clerk_secret_keys() {
    let fake = FakeClerk::start().await.unwrap();
    let url = format!("{}/actor_tokens", fake.base_url());
    let body = r#"{"user_id":"user_u","actor":{"sub":"a"}}"#;
    let no_key = send(http().post(&url).body(body)).await;
    assert_clerk_error(&no_key, 401, "authentication_invalid");
    let bad_format = send(
        http()
            .post(&url)
            .header("authorization", "sk_test_x")
            .body(body),
    )
    .await;
    assert_clerk_error(&bad_format, 401, "authorization_header_format_invalid");
    for key in [
        "pk_test_SECRET",
        "sk_prod_SECRET",
        "sk_test_",
        "sk_test_SEC RET",
    ] {
        let answer = send(http().post(&url).bearer_auth(key).body(body)).await;
        assert_clerk_error(&answer, 401, "clerk_key_invalid");
        assert!(
            !answer.body.to_string().contains("SEC"),
            "the key is echoed"
        );
    }
    let revoke = send(http().post(format!("{}/actor_tokens/act_x/revoke", fake.base_url()))).await;
    assert_clerk_error(&revoke, 401, "authentication_invalid");
    let live = send(http().post(&url).bearer_auth("sk_live_anything").body(body)).await;
    assert_eq!(live.status, 200);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let fake = FakeClerk::start().await.unwrap();
    for body in ["{", "{\"user_id\": }", "not json", "\u{feff}{}"] {
        assert_clerk_error(&create(&fake, body).await, 400, "request_body_invalid");
    }
}

#[tokio::test]
async fn schema_violations_are_422_one_error_per_problem() {
    let fake = FakeClerk::start().await.unwrap();
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (
            json!({"user_id": "u", "actor": {}}),
            vec![("form_param_missing", "actor.sub")],
        ),
        (
            json!({"actor": {"sub": "a"}}),
            vec![("form_param_missing", "user_id")],
        ),
        (
            json!({"user_id": "u", "actor": {"sub": "a"}, "role": "admin", "ttl": 5}),
            vec![
                ("form_param_unknown", "role"),
                ("form_param_unknown", "ttl"),
            ],
        ),
        (
            json!({"user_id": 1, "actor": {"sub": 2}}),
            vec![
                ("form_param_format_invalid", "actor.sub"),
                ("form_param_format_invalid", "user_id"),
            ],
        ),
        (
            json!({"user_id": "u", "actor": "a"}),
            vec![("form_param_format_invalid", "actor")],
        ),
        (
            json!({"user_id": "u", "actor": {"sub": "a"}, "expires_in_seconds": 0, "session_max_duration_in_seconds": -5}),
            vec![
                ("form_param_value_invalid", "expires_in_seconds"),
                (
                    "form_param_value_invalid",
                    "session_max_duration_in_seconds",
                ),
            ],
        ),
        (
            json!({"user_id": "u", "actor": {"sub": "a"}, "expires_in_seconds": 1.5}),
            vec![("form_param_format_invalid", "expires_in_seconds")],
        ),
    ];
    for (body, expected) in cases {
        let answer = create(&fake, &body.to_string()).await;
        assert_clerk_error(&answer, 422, expected[0].0);
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(c, p)| (c.to_string(), p.to_string()))
            .collect();
        assert_eq!(params(&answer), expected, "for {body}");
    }
    // No body at all: the two required fields are missing.
    let answer = send(auth(
        http().post(format!("{}/actor_tokens", fake.base_url())),
    ))
    .await;
    assert_eq!(params(&answer).len(), 2, "{}", answer.body);
    assert_eq!(fake.token_count(), 0);
}

#[tokio::test]
async fn create_answers_an_actor_token_with_or_without_the_default_durations() {
    let fake = FakeClerk::start().await.unwrap();
    for body in [
        json!({"user_id": "user_1", "actor": {"sub": "user_2", "reason": "audit", "n": 3}}),
        json!({"user_id": "user_1", "actor": {"sub": "user_2"}, "expires_in_seconds": 3600, "session_max_duration_in_seconds": 1800}),
    ] {
        let answer = create(&fake, &body.to_string()).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.headers["content-type"], "application/json");
        assert!(!answer.headers.contains_key("clerk-trace-id"));
        let t = &answer.body;
        assert_eq!(t["object"], "actor_token");
        assert_eq!(t["status"], "pending");
        assert_eq!(t["user_id"], "user_1");
        assert_eq!(t["actor"], body["actor"]);
        assert!(t["id"].as_str().unwrap().starts_with("act_"));
        assert!(t["token"].is_string());
        assert!(t["url"].as_str().unwrap().starts_with(fake.base_url()));
        assert!(
            t["created_at"].as_i64().unwrap() > 1_600_000_000_000,
            "milliseconds"
        );
        assert_eq!(t["created_at"], t["updated_at"]);
        let stored = fake.token(t["id"].as_str().unwrap()).unwrap();
        assert_eq!(stored.expires_at - stored.created_at, 3_600_000);
        assert_eq!(stored.session_max_duration.as_secs(), 1800);
    }
}

#[tokio::test]
async fn spec_following_clients_work_unchanged() {
    let fake = FakeClerk::start().await.unwrap();
    let answer = send(
        auth(http().post(format!("{}/actor_tokens", fake.base_url())))
            .header("content-type", "application/json; charset=utf-8")
            .header("clerk-api-version", "2021-02-05")
            .header("x-clerk-sdk", "go/v2.3.0")
            .header("user-agent", "Speakeasy/whatever (python 3.12)")
            .header("accept", "application/json")
            .body(r#"{"user_id":"user_u","actor":{"sub":"a"}}"#),
    )
    .await;
    assert_eq!(answer.status, 200);
    let revoke_url = |id: &Value| {
        format!(
            "{}/actor_tokens/{}/revoke",
            fake.base_url(),
            id.as_str().unwrap()
        )
    };

    // Revoke with an empty body, with and without a JSON content type, and with `{}`.
    let requests: Vec<Box<dyn Fn(String) -> reqwest::RequestBuilder>> = vec![
        Box::new(|url| auth(http().post(url))),
        Box::new(|url| auth(http().post(url)).header("content-type", "application/json")),
        Box::new(|url| {
            auth(http().post(url))
                .header("content-type", "application/json")
                .body("{}")
        }),
    ];
    for request in requests {
        let created = create(&fake, r#"{"user_id":"user_u","actor":{"sub":"a"}}"#).await;
        let revoked = send(request(revoke_url(&created.body["id"]))).await;
        assert_eq!(revoked.status, 200, "{}", revoked.body);
        assert_eq!(revoked.body["status"], "revoked");
        let object = revoked.body.as_object().unwrap();
        assert!(
            !object.contains_key("token") && !object.contains_key("url"),
            "omitted, not null"
        );
    }
}

#[tokio::test]
async fn revoking_twice_or_unknown_ids() {
    let fake = FakeClerk::start().await.unwrap();
    let created = create(&fake, r#"{"user_id":"user_u","actor":{"sub":"a"}}"#).await;
    let url = format!(
        "{}/actor_tokens/{}/revoke",
        fake.base_url(),
        created.body["id"].as_str().unwrap()
    );
    assert_eq!(send(auth(http().post(&url))).await.status, 200);
    assert_clerk_error(
        &send(auth(http().post(&url))).await,
        400,
        "actor_token_cannot_be_revoked_code", // catalogue ActorTokenCannotBeRevoked
    );
    let unknown = send(auth(
        http().post(format!("{}/actor_tokens/act_nope/revoke", fake.base_url())),
    ))
    .await;
    assert_clerk_error(&unknown, 404, "resource_not_found");
    let encoded = send(auth(
        http().post(format!("{}/actor_tokens/%FF%FE/revoke", fake.base_url())),
    ))
    .await;
    assert_clerk_error(&encoded, 404, "resource_not_found");
}

#[tokio::test]
async fn other_methods_are_405_with_allow_and_unknown_paths_404() {
    let fake = FakeClerk::start().await.unwrap();
    let base = fake.base_url();
    for (method, path) in [
        ("GET", "/actor_tokens"),
        ("PUT", "/actor_tokens"),
        ("DELETE", "/actor_tokens"),
        ("PATCH", "/actor_tokens"),
        ("GET", "/actor_tokens/act_x/revoke"),
        ("DELETE", "/actor_tokens/act_x/revoke"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let answer = send(auth(
            http().request(method.clone(), format!("{base}{path}")),
        ))
        .await;
        assert_clerk_error(&answer, 405, "method_not_allowed");
        assert_eq!(answer.headers["allow"], "POST", "{method} {path}");
    }
    let answer = send(http().post(format!("{base}/tickets/accept"))).await;
    assert_clerk_error(&answer, 405, "method_not_allowed");
    for path in [
        "/v1/users",
        "/v1/actor_tokens/act_x",
        "/v2/actor_tokens",
        "/",
        "/v1/actor_tokens/",
    ] {
        let url = format!("{}{path}", fake.base_url().trim_end_matches("/v1"));
        assert_clerk_error(
            &send(auth(http().get(url))).await,
            404,
            "resource_not_found",
        );
    }
}

#[tokio::test]
async fn sign_in_urls_need_a_known_ticket() {
    let fake = FakeClerk::start().await.unwrap();
    let base = fake.base_url();
    // Server `tickets.BuildTicketRedirectURL`: a ticket that does not parse is `TicketInvalid`.
    let missing = send(http().get(format!("{base}/tickets/accept"))).await;
    assert_clerk_error(&missing, 400, "ticket_invalid_code");
    let forged = send(http().get(format!("{base}/tickets/accept?ticket=abc"))).await;
    assert_clerk_error(&forged, 400, "ticket_invalid_code");
}

#[tokio::test]
async fn controls_over_http() {
    let fake = FakeClerk::start().await.unwrap();
    let control = |path: &str| format!("{}/__fake{path}", fake.base_url().trim_end_matches("/v1"));
    let body = r#"{"user_id":"user_u","actor":{"sub":"a"}}"#;

    // Quota.
    let set = send(
        http()
            .put(control("/quota"))
            .body(r#"{"limit": 1, "used": 0}"#),
    )
    .await;
    assert_eq!(set.body["limit"], 1);
    assert_eq!(create(&fake, body).await.status, 200);
    let refused = create(&fake, body).await;
    assert_clerk_error(&refused, 422, "impersonation_limit_exceeded");
    assert_eq!(
        refused.body["errors"][0]["meta"],
        json!({"used": 1, "limit": 1})
    );
    send(http().put(control("/quota")).body(r#"{"limit": null}"#)).await;

    // Plan.
    send(
        http()
            .put(control("/plan"))
            .body(r#"{"impersonation": false}"#),
    )
    .await;
    // Spec: 402 on create; catalogue: the 402 code for a plan lacking a feature.
    assert_clerk_error(
        &create(&fake, body).await,
        402,
        "unsupported_subscription_plan_features",
    );
    let usage = send(http().get(control("/usage"))).await;
    assert_eq!(usage.body["impersonation_enabled"], false);
    send(
        http()
            .put(control("/plan"))
            .body(r#"{"impersonation": true}"#),
    )
    .await;

    // Faults: a status with Retry-After, then a dropped connection.
    let queued = send(http().post(control("/faults")).body(
        r#"{"target":"create","times":2,"status":503,"retry_after_seconds":3,"code":"maintenance","message":"down"}"#,
    ))
    .await;
    assert_eq!(queued.body["pending_faults"], 2);
    for _ in 0..2 {
        let answer = create(&fake, body).await;
        assert_clerk_error(&answer, 503, "maintenance");
        assert_eq!(answer.headers["retry-after"], "3");
    }
    assert_eq!(create(&fake, body).await.status, 200);
    send(
        http()
            .post(control("/faults"))
            .body(r#"{"target":"create","drop_connection":true}"#),
    )
    .await;
    let dropped = auth(http().post(format!("{}/actor_tokens", fake.base_url())))
        .body(body)
        .send()
        .await;
    assert!(
        dropped.is_err(),
        "the connection is closed without an answer"
    );
    send(http().post(control("/faults")).body(r#"{"status":500}"#)).await;
    send(http().delete(control("/faults"))).await;
    assert_eq!(fake.pending_faults(), 0);
    let bad = send(http().post(control("/faults")).body(r#"{"status":1000}"#)).await;
    assert_clerk_error(&bad, 400, "request_body_invalid");

    // Tokens, redeeming by id, the clock, reset.
    let listed = send(http().get(control("/tokens?limit=1"))).await;
    assert_eq!(listed.body["total_count"], 2);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    let id = listed.body["data"][0]["id"].as_str().unwrap().to_string();
    assert!(
        listed.body["data"][0].get("token").is_none(),
        "no secrets in listings"
    );
    let one = send(http().get(control(&format!("/tokens/{id}")))).await;
    assert_eq!(one.body["status"], "pending");
    send(
        http()
            .post(control("/clock/advance"))
            .body(r#"{"seconds": 7200}"#),
    )
    .await;
    let expired = send(http().post(control(&format!("/tokens/{id}/redeem")))).await;
    assert_clerk_error(&expired, 400, "actor_token_cannot_be_used_code"); // catalogue
    send(http().post(control("/reset"))).await;
    assert_eq!(fake.token_count(), 0);
    let created = create(&fake, body).await;
    let id = created.body["id"].as_str().unwrap();
    let redeemed = send(http().post(control(&format!("/tokens/{id}/redeem")))).await;
    assert_eq!(redeemed.status, 200);
    assert_eq!(redeemed.body["actor_token_id"], id);
    let gone = send(http().get(control("/tokens/act_nope"))).await;
    assert_clerk_error(&gone, 404, "resource_not_found");
}
