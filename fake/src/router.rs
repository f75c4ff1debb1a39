//! The HTTP face of the fake: Clerk's two actor-token endpoints, its three session endpoints, the
//! sign-in url and the sign-in page it redirects to, 405 and 404 answers in Clerk's shape, the
//! opt-in rate limit, and the fault injection that wraps each endpoint.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, RawQuery, Request, State as AxumState};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::StatusCode;
use http::header::{ACCEPT, HeaderMap, LOCATION};

use crate::errors::{Refusal, TOO_MANY_REQUESTS_CODE, clerk_error, json};
use crate::lock::lock;
use crate::request::{RequestContext, read_body};
use crate::scenario::{Action, Target};
use crate::state::{SessionQuery, SignIn, State};

type Shared = Arc<State>;

/// The fake's stand-in for the application's sign-in page, where opening a sign-in url redirects
/// unless `FakeClerkBuilder::sign_in_url` names another.
pub(crate) const SIGN_IN_PATH: &str = "/sign-in";

pub(crate) fn build(state: Shared) -> Router {
    Router::new()
        .route(
            "/v1/actor_tokens",
            post(create).fallback(|ctx: RequestContext| async move {
                Refusal::method_not_allowed("POST").respond(&ctx.trace)
            }),
        )
        .route(
            "/v1/actor_tokens/{actor_token_id}/revoke",
            post(revoke).fallback(|ctx: RequestContext| async move {
                Refusal::method_not_allowed("POST").respond(&ctx.trace)
            }),
        )
        .route(
            "/v1/sessions",
            get(list_sessions).fallback(|ctx: RequestContext| async move {
                Refusal::method_not_allowed("GET, HEAD").respond(&ctx.trace)
            }),
        )
        .route(
            "/v1/sessions/{session_id}",
            get(get_session).fallback(|ctx: RequestContext| async move {
                Refusal::method_not_allowed("GET, HEAD").respond(&ctx.trace)
            }),
        )
        .route(
            "/v1/sessions/{session_id}/revoke",
            post(revoke_session).fallback(|ctx: RequestContext| async move {
                Refusal::method_not_allowed("POST").respond(&ctx.trace)
            }),
        )
        .route(
            "/v1/tickets/accept",
            get(redeem).fallback(|ctx: RequestContext| async move {
                Refusal::method_not_allowed("GET, HEAD").respond(&ctx.trace)
            }),
        )
        .route(SIGN_IN_PATH, get(sign_in_page))
        .merge(crate::control::routes())
        .fallback(|ctx: RequestContext| async move {
            Refusal::not_found("The requested resource does not exist.").respond(&ctx.trace)
        })
        .with_state(state)
}

/// Runs `handle` unless a queued fault says otherwise.
async fn with_faults<F, Fut>(
    state: &State,
    target: Target,
    ctx: &RequestContext,
    handle: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let fault = lock(&state.scenario).take(target);
    let Some(fault) = fault else {
        return handle().await;
    };
    tracing::debug!(?target, ?fault, "injecting a fault");
    if let Some(delay) = fault.delay {
        tokio::time::sleep(delay).await;
    }
    match &fault.action {
        Action::Proceed => fault.shape(handle().await),
        Action::Respond {
            status,
            code,
            message,
            retry_after_secs,
        } => {
            if fault.after_processing {
                let _ = handle().await;
            }
            // A 429 always carries a whole-second Retry-After, as Clerk's does (see `errors`).
            let refusal = if *status == StatusCode::TOO_MANY_REQUESTS {
                let mut refusal = Refusal::too_many_requests(retry_after_secs.unwrap_or(1));
                if code != TOO_MANY_REQUESTS_CODE {
                    refusal.errors = vec![clerk_error(code, message, "Injected fault: HTTP 429.")];
                }
                refusal
            } else {
                let mut refusal = Refusal::one(
                    *status,
                    clerk_error(code, message, format!("Injected fault: HTTP {status}.")),
                );
                refusal.retry_after = *retry_after_secs;
                refusal
            };
            fault.shape(refusal.respond(&ctx.trace))
        }
        Action::Drop => {
            if fault.after_processing {
                let _ = handle().await;
            }
            match &ctx.drop_connection {
                Some(switch) => {
                    switch.notify_one();
                    // The connection task drops this future together with the connection.
                    std::future::pending().await
                }
                // Outside the fake's own server there is no connection to drop.
                None => Refusal::one(
                    StatusCode::BAD_GATEWAY,
                    clerk_error(
                        "bad_gateway",
                        "bad gateway",
                        "Injected fault: dropped connection.",
                    ),
                )
                .respond(&ctx.trace),
            }
        }
    }
}

async fn create(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    request: Request,
) -> Response {
    let (st, trace) = (&*state, &ctx.trace);
    with_faults(st, Target::Create, &ctx, move || async move {
        let result = async {
            crate::auth::check(request.headers())?;
            st.check_rate_limit()?;
            let body = read_body(request).await?;
            let body = st.validator.parse(&body)?;
            st.create(body)
        }
        .await;
        match result {
            Ok(token) => json(StatusCode::OK, &token),
            Err(refusal) => refusal.respond(trace),
        }
    })
    .await
}

