//! What happens to every request on its way out and every response on its way in, implemented as
//! progenitor's `ClientHooks` on the generated client (hooks, not a fork of generated code):
//! credentials, Clerk's headers, the response size cap, and a per-attempt record that the call
//! reads (status, trace id, `Retry-After`, and how far the request got).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

use crate::error::{ConfigError, TimeoutPhase};
use crate::raw;
use crate::retry::MAX_RETRY_AFTER;
use crate::secret::Secret;

/// Name of Clerk's API version header.
pub const CLERK_API_VERSION_HEADER: &str = "clerk-api-version";

/// A function that returns the secret key; called once per request (see `ClerkBuilder::token_provider`).
pub(crate) type ProviderFn = dyn Fn() -> Result<Secret, String> + Send + Sync;

/// The future an async token provider returns, boxed so that one client type serves every provider.
pub(crate) type KeyFuture = Pin<Box<dyn Future<Output = Result<Secret, String>> + Send>>;

/// A function whose future yields the secret key; called once per request (see
/// `ClerkBuilder::async_token_provider`).
pub(crate) type AsyncProviderFn = dyn Fn() -> KeyFuture + Send + Sync;

/// A token provider, sync or async.
#[derive(Clone)]
pub(crate) enum Provider {
    /// Returns the key at once (a cached value); no future is allocated per request.
    Sync(Arc<ProviderFn>),
    /// Fetches the key (a secret manager); awaited inside the attempt, so the per-request time
    /// limit covers it.
    Async(Arc<AsyncProviderFn>),
}

/// Where the `Authorization` header comes from.
#[derive(Clone)]
pub(crate) enum Credentials {
    /// A key checked once, kept as a ready header value marked sensitive.
    Static(HeaderValue),
    /// A function called per request, for rotation.
    Provider(Provider),
}

impl Credentials {
    pub(crate) fn from_key(key: &Secret, origin: &str) -> Result<Self, ConfigError> {
        Ok(Credentials::Static(bearer(key, origin)?))
    }

    async fn authorization(&self) -> Result<HeaderValue, ConfigError> {
        let key = match self {
            Credentials::Static(value) => return Ok(value.clone()),
            Credentials::Provider(Provider::Sync(provider)) => provider(),
            Credentials::Provider(Provider::Async(provider)) => provider().await,
        };
        let key = key.map_err(|message| ConfigError::TokenProvider { message })?;
        bearer(&key, "the token provider")
    }
}

