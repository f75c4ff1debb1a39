//! A fake of Clerk's actor-token Backend API for tests: `POST /v1/actor_tokens`,
//! `POST /v1/actor_tokens/{id}/revoke`, the one-time sign-in url they hand out, and the sessions
//! that opening it creates (`GET /v1/sessions`, `GET /v1/sessions/{id}`,
//! `POST /v1/sessions/{id}/revoke`).
//!
//! It answers with the SDK's generated wire types and checks every create body against the
//! request schema of the same vendored OpenAPI fragment the SDK is generated from, so a client
//! that follows Clerk's spec works against it unchanged, and the fake cannot drift from the SDK.
//!
//! - Runs in-process on an ephemeral port: [`FakeClerk::start`] (async) or
//!   [`FakeClerk::start_blocking`] (its own thread, for synchronous tests).
//! - Behaves like Clerk: tokens are `pending` until their url is opened once (`accepted`; the url
//!   redirects to the sign-in page with `__clerk_ticket`), only pending tokens can be revoked,
//!   tickets expire after `expires_in_seconds`, unknown users get 404, errors are Clerk's
//!   `{"errors": [...], "clerk_trace_id": ...}` with the codes and texts of Clerk's error
//!   catalogue (each with its source in the `errors` module docs in the source).
//! - Sessions: opening a url starts a session of the user whose `actor` is the token's actor;
//!   it is `active` until revoked, ended ([`FakeClerk::end_session`]), past its maximum lifetime
//!   (`session_max_duration_in_seconds`: `expired`) or idle for ten minutes (`abandoned`), all on
//!   the fake's clock ([`FakeClerk::advance_clock`]; [`FakeClerk::touch_session`] is activity).
//! - Users: every user id exists unless removed ([`FakeClerk::remove_user`]); strict mode
//!   ([`FakeClerkBuilder::strict_users`]) knows only added users ([`FakeClerk::add_user`]).
//! - Scenarios: a monthly quota, a plan without impersonation (402), Clerk's rate limits
//!   ([`RateLimit`], opt-in), injected [`Fault`]s (any status with `Retry-After`, delays,
//!   dropped connections), a movable clock. Each is also reachable over HTTP under `/__fake/`
//!   (see the `control` module docs in the source).
//! - Memory is bounded: at most [`DEFAULT_MAX_TOKENS`] tokens by default
//!   ([`FakeClerkBuilder::max_tokens`]); when full, expired tokens are evicted first, then the
//!   oldest. A stored token is a 56-byte record with map and expiry-index entries and one
//!   allocation for the user id and actor JSON (the id and ticket are not stored but derived);
//!   the bench measures the fake's peak RSS under load (BENCHMARKS.md, section 2). Sessions are
//!   capped too ([`DEFAULT_MAX_SESSIONS`], [`FakeClerkBuilder::max_sessions`]; the oldest goes).
//! - Connections: [`FakeClerk::connections_opened`] counts the TCP connections accepted (a test
//!   can check that a client reuses its connections), and [`FakeClerk::close_connections`]
//!   closes every open one gracefully while the fake keeps listening and keeps its state, as a
//!   server restart behind a load balancer does (HTTP/2 `GOAWAY`; HTTP/1.1 keep-alive ends).
//! - HTTPS and HTTP/2 (feature `tls`, off by default): `FakeClerkBuilder::tls(true)` serves
//!   HTTPS with a CA made at each start (`FakeClerk::ca_certificate_pem` for the client to
//!   trust) and offers `h2` and `http/1.1` by ALPN (`FakeClerkBuilder::http2(false)`: only
//!   HTTP/1.1). The router, its answers and its faults are the same either way.
//!
//! ```
//! use clerk_actor_tokens::{Actor, Status};
//! use clerk_actor_tokens_fake::FakeClerk;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakeClerk::start().await?;
//! let clerk = fake.client()?; // a `Clerk` pointed at the fake with a valid test key
//!
//! let token = clerk.actor_tokens().create("user_1", Actor::new("user_admin")).send().await?;
//! fake.redeem(token.url().expect("create returns the url").expose())?; // the actor signs in
//! assert_eq!(fake.token(token.id()).unwrap().status, Status::Accepted);
//!
//! let refused = clerk.actor_tokens().revoke(token.id()).send().await.unwrap_err();
//! assert!(refused.is_not_revocable()); // only pending tokens can be revoked
//! fake.stop().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
// docs.rs builds with `--cfg docsrs` (see Cargo.toml): items behind `tls` then say so.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod connections;
mod control;
mod errors;
mod ids;
mod lock;
mod rate_limit;
mod request;
mod router;
mod scenario;
mod server;
mod sessions;
mod state;
mod store;
#[cfg(feature = "tls")]
mod tls;
mod users;
mod validation;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use clerk_actor_tokens::{Clerk, ClerkBuilder, Secret};
use tokio::net::TcpListener;
use tokio::sync::watch;

