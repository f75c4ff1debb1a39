//! What a test can make the fake do besides behaving: a monthly impersonation quota, a plan
//! without impersonation, and faults injected into the next matching requests.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use hyper::body::{Body, Frame, SizeHint};

/// Which requests a [`Fault`] applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Target {
    /// `POST /v1/actor_tokens`.
    Create,
    /// `POST /v1/actor_tokens/{id}/revoke`.
    Revoke,
    /// Opening a token's sign-in url.
    Redeem,
    /// `GET /v1/sessions`.
    ListSessions,
    /// `GET /v1/sessions/{id}`.
    GetSession,
    /// `POST /v1/sessions/{id}/revoke`.
    RevokeSession,
    /// Any of the above.
    Any,
}

impl Target {
    fn matches(self, request: Target) -> bool {
        self == Target::Any || self == request
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Only the delay; the request is then handled normally.
    Proceed,
    /// Answer with this status and a Clerk error body.
    Respond {
        status: StatusCode,
        code: String,
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// Close the connection without answering.
    Drop,
}

/// How the body of a faulted answer is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pace {
    /// All at once (the default).
    Whole,
    /// The status, the headers (with the full `Content-Length`) and half the body, then nothing.
    Stall,
    /// One byte per interval.
    Drip(Duration),
}

/// A failure to inject into the next matching requests, built fluently.
///
/// By default a fault replaces the handling of the request (nothing is created or revoked);
/// [`Fault::after_processing`] handles the request first and then loses the answer, which is
/// what makes a create's outcome ambiguous.
///
/// ```
/// use std::time::Duration;
/// use clerk_actor_tokens_fake::{Fault, HeaderValue, StatusCode, Target};
///
/// // The next two creates get a 429 asking to wait one second.
/// let throttle = Fault::status(StatusCode::TOO_MANY_REQUESTS)
///     .retry_after(Duration::from_secs(1))
///     .on(Target::Create)
///     .times(2);
/// // The next revoke is held for 50 ms, then handled normally.
/// let slow = Fault::delay(Duration::from_millis(50)).on(Target::Revoke);
/// // The next create is carried out, then its connection dropped without an answer.
/// let lost = Fault::drop_connection().on(Target::Create).after_processing();
/// // The next revoke gets a 503 whose body stops after the headers: a client must time out.
/// let stalled = Fault::status(StatusCode::SERVICE_UNAVAILABLE).stall_body().on(Target::Revoke);
/// // The next create succeeds, but its body arrives one byte every 100 ms.
/// let drip = Fault::delay(Duration::ZERO).drip_body(Duration::from_millis(100)).on(Target::Create);
/// // A 429 whose Retry-After no client can honour.
/// let absurd = Fault::status(StatusCode::TOO_MANY_REQUESTS)
///     .retry_after_raw(HeaderValue::from_static("18446744073709551615"));
/// # let _ = (throttle, slow, lost, stalled, drip, absurd);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub(crate) target: Target,
    pub(crate) times: u32,
    pub(crate) delay: Option<Duration>,
    pub(crate) action: Action,
    pub(crate) after_processing: bool,
    pub(crate) pace: Pace,
    pub(crate) retry_after_raw: Option<HeaderValue>,
}

impl Fault {
    fn new(action: Action) -> Self {
        Self {
            target: Target::Any,
            times: 1,
            delay: None,
            action,
            after_processing: false,
            pace: Pace::Whole,
            retry_after_raw: None,
        }
    }

