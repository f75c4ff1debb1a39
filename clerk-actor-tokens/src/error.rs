//! The one error type of the crate, its parts, and the helpers callers branch on.
//!
//! No error's `Display` or `Debug` holds the secret key, a token, a url, or any byte of a
//! successful response body (which would hold the token and url).

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::codes::{
    CANNOT_REVOKE_CODE, FORM_RESOURCE_NOT_FOUND_CODE, QUOTA_EXCEEDED_CODE, RESOURCE_NOT_FOUND_CODE,
};

/// Everything that can go wrong, from configuration to Clerk's answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be configured (key, base URL, headers, HTTP client).
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),

    /// An argument was refused before any request was sent.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InputError),

    /// Clerk answered with a non-success status.
    #[error(transparent)]
    Api(Box<ApiError>),

    /// A create may or may not have minted a token: the request was sent and then the answer was
    /// lost (5xx, timeout, reset). It is deliberately not retried; see [`AmbiguousOutcome`].
    #[error(transparent)]
    AmbiguousOutcome(#[from] AmbiguousOutcome),

    /// A time limit ran out. [`TimeoutPhase`] says where the attempt was: only a timeout in
    /// [`TimeoutPhase::Response`] can have reached Clerk (and for a create comes back wrapped in
    /// [`Error::AmbiguousOutcome`]).
    #[error("{what} timed out after {after:?} {where_} ({attempts} attempt{s})", what = kind.describe(), where_ = phase.describe(), s = plural(*attempts))]
    Timeout {
        /// Which limit.
        kind: TimeoutKind,
        /// What the attempt was doing when the limit ran out.
        phase: TimeoutPhase,
        /// The limit that ran out.
        after: Duration,
        /// Requests sent, counting the one that timed out.
        attempts: u32,
    },

    /// No connection could be made; nothing was sent.
    #[error("could not connect to Clerk ({attempts} attempt{s}): {source}", s = plural(*attempts))]
    Connect {
        /// Connection attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        source: reqwest::Error,
    },

    /// The TLS handshake failed, so nothing was sent. [`TlsProblem`] says why; a certificate
    /// problem is not retried (it would fail the same way), a broken handshake is.
    #[error("TLS handshake with Clerk failed: {problem}; nothing was sent ({attempts} attempt{s})", s = plural(*attempts))]
    Tls {
        /// Connection attempts made.
        attempts: u32,
        /// What was wrong.
        problem: TlsProblem,
        /// The last failure.
        #[source]
        source: reqwest::Error,
    },

    /// The server closed the connection and said that it had not processed the request (an
    /// HTTP/2 GOAWAY naming an earlier stream, or REFUSED_STREAM; feature `http2`), as a server
    /// that restarts does. Nothing was done: it is retried like a failure to connect, also for a
    /// create, and is this error only when no attempt was left.
    #[error("Clerk's server closed the connection without processing the request; nothing was done ({attempts} attempt{s})", s = plural(*attempts))]
    NotProcessed {
        /// Requests sent.
        attempts: u32,
        /// The last failure.
        #[source]
        source: reqwest::Error,
    },

    /// The connection failed while the request or the response was in flight.
    #[error("connection to Clerk failed ({attempts} attempt{s}): {source}", s = plural(*attempts))]
    Transport {
        /// Requests sent.
        attempts: u32,
        /// The last failure.
        #[source]
        source: reqwest::Error,
    },

    /// The body of a success answer was larger than the configured limit and was not read
    /// further. (An error answer over the limit is an [`Error::Api`] with its status,
    /// `Retry-After` and trace id, and [`ErrorBody::TooLarge`].)
    #[error("response body of HTTP {} exceeds the limit of {limit} bytes", status_text(*status))]
    BodyTooLarge {
        /// HTTP status of the response, when its head was read.
        status: Option<http::StatusCode>,
        /// The limit (see `ClerkBuilder::max_response_bytes`).
        limit: usize,
    },

    /// A success status came with a body that is not an actor token. The body is not quoted: it
    /// could hold a token.
    #[error("HTTP {} response is not a valid actor token: {reason}{}", status_text(*status), trace_suffix(trace_id.as_deref()))]
    InvalidResponse {
        /// HTTP status of the response, when its head was read.
        status: Option<http::StatusCode>,
        /// Where decoding failed (category, line and column), without the body's content.
        reason: String,
        /// Clerk's trace id, when sent.
        trace_id: Option<String>,
    },

    /// The blocking client (feature `blocking`) was called from inside an async runtime, where
    /// blocking the thread would stall the runtime. Nothing was sent; use the async client there.
    #[error(
        "the blocking client was called from inside an async runtime; nothing was sent: use the async clerk_actor_tokens::Clerk there"
    )]
    BlockingInAsyncContext,
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