// Clerk's codes the fake answers with: the SDK's constants (one home), and the Frontend API's
// codes of the sign-in url, which only the fake needs.
pub use clerk_actor_tokens::{
    CANNOT_REVOKE_CODE, QUOTA_EXCEEDED_CODE, RESOURCE_NOT_FOUND_CODE, TOO_MANY_REQUESTS_CODE,
    UNSUPPORTED_PLAN_FEATURES_CODE,
};
pub use control::FaultSpec;
pub use errors::{ALREADY_USED_CODE, CANNOT_BE_USED_CODE, REVOKED_CODE, TICKET_INVALID_CODE};
pub use http::{HeaderValue, StatusCode};
pub use rate_limit::RateLimit;
pub use scenario::{Fault, Target, Usage};
pub use sessions::{INACTIVITY_TIMEOUT, SessionError, SessionState, StoredSession};
pub use state::{RedeemError, StoredToken};

use crate::lock::lock;
use crate::rate_limit::Limiter;
use crate::state::{SignInConfig, State};
use crate::validation::{CreateBodyValidator, QueryValidator};

/// A secret key the fake accepts (any `sk_test_...` or `sk_live_...` key is accepted).
pub const TEST_SECRET_KEY: &str = "sk_test_clerk_actor_tokens_fake";

/// How many tokens a fake keeps unless told otherwise.
pub const DEFAULT_MAX_TOKENS: usize = 100_000;

/// How many sessions a fake keeps unless told otherwise.
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

/// Prefix of the fake's own control endpoints (outside Clerk's `/v1`).
pub const CONTROL_PREFIX: &str = "/__fake";

/// Why a fake could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The OpenAPI fragment compiled into this crate could not be turned into a validator.
    #[error("the vendored OpenAPI fragment is unusable: {0}")]
    Spec(String),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port` as asked for.
        address: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The server thread or its runtime could not be started.
    #[error("cannot start the fake's thread: {0}")]
    Thread(#[source] std::io::Error),
    /// The certificates or the TLS configuration could not be made (feature `tls`).
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// A configured url cannot be used (it must be an absolute `http(s)://` url).
    #[error("invalid {what} {url:?}: it must be an absolute http:// or https:// url")]
    InvalidUrl {
        /// Which setting.
        what: &'static str,
        /// The url as given.
        url: String,
    },
}

/// Configures a [`FakeClerk`]: where it listens and how many tokens and sessions it keeps.
///
/// ```
/// use clerk_actor_tokens_fake::FakeClerk;
///
/// let fake = FakeClerk::builder().max_tokens(1_000).start_blocking()?;
/// assert!(fake.base_url().starts_with("http://127.0.0.1:"));
/// fake.stop_blocking();
/// # Ok::<(), clerk_actor_tokens_fake::StartError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct FakeClerkBuilder {
    host: String,
    port: u16,
    max_tokens: usize,
    max_sessions: usize,
    frontend_api: Option<String>,
    sign_in_url: Option<String>,
    strict_users: bool,
    rate_limit: Option<RateLimit>,
    #[cfg(feature = "tls")]
    tls: bool,
    #[cfg(feature = "tls")]
    http2: bool,
}

