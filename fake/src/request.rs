//! What every handler gets from a request besides its parameters: the per-request context the
//! server attaches, and the body, read in one place with one size limit.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request};
use http::StatusCode;
use http::request::Parts;
use tokio::sync::Notify;

use crate::errors::{Refusal, TraceId, clerk_error};

/// Largest request body read; Clerk's create body is a few hundred bytes.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// Per-request context the server puts into the request: the trace id (sent in error bodies)
/// and the switch that drops the connection.
#[derive(Clone, Debug)]
pub(crate) struct RequestContext {
    pub(crate) trace: TraceId,
    pub(crate) drop_connection: Option<Arc<Notify>>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Outside the fake's own server (a router called directly) there is no connection to
        // drop and no trace id yet.
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

/// The whole body, or 413 when it is larger than [`MAX_BODY_BYTES`] or cannot be read.
pub(crate) async fn read_body(request: Request) -> Result<bytes::Bytes, Refusal> {
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
