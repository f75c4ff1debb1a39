//! The client and how it is configured: key or token provider, API URL, headers, HTTP client,
//! retries and time limits.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
#[cfg(feature = "blocking")]
use std::sync::OnceLock;
use std::time::Duration;

use http::HeaderValue;
use reqwest::Url;

#[cfg(feature = "blocking")]
use crate::driver::Driver;
use crate::error::{ConfigError, Error};
use crate::hooks::{Credentials, HookState, Provider};
use crate::raw;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// Environment variable holding the secret key.
pub const SECRET_KEY_ENV: &str = "CLERK_SECRET_KEY";
/// Environment variable holding the API origin (e.g. `https://api.clerk.com`).
pub const API_URL_ENV: &str = "CLERK_API_URL";
/// Clerk's API origin, used when nothing else is configured.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";
/// The API version path the client appends to the origin.
pub const API_VERSION_PATH: &str = "/v1";
/// The `Clerk-API-Version` the vendored spec fragment pins, sent by default.
pub const CLERK_API_VERSION: &str = "2026-05-12";
/// Default `User-Agent`: this crate and its version.
pub const DEFAULT_USER_AGENT: &str = concat!("clerk-actor-tokens-rust/", env!("CARGO_PKG_VERSION"));
/// Default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Time limits of a call. Defaults: connect 5 s, each request 30 s, the whole call (retries and
/// waits included) 60 s.
///
/// `#[non_exhaustive]`: later versions may add limits, so it is made with [`Timeouts::new`] (or
/// `Default`) and read with its getters.
///
/// ```
/// use std::time::Duration;
/// use clerk_actor_tokens::{Clerk, Timeouts};
///
/// let timeouts = Timeouts::new(Duration::from_secs(2), Duration::from_secs(10), Duration::from_secs(20));
/// assert_eq!(timeouts.request(), Duration::from_secs(10));
/// assert_eq!(Timeouts::default().deadline(), Duration::from_secs(60));
/// let clerk = Clerk::builder().secret_key("sk_test_x").timeouts(timeouts).build()?;
/// # Ok::<(), clerk_actor_tokens::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS); applies to the HTTP client the SDK builds.
    pub(crate) connect: Duration,
    /// One request: send and receive the whole response.
    pub(crate) request: Duration,
    /// The whole call, retries and waits included.
    pub(crate) deadline: Duration,
}

impl Timeouts {
    /// All three limits: `connect` for establishing a connection (TCP and TLS; it applies to the
    /// HTTP client the SDK builds), `request` for one request from send to the last body byte,
    /// `deadline` for the whole call, retries and waits included.
    pub fn new(connect: Duration, request: Duration, deadline: Duration) -> Self {
        Self {
            connect,
            request,
            deadline,
        }
    }

    /// The limit for establishing a connection.
    pub fn connect(&self) -> Duration {
        self.connect
    }

    /// The limit for one request.
    pub fn request(&self) -> Duration {
        self.request
    }

    /// The limit for a whole call.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::new(
            Duration::from_secs(5),
            Duration::from_secs(30),
            Duration::from_secs(60),
        )
    }
}

pub(crate) struct Shared {
    pub(crate) raw: raw::Client,
    pub(crate) base_url: String,
    /// The base URL's parts, as spans record them.
    pub(crate) endpoint: Endpoint,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    /// Set once a blocking client wraps this one: from then on every call of every clone runs on
    /// the blocking client's runtime, which alone drives the connections of the shared pool (a
    /// connection opened in a runtime that is not running would stall any call that reuses it).
    #[cfg(feature = "blocking")]
    pub(crate) driver: OnceLock<Arc<Driver>>,
}

/// A configured Clerk Backend API client for actor tokens. Cheap to clone; share one per process.
///
/// ```no_run
/// use std::time::Duration;
/// use clerk_actor_tokens::{Actor, Clerk};
///
/// # async fn run() -> Result<(), clerk_actor_tokens::Error> {
/// let clerk = Clerk::from_env()?; // CLERK_SECRET_KEY, optional CLERK_API_URL
/// let token = clerk
///     .actor_tokens()
///     .create("user_2abc", Actor::new("user_2admin").claim("reason", "ticket 4411"))
///     .expires_in(Duration::from_secs(600))
///     .session_max_duration(Duration::from_secs(900))
///     .send()
///     .await?;
/// println!("{} {}", token.id(), token.url().map(|u| u.expose()).unwrap_or_default());
/// clerk.actor_tokens().revoke(token.id()).send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Clerk {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Clerk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = raw_transport(&self.shared.raw);
        f.debug_struct("Clerk")
            .field("base_url", &self.shared.base_url)
            .field("transport", transport)
            .field("retry", &self.shared.retry)
            .field("timeouts", &self.shared.timeouts)
            .finish()
    }
}

