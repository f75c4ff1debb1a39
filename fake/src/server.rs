//! The accept loop. It is ours rather than `axum::serve` so that a fault can close one
//! connection without answering, so that stopping ends idle keep-alive connections at once, and
//! so that [`Connections`] can count connections and close them while the listener stays open.
//!
//! With the `tls` feature a connection may be HTTPS: the handshake runs in the connection's own
//! task (a slow or failed handshake never holds up the accept loop), and ALPN picks HTTP/2 or
//! HTTP/1.1. Both serve the same router; a fault that drops the connection closes an HTTP/1.1
//! connection, and on HTTP/2 resets only the request's stream (`RST_STREAM` with
//! `INTERNAL_ERROR`), as a proxy does when one upstream request fails: the connection's other
//! requests are not Clerk's to lose.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower_service::Service;

use crate::connections::Connections;
use crate::errors::TraceId;
use crate::request::RequestContext;

/// How long in-flight requests may take to finish once the fake is asked to stop, or its
/// connections to close.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// How long a TLS client may take to complete its handshake; one that connects and sends
/// nothing would otherwise hold a task (and a file descriptor) until the fake stops.
#[cfg(feature = "tls")]
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a connection's task needs besides its socket.
pub(crate) struct Server {
    pub(crate) listener: TcpListener,
    pub(crate) router: Router,
    pub(crate) connections: Arc<Connections>,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
}

/// The two reasons a connection closes gracefully: the fake stops, or its generation is closed.
struct Closing {
    shutdown: watch::Receiver<bool>,
    generation: watch::Receiver<()>,
}

impl Closing {
    /// Resolves once either signal fires (a dropped sender counts: the fake is gone, or a
    /// `close_connections` future was dropped after it had signalled).
    async fn wait(&mut self) {
        tokio::select! {
            _ = self.shutdown.changed() => {}
            _ = self.generation.changed() => {}
        }
    }
}

/// Serves until `shutdown` changes or its sender is dropped, then drains connections.
pub(crate) async fn serve(server: Server, mut shutdown: watch::Receiver<bool>) {
    let Server {
        listener,
        router,
        connections: counts,
        #[cfg(feature = "tls")]
        tls,
    } = server;
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (guard, generation) = counts.accepted();
                    // Without it, Nagle's algorithm and delayed ACKs add tens of milliseconds.
                    let _ = stream.set_nodelay(true);
                    let closing = Closing { shutdown: shutdown.clone(), generation };
                    let router = router.clone();
                    #[cfg(feature = "tls")]
                    let tls = tls.clone();
                    connections.spawn(async move {
                        let _guard = guard;
                        #[cfg(feature = "tls")]
                        if let Some(acceptor) = tls {
                            return secure(stream, acceptor, router, closing).await;
                        }
                        http1(TokioIo::new(stream), router, closing).await;
                    });
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

/// The TLS handshake, then HTTP/2 or HTTP/1.1 as ALPN chose (HTTP/1.1 when the client offered
/// no ALPN). A failed or timed-out handshake only ends this connection.
#[cfg(feature = "tls")]
async fn secure(
    stream: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    router: Router,
    mut closing: Closing,
) {
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    let stream = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                tracing::debug!(%error, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                return;
            }
        },
        // Nothing was asked on it yet: closing it is all a graceful close means here.
        _ = closing.wait() => return,
    };
    let h2 = stream.get_ref().1.alpn_protocol() == Some(crate::tls::H2);
    if h2 {
        http2(TokioIo::new(stream), router, closing).await;
    } else {
        http1(TokioIo::new(stream), router, closing).await;
    }
}

/// Calls the router with the request's context; logs the request (path only: a sign-in url's
/// query holds its ticket).
async fn handle(
    mut router: Router,
    mut request: http::Request<Incoming>,
    drop_switch: Arc<Notify>,
) -> Response {
    request.extensions_mut().insert(RequestContext {
        trace: TraceId::new(),
        drop_connection: Some(drop_switch),
    });
    let started = Instant::now();
    let method = request.method().clone();
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
    response
}

async fn http1<I>(io: I, router: Router, mut closing: Closing)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    // One switch for the connection: a fault that fires it drops the connection.
    let drop_switch = Arc::new(Notify::new());
    let switch = drop_switch.clone();
    let service = hyper::service::service_fn(move |request| {
        let response = handle(router.clone(), request, switch.clone());
        async move { Ok::<_, Infallible>(response.await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // A fault asked to drop the connection: dropping `conn` closes the socket unanswered.
        _ = drop_switch.notified() => {}
        // An idle keep-alive connection closes at once, a busy one after its answer.
        _ = closing.wait() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(GRACE, conn).await;
        }
    }
}

/// The error a request's service returns when a fault drops it: hyper resets the stream.
#[cfg(feature = "tls")]
#[derive(Debug)]
struct StreamDropped;

#[cfg(feature = "tls")]
impl std::fmt::Display for StreamDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an injected fault dropped the request")
    }
}

#[cfg(feature = "tls")]
impl std::error::Error for StreamDropped {}

#[cfg(feature = "tls")]
async fn http2<I>(io: I, router: Router, mut closing: Closing)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| {
        // One switch per request: a fault that fires it resets this request's stream only.
        let drop_switch = Arc::new(Notify::new());
        let response = handle(router.clone(), request, drop_switch.clone());
        async move {
            tokio::select! {
                response = response => Ok(response),
                () = drop_switch.notified() => Err(StreamDropped),
            }
        }
    });
    let conn = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
        .timer(TokioTimer::new())
        .serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // GOAWAY: streams the client opened before it learns of the close are answered, later
        // ones are refused unprocessed (the client may retry them elsewhere).
        _ = closing.wait() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(GRACE, conn).await;
        }
    }
}