/// Checks the shape of a Clerk secret key and turns it into a sensitive `Bearer` header value.
pub(crate) fn bearer(key: &Secret, origin: &str) -> Result<HeaderValue, ConfigError> {
    let key = key.expose();
    if !crate::secret::looks_like_secret_key(key) {
        return Err(ConfigError::InvalidSecretKey {
            origin: origin.to_string(),
        });
    }
    let mut value = HeaderValue::try_from(format!("Bearer {key}")).map_err(|_| {
        ConfigError::InvalidSecretKey {
            origin: origin.to_string(),
        }
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The state the generated `Client` carries for its hooks (progenitor's "inner type"): what they
/// add to every request and the response size cap.
#[derive(Clone)]
pub struct HookState {
    pub(crate) credentials: Credentials,
    pub(crate) api_version: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) max_response_bytes: usize,
}

impl fmt::Debug for HookState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = match self.credentials {
            Credentials::Static(_) => "secret key [redacted]",
            Credentials::Provider(Provider::Sync(_)) => "token provider",
            Credentials::Provider(Provider::Async(_)) => "async token provider",
        };
        f.debug_struct("HookState")
            .field("credentials", &credentials)
            .field("api_version", &self.api_version)
            .field("user_agent", &self.user_agent)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// What one attempt saw, for the retry loop and for errors. The attempt lends a fresh record to
/// the hooks while its generated future is polled ([`Recording`]), the hooks fill it, and the
/// attempt reads it afterwards: progenitor's hooks have no per-call parameter, and this needs no
/// lock.
///
/// The record is kept small (a status and a pointer): it lives in every attempt's future. The
/// details are boxed and only allocated when there are any: an error answer, a trace id, a
/// hook's error.
#[derive(Debug, Default)]
pub(crate) struct AttemptRecord {
    status: Option<http::StatusCode>,
    phase: Phase,
    /// Set by the request's body once the connection took the request (see [`HandOverSignal`]).
    handed_over: Option<Arc<AtomicBool>>,
    detail: Option<Box<AttemptDetail>>,
}

/// How far an attempt got on this side of the connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Phase {
    /// The generated code has not reached the hooks.
    #[default]
    NotStarted,
    /// The async token provider is fetching the key.
    TokenProvider,
    /// The request went to reqwest: DNS, connect, TLS, a pooled connection, and then (once the
    /// hand-over signal is set) the answer.
    Sending,
}

/// The rarely present part of an [`AttemptRecord`].
#[derive(Debug, Default)]
struct AttemptDetail {
    trace_id: Option<String>,
    retry_after: Option<Duration>,
    content_type: Option<String>,
    hook_error: Option<ConfigError>,
}

impl AttemptRecord {
    /// The status of the answer, once its headers arrived.
    pub(crate) fn status(&self) -> Option<http::StatusCode> {
        self.status
    }

    /// Clerk's trace id from the answer's headers.
    pub(crate) fn trace_id(&self) -> Option<&str> {
        self.detail.as_ref()?.trace_id.as_deref()
    }

    /// The error answer's `Retry-After`, parsed and capped.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.detail.as_ref()?.retry_after
    }

    /// The error answer's `Content-Type`.
    pub(crate) fn content_type(&self) -> Option<&str> {
        self.detail.as_ref()?.content_type.as_deref()
    }

    /// The error a hook failed with (the token provider's), whole; the generated code only
    /// carries its message.
    pub(crate) fn hook_error(&self) -> Option<&ConfigError> {
        self.detail.as_ref()?.hook_error.as_ref()
    }

    /// Whether a connection took the request: from then on it may have reached the server.
    pub(crate) fn handed_over(&self) -> bool {
        self.handed_over
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Acquire))
    }

    /// Where an attempt that ran out of time before any status arrived was.
    pub(crate) fn timeout_phase(&self) -> TimeoutPhase {
        if self.handed_over() {
            return TimeoutPhase::Response;
        }
        match self.phase {
            Phase::NotStarted => TimeoutPhase::NotStarted,
            Phase::TokenProvider => TimeoutPhase::TokenProvider,
            Phase::Sending => TimeoutPhase::Connect,
        }
    }

    fn detail(&mut self) -> &mut AttemptDetail {
        self.detail.get_or_insert_with(Box::default)
    }
}

/// The request body, wrapped so that it says when a connection took the request.
///
/// hyper asks a request body `is_end_stream()` at the moment its connection takes the request
/// from the queue, right before it writes the head (HTTP/1: `Dispatcher::poll_write`; HTTP/2: the
/// stream is opened with `end_of_stream = body.is_end_stream()`), and polls it only after that.
/// So until this flag is set, no byte of the request can have been written: a time limit that
/// runs out before is not an ambiguous outcome. A request still waiting in a queue, for a
/// connection that is being set up or for a pooled one, has not set it. A false "set" can only
/// make an outcome ambiguous that was not, never the reverse.
///
/// The body also stops being replayable (reqwest can only clone a buffered body), so a retry
/// policy of a custom `reqwest::Client` cannot send a create a second time underneath the SDK's
/// own rules.
struct HandOverSignal {
    body: reqwest::Body,
    handed_over: Arc<AtomicBool>,
}

impl HandOverSignal {
    fn signal(&self) {
        self.handed_over.store(true, Ordering::Release);
    }
}