fn raw_transport(client: &raw::Client) -> &HookState {
    use progenitor_client::ClientInfo;
    client.inner()
}

impl Clerk {
    /// A client with this secret key and every other setting at its default.
    pub fn new(secret_key: impl Into<Secret>) -> Result<Self, Error> {
        ClerkBuilder::new().secret_key(secret_key).build()
    }

    /// A client configured from `CLERK_SECRET_KEY` (required) and `CLERK_API_URL` (optional).
    pub fn from_env() -> Result<Self, Error> {
        ClerkBuilder::from_env()?.build()
    }

    /// A builder with every setting at its default.
    pub fn builder() -> ClerkBuilder {
        ClerkBuilder::new()
    }

    /// The generated client underneath, with the same hooks (credentials, headers, body cap) but
    /// without the facade's input checks, retries, time limits and error mapping (and, for a
    /// client wrapped by the blocking one, not on its runtime). An escape hatch for tools that
    /// need the exact wire types; see [`crate::raw`].
    pub fn raw_client(&self) -> &raw::Client {
        &self.shared.raw
    }

    /// The base URL requests go to, version path included (e.g. `https://api.clerk.com/v1`).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }
}

/// Configures a [`Clerk`] client.
///
/// ```
/// use std::time::Duration;
/// use clerk_actor_tokens::{Clerk, RetryPolicy};
///
/// let clerk = Clerk::builder()
///     .secret_key("sk_test_example")
///     .api_url("http://127.0.0.1:8080")
///     .request_timeout(Duration::from_secs(10))
///     .retry_policy(RetryPolicy::default().with_max_attempts(2))
///     .build()?;
/// assert_eq!(clerk.base_url(), "http://127.0.0.1:8080/v1");
/// # Ok::<(), clerk_actor_tokens::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ClerkBuilder {
    key: Option<(Secret, String)>,
    provider: Option<Provider>,
    api_url: Option<String>,
    api_version: String,
    user_agent: String,
    http_client: Option<reqwest::Client>,
    /// PEM documents, parsed by `build` so that the builder's methods stay infallible.
    root_certificates: Vec<Vec<u8>>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    max_response_bytes: usize,
    allow_insecure_http: bool,
}

impl fmt::Debug for ClerkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkBuilder")
            .field("secret_key", &self.key.as_ref().map(|(k, _)| k))
            .field("token_provider", &self.provider.is_some())
            // As an error would show it: a URL given with a key or ticket in it must not print.
            .field(
                "api_url",
                &self.api_url.as_deref().map(|u| match Url::parse(u.trim()) {
                    Ok(url) => shown(&url),
                    Err(_) => "[not a URL, not shown]".to_string(),
                }),
            )
            .field("api_version", &self.api_version)
            .field("user_agent", &self.user_agent)
            .field("http_client", &self.http_client.is_some())
            .field("root_certificates", &self.root_certificates.len())
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

impl Default for ClerkBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClerkBuilder {
    /// Every setting at its default; a key or token provider must still be given.
    pub fn new() -> Self {
        Self {
            key: None,
            provider: None,
            api_url: None,
            api_version: CLERK_API_VERSION.to_string(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            http_client: None,
            root_certificates: Vec::new(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
        }
    }

    /// Starts from `CLERK_SECRET_KEY` and `CLERK_API_URL` (both optional here); the key is
    /// checked by [`Self::build`], which reports a missing one as
    /// [`ConfigError::MissingSecretKey`] naming `CLERK_SECRET_KEY`. Setting a key or provider on
    /// the returned builder replaces the variable's.
    ///
    /// Fails only when a variable is set but not unicode.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var_os(name))
    }

    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Self, Error> {
        let read = |var: &'static str| -> Result<Option<String>, ConfigError> {
            match lookup(var) {
                None => Ok(None),
                Some(v) => v
                    .into_string()
                    .map(|s| Some(s.trim().to_string()).filter(|s| !s.is_empty()))
                    .map_err(|_| ConfigError::InvalidEnv { var }),
            }
        };
        let mut builder = Self::new();
        builder.key =
            read(SECRET_KEY_ENV)?.map(|key| (Secret::new(key), SECRET_KEY_ENV.to_string()));
        builder.api_url = read(API_URL_ENV)?;
        Ok(builder)
    }