async fn revoke(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    id: Result<Path<String>, PathRejection>,
    request: Request,
) -> Response {
    // The body is ignored, as Clerk does: clients send none, `{}`, with or without a content type.
    let (st, trace) = (&*state, &ctx.trace);
    with_faults(st, Target::Revoke, &ctx, move || async move {
        let result = crate::auth::check(request.headers())
            .and_then(|()| st.check_rate_limit())
            .and_then(|()| match id {
                Ok(Path(id)) => st.revoke(&id),
                Err(_) => Err(Refusal::unknown_token()),
            });
        match result {
            Ok(token) => json(StatusCode::OK, &token),
            Err(refusal) => refusal.respond(trace),
        }
    })
    .await
}

/// The pairs of a query string, in order (repeated names kept; the validator takes the first).
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

async fn list_sessions(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (st, trace) = (&*state, &ctx.trace);
    with_faults(st, Target::ListSessions, &ctx, move || async move {
        let result = crate::auth::check(&headers)
            .and_then(|()| st.check_rate_limit())
            .and_then(|()| st.list_query.parse(&query_pairs(query.as_deref())))
            .and_then(|params| SessionQuery::from_params(&params))
            .map(|query| st.list_sessions(&query));
        match result {
            Ok(list) => json(StatusCode::OK, &list),
            Err(refusal) => refusal.respond(trace),
        }
    })
    .await
}

async fn get_session(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    one_session(
        &state,
        &ctx,
        Target::GetSession,
        id,
        headers,
        State::get_session,
    )
    .await
}

async fn revoke_session(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    // The body is ignored, as for the token's revoke.
    one_session(
        &state,
        &ctx,
        Target::RevokeSession,
        id,
        headers,
        State::revoke_session,
    )
    .await
}

/// A call on one session: auth, the rate limit, then `act` on the id, under `target`'s faults.
async fn one_session<T: serde::Serialize>(
    st: &State,
    ctx: &RequestContext,
    target: Target,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    act: fn(&State, &str) -> Result<T, Refusal>,
) -> Response {
    with_faults(st, target, ctx, move || async move {
        let result = crate::auth::check(&headers)
            .and_then(|()| st.check_rate_limit())
            .and_then(|()| match id {
                Ok(Path(id)) => act(st, &id),
                // Not valid UTF-8 once decoded: no session has such an id.
                Err(_) => Err(Refusal::unknown_session("")),
            });
        match result {
            Ok(session) => json(StatusCode::OK, &session),
            Err(refusal) => refusal.respond(&ctx.trace),
        }
    })
    .await
}

/// The query of a sign-in url (server `tickets.HTTP.Accept`).
#[derive(Debug, serde::Deserialize)]
struct AcceptQuery {
    #[serde(default)]
    ticket: String,
    redirect_url: Option<String>,
}

/// Whether the client asked for JSON rather than a browser's redirect.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/json"))
}

/// Opening a token's url. Clerk's Frontend API answers `303 See Other` to the application's
/// sign-in page with `__clerk_ticket`, and Clerk's sign-in there consumes the ticket. The fake has
/// no browser to run that page, so opening the url is the sign-in: the token becomes `accepted`
/// (or the refusal Clerk's sign-in would give comes back here), then the redirect follows. A
/// client that sends `Accept: application/json` gets the sign-in as JSON instead of a redirect.
async fn redeem(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    query: Result<Query<AcceptQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (st, trace) = (&*state, &ctx.trace);
    with_faults(st, Target::Redeem, &ctx, move || async move {
        let Ok(Query(query)) = query else {
            return Refusal::ticket_invalid().respond(trace);
        };
        if query.ticket.is_empty() {
            return Refusal::ticket_invalid().respond(trace);
        }
        match st.redeem(&query.ticket) {
            Ok((token, session)) if wants_json(&headers) => {
                json(StatusCode::OK, &SignIn::new(&token, Some(&session.id)))
            }
            Ok(_) => {
                let location = st.sign_in_redirect(&query.ticket, query.redirect_url.as_deref());
                match http::HeaderValue::from_str(&location) {
                    Ok(location) => (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response(),
                    // The sign-in url was checked when the fake was built; keep this total.
                    Err(_) => Refusal::ticket_invalid().respond(trace),
                }
            }
            Err(e) => e.refusal().respond(trace),
        }
    })
    .await
}

/// The query the sign-in page gets from the redirect.
#[derive(Debug, serde::Deserialize)]
struct SignInPageQuery {
    #[serde(default)]
    __clerk_ticket: String,
}

/// The fake's stand-in for the application's sign-in page: it shows, as JSON, the sign-in that
/// the ticket in `__clerk_ticket` completed. Opening it changes nothing.
async fn sign_in_page(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    query: Result<Query<SignInPageQuery>, QueryRejection>,
) -> Response {
    let token = query
        .ok()
        .and_then(|Query(q)| state.token_for_ticket(&q.__clerk_ticket));
    match token {
        Some(token) => {
            let session = state.session_of_token(&token.id);
            json(StatusCode::OK, &SignIn::new(&token, session.as_deref()))
        }
        None => Refusal::ticket_invalid().respond(&ctx.trace),
    }
}