impl Default for FakeClerkBuilder {
    fn default() -> Self {
        Self {
            host: Ipv4Addr::LOCALHOST.to_string(),
            port: 0,
            max_tokens: DEFAULT_MAX_TOKENS,
            max_sessions: DEFAULT_MAX_SESSIONS,
            frontend_api: None,
            sign_in_url: None,
            strict_users: false,
            rate_limit: None,
            #[cfg(feature = "tls")]
            tls: false,
            #[cfg(feature = "tls")]
            http2: true,
        }
    }
}

/// An absolute `http(s)://` url without a trailing `/`, usable in a `Location` header.
fn checked_url(what: &'static str, url: &str) -> Result<String, StartError> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    let usable = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        && http::HeaderValue::from_str(trimmed).is_ok();
    if usable {
        Ok(trimmed.to_string())
    } else {
        Err(StartError::InvalidUrl {
            what,
            url: url.to_string(),
        })
    }
}

struct Prepared {
    state: Arc<State>,
    addr: SocketAddr,
    server: server::Server,
    ca_pem: Option<String>,
}

impl FakeClerkBuilder {
    /// The host or IP to listen on (default `127.0.0.1`).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// The port (default 0: an ephemeral port chosen by the OS).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The most tokens kept (default [`DEFAULT_MAX_TOKENS`], at least 1). When full, a create
    /// evicts an expired token (earliest expiry first), else the oldest token; an evicted token's
    /// id and url then answer 404.
    pub fn max_tokens(mut self, max: usize) -> Self {
        self.max_tokens = max.max(1);
        self
    }

