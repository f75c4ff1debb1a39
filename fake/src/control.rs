//! Scenario controls over HTTP, under `/__fake` (outside Clerk's `/v1`), for tests written in
//! any language or driving the `fake` command. Each mirrors a method of `FakeClerk`:
//!
//! | request | effect |
//! | --- | --- |
//! | `GET /__fake/tokens?limit=N` | newest tokens first (default 100), without secrets |
//! | `GET /__fake/tokens/{id}` | one token, without secrets |
//! | `POST /__fake/tokens/{id}/redeem` | redeem it, as opening its url does (the answer's `created_session_id` names the session it started) |
//! | `GET /__fake/sessions?user_id=U&status=S&limit=N` | newest sessions first (default 100), optionally of one user or in one state, each with the `actor_token_id` that started it |
//! | `GET /__fake/sessions/{id}` | one session |
//! | `POST /__fake/sessions/{id}/touch` | activity: `last_active_at` now, `abandon_at` ten minutes later (never past `expire_at`) |
//! | `POST /__fake/sessions/{id}/end` | the user signs out: status `ended` |
//! | `POST /__fake/sessions/{id}/expire` | the session reaches its maximum lifetime now: status `expired` |
//! | `GET /__fake/usage` | quota and plan settings |
//! | `PUT /__fake/quota` `{"limit": 3, "used": 0}` | monthly limit (`null`: none) and usage |
//! | `PUT /__fake/plan` `{"impersonation": false}` | plan without impersonation: creates get 402 |
//! | `POST /__fake/faults` (see [`FaultSpec`]) | queue a fault |
//! | `DELETE /__fake/faults` | drop queued faults |
//! | `POST /__fake/clock/advance` `{"seconds": 3600}` | move the fake's clock forward |
//! | `GET /__fake/users` | strict mode and the users added |
//! | `PUT /__fake/users` `{"strict": true}` | strict users: only added users exist |
//! | `PUT /__fake/users/{id}` | add a user |
//! | `DELETE /__fake/users/{id}` | remove a user (creates for it get 404) |
//! | `PUT /__fake/rate_limit` `{"preset": "development"}` or `{"requests": 5, "window_seconds": 10}` | Clerk's rate limit on (presets `development`, `production`) |
//! | `DELETE /__fake/rate_limit` | rate limit off |
//! | `POST /__fake/reset` | forget tokens, sessions, faults, quota, plan, users, rate limit and clock changes |
//! | `GET /__fake/stats` | `{"connections_opened": N, "connections_open": M}`: TCP connections accepted since start (`reset` keeps the count) and open now |
//! | `POST /__fake/connections/close` | close every open connection gracefully, this one after its answer (`FakeClerk::close_connections`, without waiting); answers `{"connections_closing": M}` |
//!
//! The session controls answer the session as `GET /__fake/sessions/{id}` shows it, 404
//! `resource_not_found` for an unknown id, and 400 `invalid_action_for_session` for a session
//! that is no longer active (see the `errors` table).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State as AxumState};
use axum::response::Response;
use axum::routing::{get, post, put};
use http::{HeaderValue, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json as json_value};

use crate::errors::{Refusal, clerk_error, json};
use crate::lock::lock;
use crate::rate_limit::{Limiter, RateLimit};
use crate::request::{RequestContext, read_body};
use crate::scenario::{Fault, Target};
use crate::sessions::{SessionError, SessionRecord, StoredSession};
use crate::state::{SignIn, State, StoredToken, session_refusal};

