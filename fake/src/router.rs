//! The HTTP face of the fake: Clerk's two actor-token endpoints, the sign-in url, 405 and 404
//! answers in Clerk's shape, and the fault injection that wraps each endpoint.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, Request, State as AxumState};
use axum::response::Response;
use axum::routing::{get, post};
use http::StatusCode;
use http::request::Parts;
use tokio::sync::Notify;

use crate::errors::{Refusal, TraceId, clerk_error, json};
use crate::scenario::{Action, Target};
use crate::state::{State, lock};

/// Largest request body read; Clerk's create body is a few hundred bytes.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

type Shared = Arc<State>;

/// Per-request context the server puts into the request: the trace id (also sent as a header)
/// and the switch that drops the connection.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    pub(crate) trace: TraceId,
    pub(crate) drop_connection: Option<Arc<Notify>>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| RequestContext {
                trace: TraceId::new(),
                drop_connection: None,
            }))
    }
}

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
            "/v1/tickets/accept",
            get(redeem).fallback(|ctx: RequestContext| async move {
                Refusal::method_not_allowed("GET, HEAD").respond(&ctx.trace)
            }),
        )
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
    match fault.action {
        Action::Proceed => handle().await,
        Action::Respond {
            status,
            code,
            message,
            retry_after_secs,
        } => {
            if fault.after_processing {
                let _ = handle().await;
            }
            let mut refusal = Refusal::one(
                status,
                clerk_error(&code, &message, format!("Injected fault: HTTP {status}.")),
            );
            refusal.retry_after = retry_after_secs;
            refusal.respond(&ctx.trace)
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

async fn read_body(request: Request) -> Result<bytes::Bytes, Refusal> {
    axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            Refusal::one(
                StatusCode::PAYLOAD_TOO_LARGE,
                clerk_error(
                    "request_body_too_large",
                    "request body too large",
                    format!(
                        "The request body could not be read or exceeds {MAX_BODY_BYTES} bytes."
                    ),
                ),
            )
        })
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
        let result = crate::auth::check(request.headers()).and_then(|()| match id {
            Ok(Path(id)) => st.revoke(&id),
            Err(_) => Err(Refusal::not_found("No actor token was found with that id.")),
        });
        match result {
            Ok(token) => json(StatusCode::OK, &token),
            Err(refusal) => refusal.respond(trace),
        }
    })
    .await
}

/// Opening a token's url: the fake's stand-in for Clerk's sign-in with a ticket.
async fn redeem(
    AxumState(state): AxumState<Shared>,
    ctx: RequestContext,
    request: Request,
) -> Response {
    let (st, trace) = (&*state, &ctx.trace);
    with_faults(st, Target::Redeem, &ctx, move || async move {
        let query = request.uri().query().unwrap_or_default();
        let ticket = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("ticket="))
            .unwrap_or_default();
        if ticket.is_empty() {
            let error = crate::errors::with_param(
                clerk_error(
                    "form_param_missing",
                    "missing required parameter",
                    "ticket must be included.",
                ),
                "ticket",
            );
            return Refusal::one(StatusCode::BAD_REQUEST, error).respond(trace);
        }
        match st.redeem(ticket) {
            Ok(token) => json(StatusCode::OK, &crate::control::SignIn::from(&token)),
            Err(e) => e.refusal().respond(trace),
        }
    })
    .await
}