/// Why a TLS handshake failed ([`Error::Tls`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsProblem {
    /// The certificate was not issued by an authority this client trusts (for a private CA, see
    /// `ClerkBuilder::add_root_certificate_pem`).
    UntrustedCertificate,
    /// The certificate is valid, but not for the host name that was asked for.
    WrongHostName,
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet (often: this machine's clock is wrong).
    NotYetValid,
    /// The certificate was revoked by its issuer.
    Revoked,
    /// Another certificate problem (bad encoding, wrong purpose, bad signature...).
    InvalidCertificate,
    /// The handshake itself failed (no common protocol version or cipher suite, an alert from
    /// the server, a connection closed during it).
    Handshake,
}

impl TlsProblem {
    /// Whether trying again could succeed: only a broken handshake; a certificate stays as it is.
    pub(crate) fn is_transient(self) -> bool {
        self == TlsProblem::Handshake
    }
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsProblem::UntrustedCertificate => {
                "the server's certificate is not trusted (unknown issuer)"
            }
            TlsProblem::WrongHostName => "the server's certificate is not valid for this host name",
            TlsProblem::Expired => "the server's certificate has expired",
            TlsProblem::NotYetValid => "the server's certificate is not valid yet",
            TlsProblem::Revoked => "the server's certificate was revoked",
            TlsProblem::InvalidCertificate => "the server's certificate is invalid",
            TlsProblem::Handshake => "the handshake did not complete",
        })
    }
}

/// A problem with the client's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret key was given and the environment variable is not set.
    #[error("the secret key is missing: set {var} or pass a key to the builder")]
    MissingSecretKey {
        /// The variable that was read (`CLERK_SECRET_KEY`).
        var: &'static str,
    },
    /// The key does not look like a Clerk secret key. The key itself is never printed.
    #[error(
        "the secret key from {origin} is not a Clerk secret key (it must start with sk_test_ or sk_live_)"
    )]
    InvalidSecretKey {
        /// Where it came from, e.g. `CLERK_SECRET_KEY` or `the token provider`.
        origin: String,
    },
    /// An environment variable is set but unusable.
    #[error("{var} is not valid unicode")]
    InvalidEnv {
        /// The variable.
        var: &'static str,
    },
    /// The base URL cannot be used.
    #[error("invalid API URL {}: {reason}", url.as_deref().map_or_else(|| "(not shown: it is not a URL)".to_string(), |u| format!("{u:?}")))]
    InvalidBaseUrl {
        /// The URL without its userinfo, query and fragment (which can hold credentials); `None`
        /// when the input is not a URL at all, since it is then not shown (it could be a key or
        /// a ticket given in the wrong place).
        url: Option<String>,
        /// What is wrong with it.
        reason: String,
    },
    /// The key would travel in clear text over the network.
    #[error(
        "refusing to send the secret key over plain http to {host}; use https, a loopback address, or opt in with allow_insecure_http(true)"
    )]
    InsecureHttp {
        /// The host that is not loopback.
        host: String,
    },
    /// A header value (user agent, API version) is not a valid HTTP header value.
    #[error("invalid {name} header value")]
    InvalidHeader {
        /// The header.
        name: &'static str,
    },
    /// The token provider failed.
    #[error("the token provider failed: {message}")]
    TokenProvider {
        /// What the provider reported.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    /// A root certificate given to `ClerkBuilder::add_root_certificate_pem` cannot be used.
    #[error("cannot use the root certificate: {reason}")]
    RootCertificate {
        /// What is wrong with it.
        reason: String,
    },
}