impl http_body::Body for HandOverSignal {
    type Data = bytes::Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        this.signal();
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.signal();
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

scoped_tls::scoped_thread_local!(
    /// The record of the attempt being polled on this thread, if any (see [`Recording`]).
    static ATTEMPT: RefCell<AttemptRecord>
);

/// Writes to the record of the attempt whose future is being polled. Outside of one (the raw
/// client used on its own) there is nothing to write to, and nothing is written.
fn with_record(f: impl FnOnce(&mut AttemptRecord)) {
    if ATTEMPT.is_set() {
        ATTEMPT.with(|record| f(&mut record.borrow_mut()));
    }
}

/// An attempt's generated future, polled with its record in reach of the hooks.
///
/// The record is lent to a scoped thread-local for the length of each poll, which is when the
/// hooks run: setting a pointer and putting the previous one back (also on a panic) is all a
/// poll costs. The attempt takes the record back once the future is done or cut off by its time
/// limit ([`Recording::into_record`]), so what the hooks saw survives a timeout.
///
/// Not tokio's task-local: its future moves the record in and out of its slot and re-wraps the
/// generated future's answer (about 500 bytes) three times per poll, which cost about 1,000
/// instructions per create+revoke pair (BENCHMARKS.md, section 1).
pub(crate) struct Recording<'a, F> {
    record: RefCell<AttemptRecord>,
    future: Pin<&'a mut F>,
}

impl<'a, F: Future> Recording<'a, F> {
    /// `future`, whose hooks write to a fresh record.
    pub(crate) fn new(future: Pin<&'a mut F>) -> Self {
        Self {
            record: RefCell::default(),
            future,
        }
    }

    /// What the hooks wrote.
    pub(crate) fn into_record(self) -> AttemptRecord {
        self.record.into_inner()
    }
}

impl<F: Future> Future for Recording<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // The future is pinned behind a reference, so `Recording` is `Unpin` and needs no
        // projection.
        let this = self.get_mut();
        ATTEMPT.set(&this.record, || this.future.as_mut().poll(cx))
    }
}

// Header names as ready values: looking a header up by a `&str` parses and validates the name
// on every call, and these are looked up on every request or answer.
const CLERK_API_VERSION_NAME: HeaderName = HeaderName::from_static(CLERK_API_VERSION_HEADER);
/// The header progenitor adds to every request (see `pre`).
const PROGENITOR_API_VERSION_NAME: HeaderName = HeaderName::from_static("api-version");
const CLERK_TRACE_ID_NAME: HeaderName = HeaderName::from_static("clerk-trace-id");
const CF_RAY_NAME: HeaderName = HeaderName::from_static("cf-ray");

/// Reads Clerk's trace id from the headers (`Clerk-Trace-Id`, else Cloudflare's `cf-ray`).
pub(crate) fn trace_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CLERK_TRACE_ID_NAME)
        .or_else(|| headers.get(CF_RAY_NAME))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 section 10.2.3), at most
/// [`MAX_RETRY_AFTER`]. Digits too many for a `u64` are still a number of seconds (a very long
/// one), not a missing header; anything else that is neither (a negative number, a fraction,
/// garbage) is ignored, and the policy's backoff applies.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

impl ClientHooks<HookState> for raw::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), raw::Error<E>> {
        let transport = self.inner();
        if matches!(
            transport.credentials,
            Credentials::Provider(Provider::Async(_))
        ) {
            with_record(|r| r.phase = Phase::TokenProvider);
        }
        let authorization = match transport.credentials.authorization().await {
            Ok(value) => value,
            Err(e) => {
                let message = e.to_string();
                with_record(|r| r.detail().hook_error = Some(e));
                return Err(raw::Error::Custom(message));
            }
        };
        let has_body = request.body().is_some();
        let headers = request.headers_mut();
        // progenitor sends `api-version: <info.version>`; Clerk reads `Clerk-API-Version`, and a
        // second, differently named copy of the same fact would only confuse proxies and logs.
        headers.remove(PROGENITOR_API_VERSION_NAME);
        headers.insert(header::AUTHORIZATION, authorization);
        headers.insert(CLERK_API_VERSION_NAME, transport.api_version.clone());
        headers.insert(header::USER_AGENT, transport.user_agent.clone());
        if !has_body {
            // A POST without a body and without Content-Length is refused by some proxies (411).
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        Ok(())
    }