    /// A fixed secret key (`sk_test_...` or `sk_live_...`). Replaces a token provider.
    pub fn secret_key(mut self, key: impl Into<Secret>) -> Self {
        self.key = Some((key.into(), "the secret key argument".to_string()));
        self.provider = None;
        self
    }

    /// A function called before every request for the secret key, for rotation without
    /// rebuilding the client. Keep it cheap (read a cached value); an error ends the call with
    /// [`ConfigError::TokenProvider`]. Replaces a fixed key.
    ///
    /// ```
    /// use clerk_actor_tokens::Clerk;
    ///
    /// let clerk = Clerk::builder()
    ///     .token_provider(|| std::env::var("ROTATED_KEY").or_else(|_| Ok::<_, std::env::VarError>("sk_test_fallback".into())))
    ///     .build()?;
    /// # Ok::<(), clerk_actor_tokens::Error>(())
    /// ```
    pub fn token_provider<F, K, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Result<K, E> + Send + Sync + 'static,
        K: Into<Secret>,
        E: fmt::Display,
    {
        self.provider = Some(Provider::Sync(Arc::new(move || {
            provider().map(Into::into).map_err(|e| e.to_string())
        })));
        self.key = None;
        self
    }

    /// Like [`Self::token_provider`], for a key that must be fetched (a secret manager, a vault):
    /// the function's future is awaited before every request, inside the request's time limit.
    /// Cache the key in the provider if fetching it is slow. An error ends the call with
    /// [`ConfigError::TokenProvider`]. Replaces a fixed key or another provider.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use clerk_actor_tokens::Clerk;
    ///
    /// # struct SecretManager;
    /// # impl SecretManager {
    /// #     async fn get(&self, _name: &str) -> Result<String, std::io::Error> { Ok("sk_test_x".into()) }
    /// # }
    /// let secrets = Arc::new(SecretManager);
    /// let clerk = Clerk::builder()
    ///     .async_token_provider(move || {
    ///         let secrets = secrets.clone();
    ///         async move { secrets.get("clerk/secret-key").await }
    ///     })
    ///     .build()?;
    /// # Ok::<(), clerk_actor_tokens::Error>(())
    /// ```
    pub fn async_token_provider<F, Fut, K, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<K, E>> + Send + 'static,
        K: Into<Secret>,
        E: fmt::Display,
    {
        self.provider = Some(Provider::Async(Arc::new(move || {
            let key = provider();
            Box::pin(async move { key.await.map(Into::into).map_err(|e| e.to_string()) })
        })));
        self.key = None;
        self
    }

    /// The API origin, e.g. `https://api.clerk.com` (the default) or a fake server's URL. The
    /// version path `/v1` is appended unless the URL already ends with it; a trailing `/` is ignored.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// The `Clerk-API-Version` header; defaults to [`CLERK_API_VERSION`], the version the
    /// generated types were built from.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }

    /// The `User-Agent` header; defaults to [`DEFAULT_USER_AGENT`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Use this HTTP client (its own TLS, proxy and timeout settings apply; the connect timeout
    /// of this builder does not). Start from [`crate::http_client_builder`]: it has redirects off.
    ///
    /// What such a client changes, and what the SDK does about it:
    /// - **Retries**: reqwest's own retry policy (`ClientBuilder::retry`) cannot resend a request
    ///   of the SDK: its bodies are streamed, which reqwest does not replay, so a create is never
    ///   sent twice underneath the SDK's rules. Leave retries to [`Self::retry_policy`].
    /// - **Time limits**: the client's own `timeout`, `read_timeout` and `connect_timeout` end a
    ///   request with reqwest's error, reported as [`Error::Connect`] when the request had not
    ///   been handed to a connection, else as [`Error::Transport`] (and for a create as
    ///   [`Error::AmbiguousOutcome`]); `is_timeout()` is false for them, and the attempt does not
    ///   say which phase ran out. Keep them longer than the SDK's limits (or unset) and use
    ///   [`Self::request_timeout`] and [`Self::deadline`], which say precisely what happened.
    /// - **Redirects**: a client that follows them would replay the key to another host; Clerk's
    ///   API never redirects, so keep them off.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Also trust the certificate authorities in this PEM document (one or more `CERTIFICATE`
    /// blocks), beside the platform's trust store: for a private CA in front of Clerk, or a test
    /// server such as the fake's `--tls` mode. Can be called more than once.
    ///
    /// The document is read by [`Self::build`], which fails with
    /// [`ConfigError::RootCertificate`] when it holds no certificate, or when a custom
    /// [`Self::http_client`] is given too (add the certificate to that client instead: the SDK
    /// does not change a client it did not build).
    ///
    /// ```no_run
    /// let pem = std::fs::read("ca.pem").expect("readable CA file");
    /// let clerk = clerk_actor_tokens::Clerk::builder()
    ///     .secret_key("sk_test_example")
    ///     .api_url("https://clerk-proxy.internal.example")
    ///     .add_root_certificate_pem(pem)
    ///     .build()?;
    /// # Ok::<(), clerk_actor_tokens::Error>(())
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.root_certificates.push(pem.as_ref().to_vec());
        self
    }

    /// The retry policy of every call (a call can override it).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// All time limits at once.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Limit for establishing a connection (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = timeout;
        self
    }

    /// Limit for one request (default 30 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.request = timeout;
        self
    }

    /// Limit for a whole call, retries included (default 60 s).
    pub fn deadline(mut self, timeout: Duration) -> Self {
        self.timeouts.deadline = timeout;
        self
    }

    /// Largest response body read (default 1 MiB); a larger one ends the call with
    /// [`Error::BodyTooLarge`].
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Allow plain `http://` to a host that is not loopback. The key then crosses the network in
    /// clear text; only for trusted networks (e.g. a fake server in a test cluster).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Checks everything and builds the client. No request is sent.
    pub fn build(self) -> Result<Clerk, Error> {
        let credentials = match (&self.key, &self.provider) {
            (_, Some(provider)) => Credentials::Provider(provider.clone()),
            (Some((key, origin)), None) => Credentials::from_key(key, origin)?,
            (None, None) => {
                return Err(ConfigError::MissingSecretKey {
                    var: SECRET_KEY_ENV,
                }
                .into());
            }
        };
        let base_url = base_url(
            self.api_url.as_deref().unwrap_or(DEFAULT_API_URL),
            self.allow_insecure_http,
        )?;
        let header = |name: &'static str, value: &str| {
            HeaderValue::from_str(value).map_err(|_| ConfigError::InvalidHeader { name })
        };
        let transport = HookState {
            credentials,
            api_version: header("Clerk-API-Version", &self.api_version)?,
            user_agent: header("User-Agent", &self.user_agent)?,
            max_response_bytes: self.max_response_bytes,
        };
        let http = match self.http_client {
            Some(_) if !self.root_certificates.is_empty() => {
                return Err(ConfigError::RootCertificate {
                    reason: "a custom http_client is given too; add the certificate to that client"
                        .to_string(),
                }
                .into());
            }
            Some(client) => client,
            None => crate::http_client::default_http_client(
                self.timeouts.connect,
                &self.root_certificates,
            )?,
        };
        Ok(Clerk {
            shared: Arc::new(Shared {
                raw: raw::Client::new_with_client(&base_url, http, transport),
                endpoint: Endpoint::of(&base_url),
                base_url,
                retry: self.retry,
                timeouts: self.timeouts,
                #[cfg(feature = "blocking")]
                driver: OnceLock::new(),
            }),
        })
    }
}

/// Applies Clerk's convention: an origin gets `/v1` appended; a URL already ending in `/v1` is kept.
fn base_url(input: &str, allow_insecure_http: bool) -> Result<String, ConfigError> {
    let url = Url::parse(input.trim()).map_err(|e| ConfigError::InvalidBaseUrl {
        url: None,
        reason: e.to_string(),
    })?;
    let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
        url: Some(shown(&url)),
        reason: reason.to_string(),
    };
    match url.scheme() {
        "https" => {}
        "http" => {
            if !allow_insecure_http && !is_loopback(&url) {
                return Err(ConfigError::InsecureHttp {
                    host: url.host_str().unwrap_or_default().to_string(),
                });
            }
        }
        _ => return Err(invalid("the scheme must be https (or http for loopback)")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("there is no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials in the URL are not supported"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a query or fragment is not supported"));
    }
    let mut out = url.as_str().trim_end_matches('/').to_string();
    if !out.ends_with(API_VERSION_PATH) {
        out.push_str(API_VERSION_PATH);
    }
    Ok(out)
}

/// Where calls go, as OpenTelemetry's HTTP client conventions name it: `server.address`,
/// `server.port`, and the base path that `url.template` starts with.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) address: String,
    pub(crate) port: u16,
    /// The base URL's path without its trailing `/`, e.g. `/v1`.
    pub(crate) path: String,
}