/// An argument refused before any request was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The value given as an actor token id is not one: Clerk's ids are `act_` followed by
    /// letters and digits. The value is not shown (nor sent, nor recorded): a mistaken one is
    /// often the token's `token` or `url`, which are credentials.
    #[error(
        "invalid actor token id (not shown, it could be a credential): {reason}; pass the id of the actor token (ActorToken::id: act_ and letters and digits)"
    )]
    InvalidActorTokenId {
        /// Why it was refused.
        reason: &'static str,
    },
    /// A session id that is not one (`sess_` and ASCII letters and digits). Its value is not
    /// shown, for the same reason as [`InputError::InvalidActorTokenId`]'s.
    #[error(
        "invalid session id (not shown, it could be a credential): {reason}; pass the id of the session (Session::id: sess_ and letters and digits)"
    )]
    InvalidSessionId {
        /// Why it was refused.
        reason: &'static str,
    },
    /// A session list without a `user_id` or a `client_id`: Clerk's spec asks for one of them.
    #[error("a session list needs a user_id or a client_id")]
    MissingSessionFilter,
    /// A session list filtered by a state Clerk's list does not filter by (`pending`, or one
    /// this version of the SDK does not know).
    #[error(
        "sessions cannot be listed by that state; Clerk filters by active, revoked, ended, expired, removed, abandoned and replaced"
    )]
    UnsupportedSessionFilter,
    /// `user_id` is empty.
    #[error("user_id must not be empty")]
    EmptyUserId,
    /// The actor's `sub` is empty.
    #[error("the actor's sub (its user id) must not be empty")]
    EmptyActorSub,
    /// A reserved claim was given as an extra actor claim (`Actor::claim("sub", ..)`): the actor's
    /// id is set by `Actor::new` only.
    #[error("the actor claim {claim:?} is reserved; set the actor's id with Actor::new")]
    ReservedClaim {
        /// The claim's name.
        claim: &'static str,
    },
    /// A duration is zero, or less than a second.
    #[error("{field} must be at least one second")]
    DurationTooShort {
        /// The parameter.
        field: &'static str,
    },
}

/// One entry of Clerk's `errors` array.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct ClerkError {
    /// Machine-readable code, e.g. `resource_not_found`.
    pub code: String,
    /// Short message.
    pub message: String,
    /// Longer, more specific message.
    pub long_message: String,
    /// Extra details, e.g. `param_name`, or `used`/`limit` for a quota.
    #[serde(default)]
    pub meta: Map<String, Value>,
}

/// How the body of an error response looked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorBody {
    /// Clerk's `ClerkErrors` JSON.
    Clerk,
    /// Something else (an HTML error page of a proxy, truncated JSON, ...).
    NotClerk {
        /// The `Content-Type` header, when sent.
        content_type: Option<String>,
    },
    /// The body did not arrive whole: the time limit ran out, or the connection broke, while it
    /// was read. The status and the headers (trace id, `Retry-After`) had arrived and still count.
    Incomplete {
        /// The `Content-Type` header, when sent.
        content_type: Option<String>,
    },
    /// The body was larger than the response size cap (`ClerkBuilder::max_response_bytes`) and
    /// was not read further (a proxy's HTML error page, say). The status and the headers (trace
    /// id, `Retry-After`) still count.
    TooLarge {
        /// The cap that was exceeded, in bytes.
        limit: usize,
        /// The `Content-Type` header, when sent.
        content_type: Option<String>,
    },
}