type Shared = Arc<State>;

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/__fake/tokens", get(list_tokens))
        .route("/__fake/tokens/{id}", get(one_token))
        .route("/__fake/tokens/{id}/redeem", post(redeem_token))
        .route("/__fake/sessions", get(list_sessions))
        .route("/__fake/sessions/{id}", get(one_session))
        .route("/__fake/sessions/{id}/touch", post(touch_session))
        .route("/__fake/sessions/{id}/end", post(end_session))
        .route("/__fake/sessions/{id}/expire", post(expire_session))
        .route("/__fake/usage", get(usage))
        .route("/__fake/quota", put(set_quota))
        .route("/__fake/plan", put(set_plan))
        .route("/__fake/faults", post(add_fault).delete(clear_faults))
        .route("/__fake/clock/advance", post(advance_clock))
        .route("/__fake/users", get(users).put(set_users))
        .route("/__fake/users/{id}", put(add_user).delete(remove_user))
        .route(
            "/__fake/rate_limit",
            put(set_rate_limit).delete(clear_rate_limit),
        )
        .route("/__fake/reset", post(reset))
        .route("/__fake/stats", get(stats))
        .route("/__fake/connections/close", post(close_connections))
}

/// A token without its secrets, as the control endpoints show it.
fn view(t: &StoredToken) -> Value {
    json_value!({
        "object": "actor_token",
        "id": t.id,
        "status": t.status.as_str(),
        "user_id": t.user_id,
        "actor": t.actor,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "expires_at": t.expires_at,
        "session_max_duration_in_seconds": t.session_max_duration.as_secs(),
    })
}

/// A session as the control endpoints show it: Clerk's fields and the token that started it.
fn session_view(s: &StoredSession) -> Value {
    json_value!({
        "object": "session",
        "id": s.id,
        "status": s.status.as_str(),
        "user_id": s.user_id,
        "client_id": s.client_id,
        "actor": s.actor,
        "actor_token_id": s.actor_token_id,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
        "last_active_at": s.last_active_at,
        "expire_at": s.expire_at,
        "abandon_at": s.abandon_at,
    })
}

fn bad_request(long_message: impl Into<String>) -> Refusal {
    Refusal::one(
        StatusCode::BAD_REQUEST,
        clerk_error("request_body_invalid", "invalid request", long_message),
    )
}

/// A control request's JSON body (none counts as `{}`).
async fn parse<T: DeserializeOwned>(request: Request) -> Result<T, Refusal> {
    let body = read_body(request).await?;
    let body: &[u8] = if body.is_empty() { b"{}" } else { &body };
    serde_json::from_slice(body).map_err(|e| bad_request(format!("Invalid control request: {e}")))
}

fn answer(result: Result<Value, Refusal>, ctx: &RequestContext) -> Response {
    match result {
        Ok(value) => json(StatusCode::OK, &value),
        Err(refusal) => refusal.respond(&ctx.trace),
    }
}

#[derive(serde::Deserialize)]
struct ListQuery {
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    100
}

async fn list_tokens(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(ListQuery { limit })) = query else {
        return bad_request("limit must be a non-negative integer.").respond(&ctx.trace);
    };
    let tokens = state.tokens();
    let data: Vec<Value> = tokens.iter().rev().take(limit).map(view).collect();
    answer(
        Ok(json_value!({"data": data, "total_count": tokens.len()})),
        &ctx,
    )
}

async fn one_token(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    Path(id): Path<String>,
) -> Response {
    answer(
        state
            .token(&id)
            .map(|t| view(&t))
            .ok_or_else(Refusal::unknown_token),
        &ctx,
    )
}

async fn redeem_token(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    Path(id): Path<String>,
) -> Response {
    let result = match state.token(&id) {
        None => Err(Refusal::unknown_token()),
        Some(t) => state
            .redeem(t.token.expose())
            .map_err(|e| e.refusal())
            .map(|(t, s)| json_value!(SignIn::new(&t, Some(&s.id)))),
    };
    answer(result, &ctx)
}

#[derive(serde::Deserialize)]
struct SessionListQuery {
    #[serde(default = "default_limit")]
    limit: usize,
    user_id: Option<String>,
    status: Option<String>,
}

async fn list_sessions(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    query: Result<Query<SessionListQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad_request("limit must be a non-negative integer.").respond(&ctx.trace);
    };
    let matching: Vec<StoredSession> = state
        .sessions()
        .into_iter()
        .rev()
        .filter(|s| query.user_id.as_deref().is_none_or(|u| s.user_id == u))
        .filter(|s| {
            query
                .status
                .as_deref()
                .is_none_or(|st| s.status.as_str() == st)
        })
        .collect();
    let data: Vec<Value> = matching
        .iter()
        .take(query.limit)
        .map(session_view)
        .collect();
    answer(
        Ok(json_value!({"data": data, "total_count": matching.len()})),
        &ctx,
    )
}