    /// The most sessions kept (default [`DEFAULT_MAX_SESSIONS`], at least 1). When full, opening
    /// a url forgets the oldest session; its id then answers 404.
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.max_sessions = max.max(1);
        self
    }

    /// The Frontend API origin that sign-in urls point at, like Clerk's
    /// `https://<your-frontend-api>` (default: the fake itself). Urls are
    /// `<origin>/v1/tickets/accept?ticket=...`; point it elsewhere (a proxy, a hosts entry) only if
    /// requests to it reach the fake.
    pub fn frontend_api(mut self, origin: impl Into<String>) -> Self {
        self.frontend_api = Some(origin.into());
        self
    }

    /// The application's sign-in page that opening a sign-in url redirects to, with
    /// `__clerk_ticket=<ticket>` added (default: the fake's own `/sign-in`, which shows the
    /// sign-in as JSON).
    pub fn sign_in_url(mut self, url: impl Into<String>) -> Self {
        self.sign_in_url = Some(url.into());
        self
    }

    /// Strict users: only users added with [`FakeClerk::add_user`] exist. By default every user
    /// id exists (until [`FakeClerk::remove_user`]); creates for a user that does not exist get
    /// Clerk's 404 `resource_not_found`.
    pub fn strict_users(mut self, strict: bool) -> Self {
        self.strict_users = strict;
        self
    }

    /// Starts with Clerk's rate limit on (e.g. [`RateLimit::DEVELOPMENT`]); off by default.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Serves HTTPS (feature `tls`; off by default). At start the fake makes a fresh CA and a
    /// server certificate it signed for `127.0.0.1` and `localhost` (and the address it listens
    /// on, when that is another); [`FakeClerk::base_url`] starts with `https://` and sign-in
    /// urls point at `https://` too. Trust [`FakeClerk::ca_certificate_pem`] in the client.
    /// ALPN offers `h2` and `http/1.1` (see [`FakeClerkBuilder::http2`]); both behave the same,
    /// except that a [`Fault::drop_connection`] on HTTP/2 resets only its request's stream
    /// (`RST_STREAM` with `INTERNAL_ERROR`) instead of closing the connection. A TLS handshake
    /// that fails or takes longer than 10 s closes only that connection.
    ///
    /// ```
    /// use clerk_actor_tokens_fake::FakeClerk;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let fake = FakeClerk::builder().tls(true).start().await?;
    /// assert!(fake.base_url().starts_with("https://127.0.0.1:"));
    /// let ca = fake.ca_certificate_pem().expect("a TLS fake has a CA");
    /// assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    /// // e.g. reqwest::Certificate::from_pem(ca.as_bytes()) for a client's add_root_certificate
    /// fake.stop().await;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Whether a TLS fake offers HTTP/2 in ALPN (default `true`); `false` makes it offer only
    /// `http/1.1`, as a server or proxy without HTTP/2 does. Without [`FakeClerkBuilder::tls`]
    /// the fake speaks HTTP/1.1 only either way (no cleartext HTTP/2).
    #[cfg(feature = "tls")]
    pub fn http2(mut self, http2: bool) -> Self {
        self.http2 = http2;
        self
    }

    async fn prepare(&self) -> Result<Prepared, StartError> {
        let validator = CreateBodyValidator::shared().map_err(StartError::Spec)?;
        let list_query = QueryValidator::session_list().map_err(StartError::Spec)?;
        let frontend_api = self
            .frontend_api
            .as_deref()
            .map(|u| checked_url("frontend API origin", u))
            .transpose()?;
        let sign_in_url = self
            .sign_in_url
            .as_deref()
            .map(|u| checked_url("sign-in url", u))
            .transpose()?;
        let bind_error = |source| StartError::Bind {
            address: format!("{}:{}", self.host, self.port),
            source,
        };
        let listener = TcpListener::bind((self.host.as_str(), self.port))
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        #[cfg(feature = "tls")]
        let tls = if self.tls {
            Some(tls::configure(origin_ip(addr), self.http2)?)
        } else {
            None
        };
        #[cfg(feature = "tls")]
        let scheme = if tls.is_some() { "https" } else { "http" };
        #[cfg(not(feature = "tls"))]
        let scheme = "http";
        let own = format!(
            "{scheme}://{}",
            SocketAddr::new(origin_ip(addr), addr.port())
        );
        let sign_in = SignInConfig {
            frontend_api: frontend_api.unwrap_or_else(|| own.clone()),
            sign_in_url: sign_in_url.unwrap_or_else(|| format!("{own}{}", router::SIGN_IN_PATH)),
        };
        let state = Arc::new(State::new(
            (validator, list_query),
            own,
            sign_in,
            (self.max_tokens, self.max_sessions),
            self.strict_users,
        ));
        *lock(&state.rate_limit) = self.rate_limit.map(Limiter::new);
        let router = router::build(state.clone());
        #[cfg(feature = "tls")]
        let (tls, ca_pem) = match tls {
            Some(tls) => (Some(tls.acceptor), Some(tls.ca_pem)),
            None => (None, None),
        };
        #[cfg(not(feature = "tls"))]
        let ca_pem = None;
        let server = server::Server {
            listener,
            router,
            connections: state.connections.clone(),
            #[cfg(feature = "tls")]
            tls,
        };
        Ok(Prepared {
            state,
            addr,
            server,
            ca_pem,
        })
    }

    /// Starts the fake on the current Tokio runtime and returns once it accepts connections.
    pub async fn start(self) -> Result<FakeClerk, StartError> {
        let prepared = self.prepare().await?;
        let (shutdown, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(prepared.server, stopped));
        Ok(FakeClerk::new(
            prepared.state,
            (prepared.addr, prepared.ca_pem),
            shutdown,
            Runner::Task(task),
        ))
    }

    /// Starts the fake on a thread of its own (with its own runtime) and returns once it accepts
    /// connections; for synchronous tests, or to keep the fake off the test's runtime.
    pub fn start_blocking(self) -> Result<FakeClerk, StartError> {
        let (shutdown, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("clerk-actor-tokens-fake".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(StartError::Thread(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match self.prepare().await {
                        Ok(p) => {
                            let _ = ready_tx.send(Ok((p.state, (p.addr, p.ca_pem))));
                            server::serve(p.server, stopped).await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(StartError::Thread)?;
        let ready = ready_rx.recv().unwrap_or_else(|_| {
            Err(StartError::Thread(std::io::Error::other(
                "the fake's thread ended before it was ready",
            )))
        });
        match ready {
            Ok((state, listening)) => Ok(FakeClerk::new(
                state,
                listening,
                shutdown,
                Runner::Thread(thread),
            )),
            Err(e) => {
                let _ = thread.join();
                Err(e)
            }
        }
    }
}

/// The address in the fake's urls: sign-in urls must point somewhere a client can connect to,
/// and a wildcard address is not.
fn origin_ip(addr: SocketAddr) -> IpAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    }
}

/// Runs a future to completion on the calling thread, for the blocking twins of async methods
/// whose futures need no runtime (they only wait on Tokio's runtime-independent sync types).
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A spurious wake-up only polls once more.
        std::thread::park();
    }
}

enum Runner {
    Task(tokio::task::JoinHandle<()>),
    Thread(std::thread::JoinHandle<()>),
}

/// A running fake Clerk. Dropping it tells the server to stop and returns at once (the server
/// closes its listener, then gives in-flight requests up to 2 s on its own); [`FakeClerk::stop`]
/// and [`FakeClerk::stop_blocking`] wait until it has stopped.
///
/// All methods except `stop` are synchronous and can be called from any thread while requests
/// are in flight; state changes apply to the next request.
pub struct FakeClerk {
    state: Arc<State>,
    addr: SocketAddr,
    base_url: String,
    ca_pem: Option<String>,
    shutdown: watch::Sender<bool>,
    runner: Option<Runner>,
}

impl std::fmt::Debug for FakeClerk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeClerk")
            .field("base_url", &self.base_url)
            .field("tokens", &lock(&self.state.store).len())
            .field("sessions", &self.state.session_counts().0)
            .finish()
    }
}