/// Clerk (or something in front of it) answered with a non-success status.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: http::StatusCode,
    /// Clerk's errors, empty when the body was not Clerk's JSON.
    pub errors: Vec<ClerkError>,
    /// Top-level `meta` of the body.
    pub meta: Map<String, Value>,
    /// Trace id from the body, or the `Clerk-Trace-Id` / `cf-ray` header.
    pub trace_id: Option<String>,
    /// The server's `Retry-After`, when sent.
    pub retry_after: Option<Duration>,
    /// Requests sent for this call.
    pub attempts: u32,
    /// What the body was.
    pub body: ErrorBody,
}

impl ApiError {
    /// The first error's code, e.g. `resource_not_found`.
    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clerk API error: HTTP {}", self.status)?;
        match (&self.body, self.errors.first()) {
            (ErrorBody::Clerk, Some(e)) => {
                write!(f, ": {}: {}", e.code, e.long_message)?;
                if self.errors.len() > 1 {
                    write!(f, " (and {} more)", self.errors.len() - 1)?;
                }
            }
            (ErrorBody::Clerk, None) => write!(f, ": no error details")?,
            (ErrorBody::NotClerk { content_type }, _) => write!(
                f,
                ": the body is not Clerk's error JSON (content type {})",
                content_type.as_deref().unwrap_or("not given")
            )?,
            (ErrorBody::Incomplete { content_type }, _) => write!(
                f,
                ": the body did not arrive whole (content type {})",
                content_type.as_deref().unwrap_or("not given")
            )?,
            (
                ErrorBody::TooLarge {
                    limit,
                    content_type,
                },
                _,
            ) => write!(
                f,
                ": the body exceeds the limit of {limit} bytes and was not read (content type {})",
                content_type.as_deref().unwrap_or("not given")
            )?,
        }
        if let Some(after) = self.retry_after {
            write!(f, "; retry after {after:?}")?;
        }
        if self.attempts > 1 {
            write!(f, "; {} attempts", self.attempts)?;
        }
        f.write_str(&trace_suffix(self.trace_id.as_deref()))
    }
}

impl std::error::Error for ApiError {}

/// A create whose outcome is unknown: the request reached the network and no usable answer came
/// back. A token may exist; Clerk offers no way to look it up, so the SDK does not retry (a retry
/// could mint a second live credential). Use the trace id with Clerk support, or create again if
/// a possible unused token is acceptable (it expires on its own).
#[derive(Debug)]
#[non_exhaustive]
pub struct AmbiguousOutcome {
    /// Requests sent for this call.
    pub attempts: u32,
    /// What happened to the last request.
    pub cause: Box<Error>,
}

impl AmbiguousOutcome {
    /// Clerk's trace id of the failed answer, when one came back.
    pub fn trace_id(&self) -> Option<&str> {
        self.cause.trace_id()
    }
}

impl fmt::Display for AmbiguousOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the actor token may or may not have been created (not retried, {} attempt{}): {}",
            self.attempts,
            plural(self.attempts),
            self.cause
        )
    }
}

impl std::error::Error for AmbiguousOutcome {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.cause.as_ref())
    }
}

/// Which time limit ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// One request (connect, send, receive).
    Attempt,
    /// The whole call, retries and waits included.
    Deadline,
}

impl TimeoutKind {
    fn describe(self) -> &'static str {
        match self {
            TimeoutKind::Attempt => "the request",
            TimeoutKind::Deadline => "the call (deadline)",
        }
    }
}

/// What the attempt was doing when its time limit ran out: whether the request can have reached
/// Clerk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// No attempt could start: the call's deadline had passed. Nothing was sent.
    NotStarted,
    /// The async token provider was still fetching the key. Nothing was sent.
    TokenProvider,
    /// Getting a connection: DNS, TCP and TLS, or waiting for a pooled connection. The request
    /// was never handed to a connection, so nothing was sent.
    Connect,
    /// The request had been handed to a connection (it may have reached Clerk, and Clerk may have
    /// acted on it) and the answer, or its body, had not arrived whole.
    Response,
}

