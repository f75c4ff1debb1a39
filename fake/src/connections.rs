//! The connections of one fake: how many were accepted and are open, and closing all of them
//! while the listener stays open (`/__fake/stats`, `close_connections`). The accept loop
//! (`server.rs`) counts each connection here; the state holds the counts for the control API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::lock::lock;

/// The connections of one fake: how many were accepted and are open, and the signal that closes
/// every connection accepted so far (one "generation") while later ones stay.
#[derive(Debug)]
pub(crate) struct Connections {
    opened: AtomicU64,
    open: Arc<AtomicU64>,
    /// The current generation's sender. Each connection holds a receiver of the generation it was
    /// accepted in; a sender learns from `closed()` when all of its connections are gone.
    generation: Mutex<watch::Sender<()>>,
}

impl Connections {
    pub(crate) fn new() -> Self {
        Self {
            opened: AtomicU64::new(0),
            open: Arc::new(AtomicU64::new(0)),
            generation: Mutex::new(watch::channel(()).0),
        }
    }

    /// TCP connections accepted since start.
    pub(crate) fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// TCP connections accepted and not yet closed (TLS handshakes in progress included).
    pub(crate) fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Counts a connection just accepted and ties it to the current generation.
    pub(crate) fn accepted(&self) -> (OpenGuard, watch::Receiver<()>) {
        self.opened.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        let generation = lock(&self.generation).subscribe();
        let guard = OpenGuard {
            open: self.open.clone(),
            _generation: generation.clone(),
        };
        (guard, generation)
    }

    /// Starts a new generation and asks every connection of the old ones to close gracefully;
    /// the future waits until they have (each gets the accept loop's grace period for its in-flight requests).
    /// Taking the sender out happens at the call, so connections accepted after it are kept
    /// even if the future is never polled.
    pub(crate) fn close_all(&self) -> impl Future<Output = ()> + Send + 'static {
        let old = std::mem::replace(&mut *lock(&self.generation), watch::channel(()).0);
        // `send_replace` notifies even when no connection listens (no error to ignore).
        old.send_replace(());
        async move { old.closed().await }
    }
}

/// Decrements the open count when the connection's task ends, however it ends (also when the
/// task is aborted at stop). It holds a receiver of the connection's generation, dropped only
/// after the decrement: when `close_connections` returns, the count no longer has them.
pub(crate) struct OpenGuard {
    open: Arc<AtomicU64>,
    _generation: watch::Receiver<()>,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}
