//! The runtime that drives a blocking client's calls and connections, on a thread of its own
//! (as `reqwest::blocking` does).
//!
//! A connection is a task of the runtime that opened it, and it only makes progress while that
//! runtime runs. A blocking call's runtime used to run only during blocking calls, so a connection
//! it had opened, reused later by a call from the application's runtime (through
//! `blocking::Clerk::as_async`), stalled that call until its time limit (seanmonstar/reqwest#2501).
//! Here one worker thread runs all the time, and every call of a client that a blocking client
//! wraps runs on it, wherever it was made: all connections of the shared pool live in a runtime
//! that is always running.

use std::future::Future;

use tracing::Instrument;
use tracing::instrument::WithSubscriber;

use crate::error::{ConfigError, Error};

/// A multi-threaded tokio runtime with one worker thread.
pub(crate) struct Driver {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Driver {
    pub(crate) fn new() -> Result<Self, ConfigError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("clerk-actor-tokens")
            .enable_all()
            .build()
            .map_err(|e| {
                ConfigError::HttpClient(format!("cannot start the blocking client's runtime: {e}"))
            })?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        // Only `Drop` takes the runtime out.
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the driver")
    }

    /// Blocks the calling thread (which must not be inside a runtime) on `future`.
    pub(crate) fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime().block_on(future)
    }

    /// Runs `call` on the worker thread and waits for it. The caller's tracing subscriber and
    /// current span go with it, so that its span and audit event reach the subscriber the caller
    /// set (also a thread-local default) and nest where the caller is.
    pub(crate) async fn run<T, F>(&self, call: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let call = call
            .instrument(tracing::Span::current())
            .with_current_subscriber();
        match self.runtime().spawn(call).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime shuts down only when the last client holding it is dropped, and a
            // running call holds one; this is for completeness, not an expected path.
            Err(_) => Err(ConfigError::HttpClient(
                "the blocking client's runtime shut down during the call".to_string(),
            )
            .into()),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Never wait: not for in-flight connections, and not for blocking tasks (a DNS lookup
        // that hangs in `getaddrinfo`), which dropping a runtime otherwise waits for. And a
        // runtime dropped the ordinary way inside an async context panics; the last clone of a
        // client may well be dropped there.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
