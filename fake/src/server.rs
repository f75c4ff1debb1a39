//! The accept loop. It is ours rather than `axum::serve` so that a fault can close one
//! connection without answering, and so that stopping ends idle keep-alive connections at once.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower_service::Service;

use crate::errors::TraceId;
use crate::request::RequestContext;

/// How long in-flight requests may take to finish once the fake is asked to stop.
const GRACE: Duration = Duration::from_secs(2);

/// Serves until `shutdown` changes or its sender is dropped, then drains connections.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Without it, Nagle's algorithm and delayed ACKs add tens of milliseconds.
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(stream, router.clone(), shutdown.clone()));
                }
                Err(error) => {
                    // Typically out of file descriptors: back off instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE, drained).await.is_err() {
        connections.shutdown().await;
    }
}

async fn connection(stream: TcpStream, router: Router, mut shutdown: watch::Receiver<bool>) {
    let drop_switch = Arc::new(Notify::new());
    let switch = drop_switch.clone();
    let service =
        hyper::service::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(RequestContext {
                trace: TraceId::new(),
                drop_connection: Some(switch.clone()),
            });
            let mut router = router.clone();
            async move {
                let started = Instant::now();
                let method = request.method().clone();
                // The path only: a sign-in url's query holds its ticket.
                let path = request.uri().path().to_string();
                let response = match router.call(request.map(axum::body::Body::new)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                tracing::debug!(
                    %method,
                    path,
                    status = response.status().as_u16(),
                    micros = started.elapsed().as_micros() as u64,
                    "request"
                );
                Ok::<_, Infallible>(response)
            }
        });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // A fault asked to drop the connection: dropping `conn` closes the socket unanswered.
        _ = drop_switch.notified() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(GRACE, conn).await;
        }
    }
}