/// A session id from the path; one that does not decode to UTF-8 names no session.
type SessionPath = Result<Path<String>, PathRejection>;

fn session_id(path: SessionPath) -> String {
    path.map(|Path(id)| id).unwrap_or_default()
}

async fn one_session(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    path: SessionPath,
) -> Response {
    let id = session_id(path);
    let result = state
        .session(&id)
        .map(|s| session_view(&s))
        .ok_or_else(|| Refusal::unknown_session(&id));
    answer(result, &ctx)
}

type Control = fn(&mut SessionRecord, i64) -> Result<(), SessionError>;

fn steer(
    state: &State,
    ctx: &RequestContext,
    path: SessionPath,
    action: &str,
    control: Control,
) -> Response {
    let id = session_id(path);
    let result = state
        .steer_session(&id, control)
        .map(|s| session_view(&s))
        .map_err(|e| session_refusal(&id, action, e));
    answer(result, ctx)
}

async fn touch_session(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    path: SessionPath,
) -> Response {
    steer(&state, &ctx, path, "touch", SessionRecord::touch)
}

async fn end_session(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    path: SessionPath,
) -> Response {
    steer(&state, &ctx, path, "end", SessionRecord::end)
}

async fn expire_session(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    path: SessionPath,
) -> Response {
    steer(&state, &ctx, path, "expire", SessionRecord::expire)
}