impl FakeClerk {
    fn new(
        state: Arc<State>,
        (addr, ca_pem): (SocketAddr, Option<String>),
        shutdown: watch::Sender<bool>,
        runner: Runner,
    ) -> Self {
        let base_url = format!("{}/v1", state.origin);
        Self {
            state,
            addr,
            base_url,
            ca_pem,
            shutdown,
            runner: Some(runner),
        }
    }

    /// A builder, to choose the address or the token cap.
    pub fn builder() -> FakeClerkBuilder {
        FakeClerkBuilder::default()
    }

    /// Starts a fake on `127.0.0.1` and an ephemeral port, on the current Tokio runtime.
    pub async fn start() -> Result<Self, StartError> {
        Self::builder().start().await
    }

    /// Starts a fake on `127.0.0.1` and an ephemeral port, on a thread of its own.
    pub fn start_blocking() -> Result<Self, StartError> {
        Self::builder().start_blocking()
    }

    /// The API base url, version path included: `http://127.0.0.1:PORT/v1` (`https://` with
    /// `FakeClerkBuilder::tls`, feature `tls`). Give it to the SDK (`ClerkBuilder::api_url`) or set it as
    /// `CLERK_API_URL`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the fake listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM of the CA that signed a TLS fake's certificate (see `FakeClerkBuilder::tls`,
    /// feature `tls`); `None` for a plain HTTP fake. Each start makes a new CA, so trust this one, not a saved
    /// one. Always `None` without the `tls` feature.
    pub fn ca_certificate_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// How many TCP connections the fake accepted since it started (counted at accept, before
    /// any TLS handshake; [`FakeClerk::reset`] does not reset it: connections are not Clerk's
    /// state, and a test can take the difference). A client with a keep-alive pool opens one
    /// for many sequential requests, and HTTP/2 one for many concurrent ones.
    pub fn connections_opened(&self) -> u64 {
        self.state.connections.opened()
    }

    /// How many accepted TCP connections are open now (TLS handshakes in progress included).
    pub fn connections_open(&self) -> u64 {
        self.state.connections.open()
    }