impl Endpoint {
    /// The parts of a base URL that [`base_url`] accepted.
    fn of(base_url: &str) -> Self {
        let url = Url::parse(base_url).ok();
        let address = match url.as_ref().and_then(Url::host) {
            // The address itself, without the brackets of a URL.
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        };
        Self {
            address,
            port: url
                .as_ref()
                .and_then(Url::port_or_known_default)
                .unwrap_or(443),
            path: url
                .as_ref()
                .map(|u| u.path().trim_end_matches('/').to_string())
                .unwrap_or_default(),
        }
    }
}

/// The URL as an error may show it: without userinfo, query and fragment, where credentials go.
fn shown(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_follows_clerks_convention() {
        let ok = |s| base_url(s, false).unwrap();
        assert_eq!(ok("https://api.clerk.com"), "https://api.clerk.com/v1");
        assert_eq!(ok("https://api.clerk.com/"), "https://api.clerk.com/v1");
        assert_eq!(ok("https://api.clerk.com/v1"), "https://api.clerk.com/v1");
        assert_eq!(ok("https://api.clerk.com/v1/"), "https://api.clerk.com/v1");
        assert_eq!(
            ok("https://proxy.example/clerk"),
            "https://proxy.example/clerk/v1"
        );
        assert_eq!(ok("http://127.0.0.1:9000"), "http://127.0.0.1:9000/v1");
        assert_eq!(ok("http://localhost:9000/v1"), "http://localhost:9000/v1");
        assert_eq!(ok("http://[::1]:9000"), "http://[::1]:9000/v1");
    }

    #[test]
    fn plain_http_to_a_remote_host_needs_an_opt_in() {
        assert!(matches!(
            base_url("http://api.clerk.com", false),
            Err(ConfigError::InsecureHttp { host }) if host == "api.clerk.com"
        ));
        assert_eq!(
            base_url("http://10.0.0.5:8080", true).unwrap(),
            "http://10.0.0.5:8080/v1"
        );
    }

    #[test]
    fn unusable_urls_are_refused() {
        for bad in [
            "",
            "api.clerk.com",
            "ftp://api.clerk.com",
            "https://u:p@api.clerk.com",
            "https://api.clerk.com/?x=1",
        ] {
            assert!(
                matches!(
                    base_url(bad, false),
                    Err(ConfigError::InvalidBaseUrl { .. })
                ),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn from_lookup_reports_missing_and_empty_keys() {
        let err = ClerkBuilder::from_lookup(|_| None)
            .unwrap()
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("CLERK_SECRET_KEY"), "{err}");
        let err = ClerkBuilder::from_lookup(|_| Some("  ".into()))
            .unwrap()
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Config(ConfigError::MissingSecretKey { .. })
        ));
        // A key set on the builder replaces a missing variable.
        let url = |name: &str| (name == API_URL_ENV).then(|| "http://127.0.0.1:1".into());
        let clerk = ClerkBuilder::from_lookup(url)
            .unwrap()
            .secret_key("sk_test_x")
            .build()
            .unwrap();
        assert_eq!(clerk.base_url(), "http://127.0.0.1:1/v1");
    }

    #[test]
    fn api_version_constant_matches_the_fragment() {
        use progenitor_client::ClientInfo;
        assert_eq!(
            CLERK_API_VERSION,
            <raw::Client as ClientInfo<HookState>>::api_version()
        );
    }

    #[test]
    fn a_refused_url_is_shown_without_its_credentials() {
        for (input, shown) in [
            (
                "https://u:hunter2@api.clerk.com",
                Some("https://api.clerk.com/"),
            ),
            (
                "https://api.clerk.com/v1?ticket=hunter2",
                Some("https://api.clerk.com/v1"),
            ),
            (
                "https://api.clerk.com/#hunter2",
                Some("https://api.clerk.com/"),
            ),
            (
                "ftp://hunter2:x@api.clerk.com/",
                Some("ftp://api.clerk.com/"),
            ),
            ("hunter2", None),
            ("sk_test_hunter2", None),
        ] {
            let err = base_url(input, false).unwrap_err();
            match &err {
                ConfigError::InvalidBaseUrl { url, .. } => assert_eq!(url.as_deref(), shown),
                other => panic!("{other:?}"),
            }
            let text = format!("{err} {err:?}");
            assert!(!text.contains("hunter2"), "{input:?}: {text}");
        }
    }
}