async fn usage(AxumState(state): AxumState<Shared>, ctx: RequestContext) -> Response {
    let usage = lock(&state.scenario).usage();
    answer(
        serde_json::to_value(usage).map_err(|_| bad_request("unreachable")),
        &ctx,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaSpec {
    limit: Option<u64>,
    used: Option<u64>,
}

async fn set_quota(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    request: Request,
) -> Response {
    let result = parse::<QuotaSpec>(request).await.map(|spec| {
        let mut scenario = lock(&state.scenario);
        scenario.limit = spec.limit;
        if let Some(used) = spec.used {
            scenario.used = used;
        }
        json_value!(scenario.usage())
    });
    answer(result, &ctx)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanSpec {
    impersonation: bool,
}

async fn set_plan(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    request: Request,
) -> Response {
    let result = parse::<PlanSpec>(request).await.map(|spec| {
        let mut scenario = lock(&state.scenario);
        scenario.impersonation_enabled = spec.impersonation;
        json_value!(scenario.usage())
    });
    answer(result, &ctx)
}

/// The JSON form of a [`Fault`] for `POST /__fake/faults`. Give `status` (with optional `code`,
/// `message`, `retry_after_seconds` or a verbatim `retry_after`), or `drop_connection: true`, or
/// only `delay_ms`. `stall_body: true` or `drip_body_ms` change how the answer's body is sent
/// (see [`Fault::stall_body`], [`Fault::drip_body`]).
///
/// ```json
/// {"target": "create", "times": 2, "status": 429, "retry_after_seconds": 1}
/// {"target": "create", "status": 502, "after_processing": true}
/// {"target": "revoke", "drop_connection": true}
/// {"target": "any", "delay_ms": 200}
/// {"target": "revoke", "status": 503, "stall_body": true}
/// {"target": "revoke_session", "status": 500, "after_processing": true}
/// {"target": "create", "delay_ms": 0, "drip_body_ms": 100}
/// {"status": 429, "retry_after": "18446744073709551615"}
/// ```
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    #[serde(default = "any")]
    target: Target,
    times: Option<u32>,
    status: Option<u16>,
    code: Option<String>,
    message: Option<String>,
    retry_after_seconds: Option<u64>,
    retry_after: Option<String>,
    delay_ms: Option<u64>,
    #[serde(default)]
    stall_body: bool,
    drip_body_ms: Option<u64>,
    #[serde(default)]
    drop_connection: bool,
    #[serde(default)]
    after_processing: bool,
}

fn any() -> Target {
    Target::Any
}

impl FaultSpec {
    fn into_fault(self) -> Result<Fault, String> {
        let mut fault = match (self.status, self.drop_connection, self.delay_ms) {
            (Some(_), true, _) => {
                return Err("give either status or drop_connection, not both".into());
            }
            (Some(status), false, _) => {
                let status = StatusCode::from_u16(status)
                    .map_err(|_| format!("{status} is not an HTTP status code"))?;
                let mut fault = Fault::status(status);
                if self.code.is_some() || self.message.is_some() {
                    let code = self.code.unwrap_or_else(|| "injected_fault".into());
                    let message = self.message.unwrap_or_else(|| code.replace('_', " "));
                    fault = fault.code(code, message);
                }
                if let Some(secs) = self.retry_after_seconds {
                    fault = fault.retry_after(Duration::from_secs(secs));
                }
                fault
            }
            (None, true, _) => Fault::drop_connection(),
            (None, false, Some(ms)) => Fault::delay(Duration::from_millis(ms)),
            (None, false, None) => {
                return Err("a fault needs status, drop_connection or delay_ms".into());
            }
        };
        if let Some(ms) = self.delay_ms {
            fault = fault.with_delay(Duration::from_millis(ms));
        }
        if self.after_processing {
            fault = fault.after_processing();
        }
        if let Some(raw) = self.retry_after {
            let value = HeaderValue::try_from(raw)
                .map_err(|_| "retry_after is not a valid header value".to_string())?;
            fault = fault.retry_after_raw(value);
        }
        if self.drop_connection && (self.stall_body || self.drip_body_ms.is_some()) {
            return Err("a dropped connection has no body to stall or drip".into());
        }
        match (self.stall_body, self.drip_body_ms) {
            (true, Some(_)) => return Err("give either stall_body or drip_body_ms".into()),
            (true, None) => fault = fault.stall_body(),
            (false, Some(ms)) => fault = fault.drip_body(Duration::from_millis(ms)),
            (false, None) => {}
        }
        Ok(fault.on(self.target).times(self.times.unwrap_or(1)))
    }
}

async fn add_fault(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    request: Request,
) -> Response {
    let result = async {
        let fault = parse::<FaultSpec>(request)
            .await?
            .into_fault()
            .map_err(bad_request)?;
        let mut scenario = lock(&state.scenario);
        scenario.push(fault);
        Ok(json_value!({"pending_faults": scenario.pending_faults()}))
    }
    .await;
    answer(result, &ctx)
}

async fn clear_faults(AxumState(state): AxumState<Shared>, ctx: RequestContext) -> Response {
    lock(&state.scenario).clear_faults();
    answer(Ok(json_value!({"pending_faults": 0})), &ctx)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceSpec {
    seconds: u64,
}

async fn advance_clock(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    request: Request,
) -> Response {
    let result = parse::<AdvanceSpec>(request).await.map(|spec| {
        state.advance_clock(Duration::from_secs(spec.seconds));
        json_value!({"now": state.now_ms()})
    });
    answer(result, &ctx)
}

fn users_view(state: &State) -> Value {
    let users = lock(&state.users);
    json_value!({"strict": users.is_strict(), "added": users.added()})
}

async fn users(AxumState(state): AxumState<Shared>, ctx: RequestContext) -> Response {
    answer(Ok(users_view(&state)), &ctx)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersSpec {
    strict: bool,
}

async fn set_users(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    request: Request,
) -> Response {
    let result = parse::<UsersSpec>(request).await.map(|spec| {
        lock(&state.users).set_strict(spec.strict);
        users_view(&state)
    });
    answer(result, &ctx)
}

fn user_view(state: &State, id: &str) -> Value {
    json_value!({"user_id": id, "exists": lock(&state.users).exists(id)})
}

async fn add_user(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    Path(id): Path<String>,
) -> Response {
    lock(&state.users).add(&id);
    answer(Ok(user_view(&state, &id)), &ctx)
}

async fn remove_user(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    Path(id): Path<String>,
) -> Response {
    lock(&state.users).remove(&id);
    answer(Ok(user_view(&state, &id)), &ctx)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitSpec {
    preset: Option<String>,
    requests: Option<u32>,
    window_seconds: Option<u32>,
}

impl RateLimitSpec {
    fn into_limit(self) -> Result<RateLimit, String> {
        match (self.preset.as_deref(), self.requests, self.window_seconds) {
            (Some("development"), None, None) => Ok(RateLimit::DEVELOPMENT),
            (Some("production"), None, None) => Ok(RateLimit::PRODUCTION),
            (None, Some(requests), Some(window)) => Ok(RateLimit::new(
                requests,
                Duration::from_secs(u64::from(window)),
            )),
            _ => Err(
                "give preset (development or production), or requests and window_seconds".into(),
            ),
        }
    }
}

async fn set_rate_limit(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    request: Request,
) -> Response {
    let result = async {
        let limit = parse::<RateLimitSpec>(request)
            .await?
            .into_limit()
            .map_err(bad_request)?;
        *lock(&state.rate_limit) = Some(Limiter::new(limit));
        Ok(json_value!(limit))
    }
    .await;
    answer(result, &ctx)
}

async fn clear_rate_limit(AxumState(state): AxumState<Shared>, ctx: RequestContext) -> Response {
    *lock(&state.rate_limit) = None;
    answer(Ok(json_value!({"rate_limit": null})), &ctx)
}

async fn stats(AxumState(state): AxumState<Shared>, ctx: RequestContext) -> Response {
    let connections = &state.connections;
    answer(
        Ok(json_value!({
            "connections_opened": connections.opened(),
            "connections_open": connections.open(),
        })),
        &ctx,
    )
}

async fn close_connections(AxumState(state): AxumState<Shared>, ctx: RequestContext) -> Response {
    let closing = state.connections.open();
    // Signalled at the call; not awaited: this request's own connection is among those that
    // close, and only after this answer.
    drop(state.connections.close_all());
    answer(Ok(json_value!({"connections_closing": closing})), &ctx)
}

async fn reset(AxumState(state): AxumState<Shared>, ctx: RequestContext) -> Response {
    state.reset();
    answer(Ok(json_value!({"reset": true})), &ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Result<Fault, String> {
        serde_json::from_str::<FaultSpec>(json)
            .unwrap()
            .into_fault()
    }

    #[test]
    fn fault_specs_map_onto_faults() {
        assert_eq!(
            spec(r#"{"target":"create","times":2,"status":429,"retry_after_seconds":1}"#).unwrap(),
            Fault::status(StatusCode::TOO_MANY_REQUESTS)
                .retry_after(Duration::from_secs(1))
                .on(Target::Create)
                .times(2)
        );
        assert_eq!(
            spec(r#"{"drop_connection":true,"after_processing":true}"#).unwrap(),
            Fault::drop_connection().after_processing()
        );
        assert_eq!(
            spec(r#"{"delay_ms":5}"#).unwrap(),
            Fault::delay(Duration::from_millis(5))
        );
        assert_eq!(
            spec(r#"{"status":503,"stall_body":true,"retry_after":"-5"}"#).unwrap(),
            Fault::status(StatusCode::SERVICE_UNAVAILABLE)
                .stall_body()
                .retry_after_raw(HeaderValue::from_static("-5"))
        );
        assert_eq!(
            spec(r#"{"delay_ms":0,"drip_body_ms":100}"#).unwrap(),
            Fault::delay(Duration::ZERO).drip_body(Duration::from_millis(100))
        );
        assert!(spec(r#"{"status":503,"stall_body":true,"drip_body_ms":1}"#).is_err());
        assert!(spec(r#"{"status":429,"retry_after":"a\nb"}"#).is_err());
        assert!(spec(r#"{"status":429,"drop_connection":true}"#).is_err());
        assert!(spec(r#"{"status":1000}"#).is_err());
        assert!(spec(r#"{}"#).is_err());
        assert!(serde_json::from_str::<FaultSpec>(r#"{"stauts":1}"#).is_err());
    }
}