    /// Closes every open connection gracefully while the listener keeps accepting and the
    /// fake's state stays, as a server restart behind a load balancer does. On HTTP/2 the fake
    /// sends `GOAWAY` (its last stream id is the last request it took): requests it took are
    /// answered, later ones on that connection are refused unprocessed (a client may send them
    /// again on a new connection; reqwest does). On HTTP/1.1 an idle keep-alive connection
    /// closes at once and a busy one right after its answer. A connection still in its TLS
    /// handshake is closed. Over HTTP: `POST /__fake/connections/close`.
    ///
    /// The connections are told at the call (a connection accepted later is not affected, even
    /// before the future is polled); the future resolves once every one of them has closed. A
    /// request still running 2 s after the call (a long delay, a stalled body) loses its
    /// connection then, as at [`FakeClerk::stop`].
    ///
    /// ```
    /// use clerk_actor_tokens::Actor;
    /// use clerk_actor_tokens_fake::FakeClerk;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let fake = FakeClerk::start().await?;
    /// let clerk = fake.client()?;
    /// clerk.actor_tokens().create("user_1", Actor::new("user_a")).send().await?;
    /// fake.close_connections().await; // the SDK's keep-alive connection is gone
    /// assert_eq!(fake.connections_open(), 0);
    /// clerk.actor_tokens().create("user_2", Actor::new("user_a")).send().await?;
    /// assert_eq!((fake.connections_opened(), fake.token_count()), (2, 2));
    /// fake.stop().await;
    /// # Ok(()) }
    /// ```
    pub fn close_connections(&self) -> impl Future<Output = ()> + Send + 'static {
        self.state.connections.close_all()
    }

    /// [`FakeClerk::close_connections`] from synchronous code. A fake started with
    /// [`FakeClerk::start_blocking`] is waited for; one started on a runtime is only told to
    /// close its connections (waiting here could block the very thread that serves them).
    pub fn close_connections_blocking(&self) {
        let closed = self.state.connections.close_all();
        if matches!(self.runner, Some(Runner::Thread(_))) {
            block_on(closed);
        }
    }

    /// A secret key the fake accepts ([`TEST_SECRET_KEY`]).
    pub fn secret_key(&self) -> Secret {
        Secret::new(TEST_SECRET_KEY)
    }

    /// An SDK builder pointed at the fake with [`TEST_SECRET_KEY`], trusting the fake's CA when
    /// it serves TLS; adjust it (retries, time limits) and `build()`.
    pub fn client_builder(&self) -> ClerkBuilder {
        let builder = Clerk::builder()
            .secret_key(self.secret_key())
            .api_url(self.base_url.clone());
        match self.ca_certificate_pem() {
            Some(pem) => builder.add_root_certificate_pem(pem),
            None => builder,
        }
    }

    /// An SDK client pointed at the fake, with the SDK's default settings.
    pub fn client(&self) -> Result<Clerk, clerk_actor_tokens::Error> {
        self.client_builder().build()
    }

    /// Every stored token, oldest first.
    pub fn tokens(&self) -> Vec<StoredToken> {
        self.state.tokens()
    }

    /// The stored token with this id.
    pub fn token(&self, id: &str) -> Option<StoredToken> {
        self.state.token(id)
    }

    /// How many tokens are stored.
    pub fn token_count(&self) -> usize {
        lock(&self.state.store).len()
    }

    /// How many tokens were evicted because the store was full.
    pub fn evicted_count(&self) -> u64 {
        lock(&self.state.store).evicted()
    }

    /// The most tokens kept.
    pub fn max_tokens(&self) -> usize {
        lock(&self.state.store).cap()
    }

    /// Redeems a sign-in url (or its bare ticket) as opening it does: once, before it expires,
    /// if not revoked. Returns the token, now `accepted`; the session it started is
    /// [`FakeClerk::redeem_session`]'s answer, or among [`FakeClerk::sessions`].
    pub fn redeem(&self, url_or_ticket: &str) -> Result<StoredToken, RedeemError> {
        self.state.redeem(url_or_ticket).map(|(token, _)| token)
    }

    /// Redeems a sign-in url (or its bare ticket) as [`FakeClerk::redeem`] does and returns the
    /// session it started: `active`, of the token's user, with the token's actor.
    pub fn redeem_session(&self, url_or_ticket: &str) -> Result<StoredSession, RedeemError> {
        self.state.redeem(url_or_ticket).map(|(_, session)| session)
    }

    /// Every session, oldest first, each with its status at the time of the call.
    pub fn sessions(&self) -> Vec<StoredSession> {
        self.state.sessions()
    }

    /// The session with this id (`sess_...`), with its status at the time of the call.
    pub fn session(&self, id: &str) -> Option<StoredSession> {
        self.state.session(id)
    }

    /// Activity on an active session, as a request of the signed-in browser is: `last_active_at`
    /// becomes now and `abandon_at` ten minutes later (never past `expire_at`).
    pub fn touch_session(&self, id: &str) -> Result<StoredSession, SessionError> {
        self.state.steer_session(id, |s, now| s.touch(now))
    }

    /// Ends an active session as signing out does: status `ended`.
    pub fn end_session(&self, id: &str) -> Result<StoredSession, SessionError> {
        self.state.steer_session(id, |s, now| s.end(now))
    }

    /// Makes an active session reach its maximum lifetime now: status `expired`, `expire_at`
    /// now. (Advancing the clock past `expire_at` does the same to every session.)
    pub fn expire_session(&self, id: &str) -> Result<StoredSession, SessionError> {
        self.state.steer_session(id, |s, now| s.expire(now))
    }

    /// How many sessions were forgotten because the session map was full.
    pub fn evicted_session_count(&self) -> u64 {
        self.state.session_counts().1
    }

    /// Queues a fault for the next matching requests (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        lock(&self.state.scenario).push(fault);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.state.scenario).clear_faults();
    }

    /// How many requests queued faults will still apply to.
    pub fn pending_faults(&self) -> u64 {
        lock(&self.state.scenario).pending_faults()
    }

    /// Sets the monthly impersonation limit (`None`: unlimited). Creates beyond it get 422
    /// `impersonation_limit_exceeded` with `used` and `limit` in the error's `meta`.
    pub fn set_monthly_quota(&self, limit: Option<u64>) {
        lock(&self.state.scenario).limit = limit;
    }

    /// Sets how many impersonations count as used this month.
    pub fn set_quota_used(&self, used: u64) {
        lock(&self.state.scenario).used = used;
    }

    /// Whether the plan includes impersonation; without it creates get 402.
    pub fn set_impersonation_enabled(&self, enabled: bool) {
        lock(&self.state.scenario).impersonation_enabled = enabled;
    }

    /// Quota and plan as they stand.
    pub fn usage(&self) -> Usage {
        lock(&self.state.scenario).usage()
    }

    /// Makes a user exist (any id, also in strict mode).
    pub fn add_user(&self, user_id: &str) {
        lock(&self.state.users).add(user_id);
    }

    /// Makes a user not exist, as if deleted: creates for it get 404 `resource_not_found`.
    pub fn remove_user(&self, user_id: &str) {
        lock(&self.state.users).remove(user_id);
    }

    /// Whether creates for this user are accepted.
    pub fn user_exists(&self, user_id: &str) -> bool {
        lock(&self.state.users).exists(user_id)
    }

    /// Strict users on or off (see [`FakeClerkBuilder::strict_users`]).
    pub fn set_strict_users(&self, strict: bool) {
        lock(&self.state.users).set_strict(strict);
    }

    /// Clerk's rate limit for the Backend API endpoints (`None`: off, the default). Beyond it,
    /// requests get 429 `too_many_requests` with `Retry-After` in whole seconds.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        *lock(&self.state.rate_limit) = limit.map(Limiter::new);
    }

    /// The sign-in page that opening a sign-in url redirects to.
    pub fn sign_in_url(&self) -> &str {
        &self.state.sign_in.sign_in_url
    }

    /// Moves the fake's clock forward, to expire tokens and sessions without waiting.
    pub fn advance_clock(&self, by: Duration) {
        self.state.advance_clock(by);
    }

    /// Forgets tokens, sessions, faults, quota and plan settings, added and removed users, the
    /// rate limit and clock changes. Ids issued before are not issued again.
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 2 s) and waits until
    /// the server has stopped.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        match self.runner.take() {
            Some(Runner::Task(task)) => {
                let _ = task.await;
            }
            Some(Runner::Thread(thread)) => {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            None => {}
        }
    }

    /// Stops the server from synchronous code. A fake started with [`FakeClerk::start_blocking`]
    /// is waited for; one started on a runtime is only told to stop.
    pub fn stop_blocking(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(Runner::Thread(thread)) = self.runner.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FakeClerk {
    fn drop(&mut self) {
        // Never wait here: a fake is often dropped at the end of an async test, on a runtime
        // thread, and joining its thread would block that thread for as long as a request is
        // in flight (up to the 2 s grace). The thread or task finishes on its own.
        let _ = self.shutdown.send(true);
    }
}