    /// Answer with `status` and a Clerk error body whose code follows from the status
    /// (`too_many_requests`, `internal_clerk_error`, `bad_gateway`, ...; see [`Fault::code`]).
    pub fn status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            500 => "internal_clerk_error".to_string(),
            _ => status
                .canonical_reason()
                .unwrap_or("injected fault")
                .to_ascii_lowercase()
                .replace([' ', '-'], "_"),
        };
        let message = status
            .canonical_reason()
            .unwrap_or("injected fault")
            .to_ascii_lowercase();
        Self::new(Action::Respond {
            status,
            code,
            message,
            retry_after_secs: None,
        })
    }

    /// Hold the request for `delay`, then handle it normally.
    pub fn delay(delay: Duration) -> Self {
        Self::new(Action::Proceed).with_delay(delay)
    }

    /// Close the connection without sending any answer.
    pub fn drop_connection() -> Self {
        Self::new(Action::Drop)
    }

    /// Wait this long before the fault acts (combines with a status or a dropped connection).
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Sets the Clerk error code and message of a status fault.
    pub fn code(mut self, code: impl Into<String>, message: impl Into<String>) -> Self {
        if let Action::Respond {
            code: c,
            message: m,
            ..
        } = &mut self.action
        {
            *c = code.into();
            *m = message.into();
        }
        self
    }

    /// Sends `Retry-After` with a status fault, in whole seconds (rounded up).
    pub fn retry_after(mut self, wait: Duration) -> Self {
        if let Action::Respond {
            retry_after_secs, ..
        } = &mut self.action
        {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            *retry_after_secs = Some(secs);
        }
        self
    }

    /// Sends `Retry-After` with exactly this value, whatever it says (`18446744073709551615`,
    /// `-5`, `soon`, a date in the year 9999, ...), to test how a client copes. Replaces
    /// [`Fault::retry_after`]; applies to status faults and to answers of [`Fault::delay`].
    pub fn retry_after_raw(mut self, value: HeaderValue) -> Self {
        self.retry_after_raw = Some(value);
        self
    }

    /// Sends the status line, the headers (announcing the whole body's `Content-Length`) and the
    /// first half of the body, then nothing more, keeping the connection open: the answer of a
    /// stuck proxy. With [`Fault::delay`] it applies to the normal (success) answer.
    pub fn stall_body(mut self) -> Self {
        self.pace = Pace::Stall;
        self
    }

    /// Sends the body one byte every `every` (the headers at once): a slow drip that outlasts a
    /// client's time limit. With [`Fault::delay`] it applies to the normal (success) answer.
    pub fn drip_body(mut self, every: Duration) -> Self {
        self.pace = Pace::Drip(every);
        self
    }

    /// Which requests the fault applies to (default: any).
    pub fn on(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// How many matching requests it applies to (default 1; 0 is treated as 1).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times.max(1);
        self
    }

    /// Handle the request first (create or revoke the token, revoke the session), then fail the
    /// answer.
    pub fn after_processing(mut self) -> Self {
        self.after_processing = true;
        self
    }
}

impl Fault {
    /// Applies the fault's body pace and raw `Retry-After` to an answer (status faults and
    /// answers that went through [`Fault::delay`] alike).
    pub(crate) fn shape(&self, mut response: Response) -> Response {
        if let Some(value) = &self.retry_after_raw {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, value.clone());
        }
        if self.pace == Pace::Whole {
            return response;
        }
        let pace = self.pace;
        let (parts, body) = response.into_parts();
        // The fake's answers are small, fully built JSON; a non-exact size means a streaming
        // body, which is passed on unpaced.
        let Some(length) = body.size_hint().exact() else {
            return Response::from_parts(parts, body);
        };
        let body = Paced {
            inner: Some(body),
            bytes: None,
            length,
            sent: 0,
            pace,
            sleep: None,
        };
        Response::from_parts(parts, axum::body::Body::new(body))
    }
}