    // Not an `async fn`: the request goes to reqwest at once, so the returned future does not
    // carry a copy of it (a few hundred bytes moved once more per request).
    fn exec(
        &self,
        mut request: reqwest::Request,
        _info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        let handed_over = Arc::new(AtomicBool::new(false));
        let body = request
            .body_mut()
            .take()
            .unwrap_or_else(|| reqwest::Body::from(bytes::Bytes::new()));
        *request.body_mut() = Some(reqwest::Body::wrap(HandOverSignal {
            body,
            handed_over: handed_over.clone(),
        }));
        with_record(|r| {
            r.phase = Phase::Sending;
            r.handed_over = Some(handed_over);
        });
        let sending = self.client().execute(request);
        let limit = self.inner().max_response_bytes;
        async move {
            let response = sending.await?;
            record_head(&response);
            Ok(cap_body(response, limit))
        }
    }
}

/// Notes in the attempt record what the call needs from an answer's head.
fn record_head(response: &reqwest::Response) {
    let headers = response.headers();
    let status = response.status();
    let trace = trace_id(headers);
    // Only error answers need the rest; skipping it spares the success path two header parses
    // and an allocation.
    if status.is_success() {
        with_record(|r| {
            r.status = Some(status);
            if trace.is_some() {
                r.detail().trace_id = trace;
            }
        });
        return;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let after = retry_after(headers, SystemTime::now());
    with_record(|r| {
        r.status = Some(status);
        *r.detail() = AttemptDetail {
            trace_id: trace,
            retry_after: after,
            content_type,
            hook_error: None,
        };
    });
}

/// The generated code buffers the whole body; capping the stream here makes an oversized body
/// fail after `limit` bytes instead of filling memory. A body whose declared length fits needs no
/// cap: HTTP/1.1 framing ends it there, and not re-wrapping it keeps the common path as cheap as
/// a plain reqwest call.
fn cap_body(response: reqwest::Response, limit: usize) -> reqwest::Response {
    if response.content_length().is_some_and(|n| n <= limit as u64) {
        return response;
    }
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let limited = reqwest::Body::wrap(http_body_util::Limited::new(body, limit));
    reqwest::Response::from(http::Response::from_parts(parts, limited))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A future that, on each poll, writes the status it is given to the current record, and is
    /// done on its second poll.
    struct Writes {
        status: u16,
        polls: u8,
    }

    impl Future for Writes {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let status = http::StatusCode::from_u16(self.status).unwrap();
            with_record(|r| r.status = Some(status));
            self.polls += 1;
            if self.polls == 2 {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn each_attempt_keeps_what_its_own_hooks_wrote_and_nothing_leaks_outside() {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        // Outside of an attempt the hooks write nowhere, and do not panic.
        assert!(
            Pin::new(&mut Writes {
                status: 500,
                polls: 1
            })
            .poll(&mut cx)
            .is_ready()
        );

        let mut outer_future = std::pin::pin!(Writes {
            status: 201,
            polls: 0
        });
        let mut outer = Recording::new(outer_future.as_mut());
        assert!(Pin::new(&mut outer).poll(&mut cx).is_pending());
        {
            // An attempt polled between two polls of another one (two calls in one task).
            let mut inner_future = std::pin::pin!(Writes {
                status: 429,
                polls: 0
            });
            let mut inner = Recording::new(inner_future.as_mut());
            while Pin::new(&mut inner).poll(&mut cx).is_pending() {}
            assert_eq!(inner.into_record().status().map(|s| s.as_u16()), Some(429));
        }
        assert!(Pin::new(&mut outer).poll(&mut cx).is_ready());
        assert_eq!(outer.into_record().status().map(|s| s.as_u16()), Some(201));
        assert!(!ATTEMPT.is_set());
    }

    fn parse(value: &'static str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(value));
        retry_after(
            &headers,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )
    }

    #[test]
    fn retry_after_saturates_and_ignores_what_is_not_a_wait() {
        assert_eq!(parse("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse("18446744073709551615"), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse("1000000000000000000000000000000"),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(MAX_RETRY_AFTER)
        );
        // 2023-11-14T22:13:20Z is the "now" above; a date 90 s later is a 90 s wait.
        assert_eq!(
            parse("Tue, 14 Nov 2023 22:14:50 GMT"),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(Duration::ZERO));
        for unusable in ["-5", "1.5", "+5", "soon", "", "5s"] {
            assert_eq!(parse(unusable), None, "{unusable:?}");
        }
    }
}
