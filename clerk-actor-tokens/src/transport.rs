//! What happens to every request on its way out and every response on its way in, implemented as
//! progenitor's `ClientHooks` on the generated client (hooks, not a fork of generated code):
//! credentials, Clerk's headers, the response size cap, and a per-attempt record that the retry
//! loop reads (status, trace id, `Retry-After`).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

use crate::error::ConfigError;
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

/// The state the generated `Client` carries for the hooks (progenitor's "inner type").
#[derive(Clone)]
pub struct Transport {
    pub(crate) credentials: Credentials,
    pub(crate) api_version: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) max_response_bytes: usize,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = match self.credentials {
            Credentials::Static(_) => "secret key [redacted]",
            Credentials::Provider(Provider::Sync(_)) => "token provider",
            Credentials::Provider(Provider::Async(_)) => "async token provider",
        };
        f.debug_struct("Transport")
            .field("credentials", &credentials)
            .field("api_version", &self.api_version)
            .field("user_agent", &self.user_agent)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// What one attempt saw, for the retry loop and for errors. The call moves a fresh record into
/// a task-local scope around the attempt, the hooks fill it, and the call takes it back out
/// afterwards: progenitor's hooks have no per-call parameter, and this needs no lock or
/// allocation.
#[derive(Debug, Default, Clone)]
pub(crate) struct AttemptRecord {
    pub status: Option<http::StatusCode>,
    pub trace_id: Option<String>,
    pub retry_after: Option<Duration>,
    pub content_type: Option<String>,
    pub hook_error: Option<ConfigError>,
}

tokio::task_local! {
    pub(crate) static ATTEMPT: RefCell<AttemptRecord>;
}

fn with_record(f: impl FnOnce(&mut AttemptRecord)) {
    let _ = ATTEMPT.try_with(|record| f(&mut record.borrow_mut()));
}

/// Reads Clerk's trace id from the headers (`Clerk-Trace-Id`, else Cloudflare's `cf-ray`).
pub(crate) fn trace_id(headers: &HeaderMap) -> Option<String> {
    ["clerk-trace-id", "cf-ray"]
        .iter()
        .find_map(|name| headers.get(*name))
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

impl ClientHooks<Transport> for raw::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), raw::Error<E>> {
        let transport = self.inner();
        let authorization = match transport.credentials.authorization().await {
            Ok(value) => value,
            Err(e) => {
                let message = e.to_string();
                with_record(|r| r.hook_error = Some(e));
                return Err(raw::Error::Custom(message));
            }
        };
        let has_body = request.body().is_some();
        let headers = request.headers_mut();
        // progenitor sends `api-version: <info.version>`; Clerk reads `Clerk-API-Version`, and a
        // second, differently named copy of the same fact would only confuse proxies and logs.
        headers.remove("api-version");
        headers.insert(header::AUTHORIZATION, authorization);
        headers.insert(
            HeaderName::from_static(CLERK_API_VERSION_HEADER),
            transport.api_version.clone(),
        );
        headers.insert(header::USER_AGENT, transport.user_agent.clone());
        if !has_body {
            // A POST without a body and without Content-Length is refused by some proxies (411).
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        let headers = response.headers();
        let status = response.status();
        let trace = trace_id(headers);
        // Only error answers need these; skipping them spares the success path two header parses
        // and an allocation (the trace id above is copied on every answer).
        let (after, content_type) = if status.is_success() {
            (None, None)
        } else {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            (retry_after(headers, SystemTime::now()), content_type)
        };
        with_record(|r| {
            r.status = Some(status);
            r.trace_id = trace;
            r.retry_after = after;
            r.content_type = content_type;
        });
        // The generated code buffers the whole body; capping the stream here makes an oversized
        // body fail after `max_response_bytes` instead of filling memory. A body whose declared
        // length fits needs no cap: HTTP/1.1 framing ends it there, and not re-wrapping it keeps
        // the common path as cheap as a plain reqwest call.
        let limit = self.inner().max_response_bytes;
        if response.content_length().is_some_and(|n| n <= limit as u64) {
            return Ok(response);
        }
        let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
        let limited = reqwest::Body::wrap(http_body_util::Limited::new(body, limit));
        Ok(reqwest::Response::from(http::Response::from_parts(
            parts, limited,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