impl TimeoutPhase {
    /// Whether a request of this attempt may have reached Clerk.
    pub fn may_have_been_sent(self) -> bool {
        matches!(self, TimeoutPhase::Response)
    }

    fn describe(self) -> &'static str {
        match self {
            TimeoutPhase::NotStarted => "before an attempt could start; nothing was sent",
            TimeoutPhase::TokenProvider => "while the token provider ran; nothing was sent",
            TimeoutPhase::Connect => {
                "while getting a connection (DNS, connect, TLS or a pooled connection); nothing was sent"
            }
            TimeoutPhase::Response => "after the request was sent, before the whole answer arrived",
        }
    }
}

/// `used` and `limit` of an exhausted impersonation quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Actor tokens used this month.
    pub used: Option<u64>,
    /// The monthly limit.
    pub limit: Option<u64>,
}

impl Error {
    /// The API error, also when it is the cause of an ambiguous outcome.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e.as_ref()),
            Error::AmbiguousOutcome(a) => a.cause.api_error(),
            _ => None,
        }
    }

    /// The HTTP status, when a response came back.
    pub fn status(&self) -> Option<http::StatusCode> {
        match self {
            Error::BodyTooLarge { status, .. } | Error::InvalidResponse { status, .. } => *status,
            _ => self.api_error().map(|e| e.status),
        }
    }

    /// The first Clerk error code, e.g. `resource_not_found`.
    pub fn code(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::code)
    }

    /// Clerk's trace id, for support requests.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Error::InvalidResponse { trace_id, .. } => trace_id.as_deref(),
            _ => self.api_error().and_then(|e| e.trace_id.as_deref()),
        }
    }

    /// How long the server asked to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|e| e.retry_after)
    }

    /// How many attempts the call made, for the errors that count them: `Api`, `AmbiguousOutcome`,
    /// `Timeout`, `Connect` (whose attempts never reached Clerk) and `Transport`. `None` for the
    /// others, including `BodyTooLarge` and `InvalidResponse` although a request was sent.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Api(e) => Some(e.attempts),
            Error::AmbiguousOutcome(a) => Some(a.attempts),
            Error::Timeout { attempts, .. }
            | Error::Connect { attempts, .. }
            | Error::Tls { attempts, .. }
            | Error::NotProcessed { attempts, .. }
            | Error::Transport { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    // Every helper below reads the answer through `api_error`, so all of them look through an
    // `AmbiguousOutcome` to the answer that made it ambiguous, as `code()` and `status()` do.
    fn has_status(&self, status: u16) -> bool {
        self.api_error()
            .is_some_and(|e| e.status.as_u16() == status)
    }

    /// Clerk's error with this code, when the answer carries one (any of its `errors`, not only
    /// the first), also when it is the cause of an ambiguous outcome.
    pub fn clerk_error(&self, code: &str) -> Option<&ClerkError> {
        self.api_error()?.errors.iter().find(|c| c.code == code)
    }

    /// Whether Clerk's answer carries an error with this code, e.g. [`CANNOT_REVOKE_CODE`].
    pub fn has_code(&self, code: &str) -> bool {
        self.clerk_error(code).is_some()
    }

    /// 404: nothing has that id (on revoke, the actor token; on create, the user; see
    /// [`Error::is_user_not_found`]).
    pub fn is_not_found(&self) -> bool {
        self.has_status(404)
    }

    /// 400 [`CANNOT_REVOKE_CODE`]: the token is not pending (already used, already revoked), so
    /// Clerk refuses to revoke it. The answer does not say which; a revoke retried after a lost
    /// answer gets this too, when its first attempt had revoked the token.
    pub fn is_not_revocable(&self) -> bool {
        self.has_status(400) && self.has_code(CANNOT_REVOKE_CODE)
    }

    /// The `user_id` of a create names no user of the instance. Clerk's API reference documents a
    /// 404 [`RESOURCE_NOT_FOUND_CODE`] whose message starts "No user was found"; Clerk's server
    /// code answers a 422 [`FORM_RESOURCE_NOT_FOUND_CODE`] with `meta.param_name` `user_id`. Both
    /// count; a 404 about anything else (an actor token) does not.
    pub fn is_user_not_found(&self) -> bool {
        let about_user = |c: &ClerkError| {
            c.meta.get("param_name").and_then(Value::as_str) == Some("user_id")
                || c.long_message.starts_with("No user was found")
        };
        (self.has_status(404)
            && self
                .clerk_error(RESOURCE_NOT_FOUND_CODE)
                .is_some_and(about_user))
            || (self.has_status(422)
                && self
                    .clerk_error(FORM_RESOURCE_NOT_FOUND_CODE)
                    .is_some_and(about_user))
    }

    /// 402 on create: the instance's plan does not include impersonation. Only the status is
    /// checked: Clerk's spec lists the 402 without documenting its body (its catalogue's 402 code
    /// for a missing plan feature is [`crate::UNSUPPORTED_PLAN_FEATURES_CODE`]).
    pub fn is_plan_required(&self) -> bool {
        self.has_status(402)
    }

    /// 422 `impersonation_limit_exceeded`: the monthly quota is used up.
    pub fn is_quota_exhausted(&self) -> bool {
        self.has_status(422)
            && self
                .api_error()
                .is_some_and(|e| e.errors.iter().any(|c| c.code == QUOTA_EXCEEDED_CODE))
    }

    /// `used`/`limit` of an exhausted quota, when Clerk sent them.
    pub fn quota(&self) -> Option<Quota> {
        if !self.is_quota_exhausted() {
            return None;
        }
        let e = self.api_error()?;
        let meta = e
            .errors
            .iter()
            .find(|c| c.code == QUOTA_EXCEEDED_CODE)
            .map(|c| &c.meta)?;
        let number = |key: &str| meta.get(key).and_then(Value::as_u64);
        Some(Quota {
            used: number("used"),
            limit: number("limit"),
        })
    }

    /// 429: too many requests (Clerk's code is [`crate::TOO_MANY_REQUESTS_CODE`]; only the status is
    /// checked, since a proxy in front of Clerk can rate-limit too). [`Error::retry_after`] says
    /// how long the server asked to wait.
    pub fn is_rate_limited(&self) -> bool {
        self.has_status(429)
    }

    /// 401 or 403: the key is wrong, revoked, or lacks access.
    pub fn is_unauthorized(&self) -> bool {
        self.has_status(401) || self.has_status(403)
    }

    /// 400, whatever the code: a malformed request, or (the one documented 400 of these
    /// operations) revoking a token that is not pending. To know which, use
    /// [`Error::is_not_revocable`] or [`Error::code`].
    pub fn is_bad_request(&self) -> bool {
        self.has_status(400)
    }

    /// Why the TLS handshake failed, when it did ([`Error::Tls`]).
    pub fn tls_problem(&self) -> Option<TlsProblem> {
        match self {
            Error::Tls { problem, .. } => Some(*problem),
            _ => None,
        }
    }

    /// The create may or may not have happened; see [`AmbiguousOutcome`].
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, Error::AmbiguousOutcome(_))
    }

    /// A time limit ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
            || matches!(self, Error::AmbiguousOutcome(a) if a.cause.is_timeout())
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn status_text(status: Option<http::StatusCode>) -> String {
    status.map_or_else(|| "(no status)".to_string(), |s| s.to_string())
}