/// A fully built body delivered at a [`Pace`]. Its size hint stays the whole length, so the
/// `Content-Length` header announces bytes that a stall never sends.
struct Paced {
    inner: Option<axum::body::Body>,
    bytes: Option<Bytes>,
    length: u64,
    sent: usize,
    pace: Pace,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Body for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        // Collect the inner body first (it is already in memory: this is immediate).
        while let Some(inner) = this.inner.as_mut() {
            match Pin::new(inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        let mut all = this.bytes.take().map(Vec::from).unwrap_or_default();
                        all.extend_from_slice(&data);
                        this.bytes = Some(Bytes::from(all));
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => this.inner = None,
            }
        }
        let bytes = this.bytes.clone().unwrap_or_default();
        match this.pace {
            Pace::Whole => {
                if this.sent >= bytes.len() {
                    return Poll::Ready(None);
                }
                this.sent = bytes.len();
                Poll::Ready(Some(Ok(Frame::data(bytes))))
            }
            Pace::Stall => {
                let half = bytes.len() / 2;
                if this.sent < half {
                    this.sent = half;
                    return Poll::Ready(Some(Ok(Frame::data(bytes.slice(..half)))));
                }
                // Never wakes: the connection stays open and silent until the client leaves.
                Poll::Pending
            }
            Pace::Drip(every) => {
                if this.sent >= bytes.len() {
                    return Poll::Ready(None);
                }
                if let Some(sleep) = this.sleep.as_mut()
                    && sleep.as_mut().poll(cx).is_pending()
                {
                    return Poll::Pending;
                }
                this.sleep = Some(Box::pin(tokio::time::sleep(every)));
                let at = this.sent;
                this.sent += 1;
                Poll::Ready(Some(Ok(Frame::data(bytes.slice(at..at + 1)))))
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.length)
    }
}

/// The quota and plan settings as they stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Usage {
    /// Actor tokens created "this month" (since start or the last reset).
    pub used: u64,
    /// The monthly limit, when one is set.
    pub limit: Option<u64>,
    /// Whether the plan includes impersonation.
    pub impersonation_enabled: bool,
}

/// The scenario state of one fake.
#[derive(Debug)]
pub(crate) struct Scenario {
    pub(crate) limit: Option<u64>,
    pub(crate) used: u64,
    pub(crate) impersonation_enabled: bool,
    faults: VecDeque<Fault>,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            limit: None,
            used: 0,
            impersonation_enabled: true,
            faults: VecDeque::new(),
        }
    }
}

impl Scenario {
    pub(crate) fn push(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    pub(crate) fn clear_faults(&mut self) {
        self.faults.clear();
    }

    pub(crate) fn pending_faults(&self) -> u64 {
        self.faults.iter().map(|f| u64::from(f.times)).sum()
    }

    /// The first queued fault that applies to this request, used up once.
    pub(crate) fn take(&mut self, request: Target) -> Option<Fault> {
        let index = self.faults.iter().position(|f| f.target.matches(request))?;
        let fault = self.faults.get_mut(index)?;
        fault.times = fault.times.saturating_sub(1);
        let taken = fault.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(taken)
    }

    pub(crate) fn usage(&self) -> Usage {
        Usage {
            used: self.used,
            limit: self.limit,
            impersonation_enabled: self.impersonation_enabled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_to_matching_requests_the_given_number_of_times() {
        let mut s = Scenario::default();
        s.push(
            Fault::status(StatusCode::BAD_GATEWAY)
                .on(Target::Create)
                .times(2),
        );
        s.push(Fault::drop_connection().on(Target::Revoke));
        s.push(Fault::delay(Duration::ZERO).on(Target::RevokeSession));
        assert_eq!(s.pending_faults(), 4);
        assert_eq!(s.take(Target::Redeem), None);
        assert_eq!(s.take(Target::GetSession), None);
        assert!(s.take(Target::RevokeSession).is_some());
        assert_eq!(s.take(Target::Revoke).unwrap().action, Action::Drop);
        assert!(s.take(Target::Create).is_some());
        assert!(s.take(Target::Create).is_some());
        assert_eq!(s.take(Target::Create), None);
        assert_eq!(s.pending_faults(), 0);
    }

    #[test]
    fn status_faults_get_clerk_style_codes() {
        let code = |s: u16| match Fault::status(StatusCode::from_u16(s).unwrap()).action {
            Action::Respond { code, .. } => code,
            _ => unreachable!(),
        };
        assert_eq!(code(429), "too_many_requests");
        assert_eq!(code(500), "internal_clerk_error");
        assert_eq!(code(502), "bad_gateway");
        assert_eq!(code(599), "injected_fault");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let f =
            Fault::status(StatusCode::TOO_MANY_REQUESTS).retry_after(Duration::from_millis(1500));
        assert!(matches!(
            f.action,
            Action::Respond {
                retry_after_secs: Some(2),
                ..
            }
        ));
    }
}