fn trace_suffix(trace_id: Option<&str>) -> String {
    trace_id
        .map(|t| format!(" (trace id {t})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod helper_tests {
    use super::*;
    use crate::codes::{
        FORM_PARAM_MISSING_CODE, TOO_MANY_REQUESTS_CODE, UNSUPPORTED_PLAN_FEATURES_CODE,
    };

    fn api(status: u16, code: &str, long_message: &str, meta: Value) -> Error {
        let meta = match meta {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        Error::from(ApiError {
            status: http::StatusCode::from_u16(status).unwrap(),
            errors: vec![ClerkError {
                code: code.into(),
                message: String::new(),
                long_message: long_message.into(),
                meta,
            }],
            meta: Map::new(),
            trace_id: None,
            retry_after: None,
            attempts: 1,
            body: ErrorBody::Clerk,
        })
    }

    #[test]
    fn not_revocable_needs_the_400_and_clerks_code() {
        let refused = api(400, CANNOT_REVOKE_CODE, "", Value::Null);
        assert!(refused.is_not_revocable() && refused.is_bad_request());
        // The code Clerk does not send (no `_code` suffix) is not taken for it.
        let other = api(400, "actor_token_cannot_be_revoked", "", Value::Null);
        assert!(!other.is_not_revocable() && other.is_bad_request());
        assert!(!api(404, CANNOT_REVOKE_CODE, "", Value::Null).is_not_revocable());
    }

    #[test]
    fn user_not_found_is_told_apart_from_a_missing_token() {
        let reference = api(
            404,
            RESOURCE_NOT_FOUND_CODE,
            "No user was found with id user_x",
            Value::Null,
        );
        assert!(reference.is_user_not_found() && reference.is_not_found());
        let server = api(
            422,
            FORM_RESOURCE_NOT_FOUND_CODE,
            "The resource associated with the supplied user_id was not found.",
            serde_json::json!({"param_name": "user_id"}),
        );
        assert!(server.is_user_not_found() && !server.is_not_found());
        let token = api(
            404,
            RESOURCE_NOT_FOUND_CODE,
            "Resource not found",
            Value::Null,
        );
        assert!(!token.is_user_not_found() && token.is_not_found());
    }

    #[test]
    fn codes_are_found_in_any_error_of_the_answer() {
        let mut e = api(422, FORM_PARAM_MISSING_CODE, "", Value::Null);
        if let Error::Api(a) = &mut e {
            a.errors.push(ClerkError {
                code: QUOTA_EXCEEDED_CODE.into(),
                message: String::new(),
                long_message: String::new(),
                meta: Map::new(),
            });
        }
        assert!(e.has_code(QUOTA_EXCEEDED_CODE) && e.has_code(FORM_PARAM_MISSING_CODE));
        assert!(!e.has_code(TOO_MANY_REQUESTS_CODE));
        assert!(e.is_quota_exhausted());
        assert_eq!(e.code(), Some(FORM_PARAM_MISSING_CODE));
        assert!(api(402, UNSUPPORTED_PLAN_FEATURES_CODE, "", Value::Null).is_plan_required());
        assert!(api(429, TOO_MANY_REQUESTS_CODE, "", Value::Null).is_rate_limited());
    }

    #[test]
    fn every_helper_looks_through_an_ambiguous_outcome() {
        let ambiguous = |cause: Error| {
            Error::AmbiguousOutcome(AmbiguousOutcome {
                attempts: 1,
                cause: Box::new(cause),
            })
        };
        let e = ambiguous(api(
            503,
            "service_unavailable",
            "try later",
            serde_json::json!({"x": 1}),
        ));
        assert_eq!(e.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(e.code(), Some("service_unavailable"));
        assert!(e.has_code("service_unavailable"));
        assert_eq!(
            e.clerk_error("service_unavailable")
                .map(|c| c.long_message.as_str()),
            Some("try later")
        );
        // Status helpers follow the same rule.
        let e = ambiguous(api(429, TOO_MANY_REQUESTS_CODE, "", Value::Null));
        assert!(e.is_rate_limited() && e.has_code(TOO_MANY_REQUESTS_CODE));
    }
}
