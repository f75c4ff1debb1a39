//! What the fake does, independent of HTTP: create, revoke and redeem tokens under the
//! scenario's rules. The router and the Rust API both call into this.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_actor_tokens::raw::types::{
    ActorToken as WireToken, ActorTokenObject, CreateActorTokenBody,
};
use clerk_actor_tokens::{Secret, Status};
use http::StatusCode;
use serde_json::{Map, Value};

use crate::errors::{
    ALREADY_USED_CODE, CANNOT_BE_USED_CODE, REVOKED_CODE, Refusal, TICKET_INVALID_CODE, clerk_error,
};
use crate::ids::Codec;
use crate::rate_limit::Limiter;
use crate::scenario::Scenario;
use crate::store::{Life, Record, Store};
use crate::users::Users;
use crate::validation::CreateBodyValidator;
use clerk_actor_tokens::{CANNOT_REVOKE_CODE, QUOTA_EXCEEDED_CODE, UNSUPPORTED_PLAN_FEATURES_CODE};

/// A token as the fake holds it, for tests to inspect.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StoredToken {
    /// `act_...`
    pub id: String,
    /// `pending`, `accepted` or `revoked`.
    pub status: Status,
    /// The impersonated user.
    pub user_id: String,
    /// The actor object as sent (`sub` and any extra claims).
    pub actor: Map<String, Value>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last change.
    pub updated_at: i64,
    /// Unix milliseconds after which the url can no longer be redeemed.
    pub expires_at: i64,
    /// `session_max_duration_in_seconds` as sent (or Clerk's default).
    pub session_max_duration: Duration,
    /// The sign-in ticket.
    pub token: Secret,
    /// The sign-in url, on the configured Frontend API origin (by default the fake itself).
    pub url: Secret,
}

/// Why a sign-in url could not be redeemed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedeemError {
    /// No ticket, not a ticket of this fake, or the token was evicted (`ticket_invalid_code`).
    #[error("no actor token matches this ticket")]
    Unknown,
    /// Redeemed before: a ticket signs in once.
    #[error("this actor token has already been used; each token can only be used once")]
    AlreadyUsed,
    /// Revoked before use.
    #[error("this actor token has been revoked and cannot be used anymore")]
    Revoked,
    /// Its `expires_in_seconds` has passed.
    #[error("this actor token has expired and cannot be used anymore")]
    Expired,
}

impl RedeemError {
    /// Clerk's Frontend API error code for this refusal (see the table in the `errors` module).
    pub fn code(&self) -> &'static str {
        match self {
            RedeemError::Unknown => TICKET_INVALID_CODE,
            RedeemError::AlreadyUsed => ALREADY_USED_CODE,
            RedeemError::Revoked => REVOKED_CODE,
            RedeemError::Expired => CANNOT_BE_USED_CODE,
        }
    }

    /// The answer, all 400s with the catalogue's texts.
    pub(crate) fn refusal(&self) -> Refusal {
        let (message, long) = match self {
            RedeemError::Unknown => return Refusal::ticket_invalid(),
            RedeemError::AlreadyUsed => (
                "actor token has already been used",
                "This actor token has already been used. Each token can only be used once.",
            ),
            RedeemError::Revoked => (
                "actor token has been revoked",
                "This actor token has been revoked and cannot be used anymore.",
            ),
            RedeemError::Expired => (
                "actor token cannot be used",
                "This actor token cannot be used anymore. Please request a new one.",
            ),
        };
        Refusal::one(
            StatusCode::BAD_REQUEST,
            clerk_error(self.code(), message, long),
        )
    }
}

/// What a completed sign-in with a ticket shows (opening a url with `Accept: application/json`,
/// the fake's sign-in page, the control endpoint that redeems): the sign-in the ticket started.
#[derive(Debug, serde::Serialize)]
pub(crate) struct SignIn<'a> {
    object: &'static str,
    status: &'static str,
    actor_token_id: &'a str,
    user_id: &'a str,
    actor: &'a Map<String, Value>,
    session_max_duration_in_seconds: u64,
}

impl<'a> From<&'a StoredToken> for SignIn<'a> {
    fn from(t: &'a StoredToken) -> Self {
        Self {
            object: "actor_token_sign_in",
            status: "complete",
            actor_token_id: &t.id,
            user_id: &t.user_id,
            actor: &t.actor,
            session_max_duration_in_seconds: t.session_max_duration.as_secs(),
        }
    }
}

/// Where sign-in urls point and where opening one redirects to.
#[derive(Clone, Debug)]
pub(crate) struct SignInConfig {
    /// The Frontend API origin of the url Clerk hands out (`https://<frontend-api>`).
    pub(crate) frontend_api: String,
    /// The application's sign-in page the accept url redirects to.
    pub(crate) sign_in_url: String,
}

/// Locks a mutex; a panic elsewhere while holding it leaves plain data that is still usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything one fake instance knows.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) store: Mutex<Store>,
    pub(crate) scenario: Mutex<Scenario>,
    pub(crate) codec: Codec,
    pub(crate) validator: &'static CreateBodyValidator,
    /// `http://host:port`, where the fake listens.
    pub(crate) origin: String,
    pub(crate) sign_in: SignInConfig,
    pub(crate) users: Mutex<Users>,
    /// Whether users start in strict mode (what `reset` returns to).
    strict_users: bool,
    /// Clerk's rate limit, when the opt-in mode is on.
    pub(crate) rate_limit: Mutex<Option<Limiter>>,
    clock_offset_ms: AtomicI64,
}

impl State {
    pub(crate) fn new(
        validator: &'static CreateBodyValidator,
        origin: String,
        sign_in: SignInConfig,
        cap: usize,
        strict_users: bool,
    ) -> Self {
        Self {
            store: Mutex::new(Store::new(cap)),
            scenario: Mutex::new(Scenario::default()),
            codec: Codec::new(),
            validator,
            origin,
            sign_in,
            users: Mutex::new(Users::new(strict_users)),
            strict_users,
            rate_limit: Mutex::new(None),
            clock_offset_ms: AtomicI64::new(0),
        }
    }

    /// Counts a Backend API request against the rate limit, when one is set.
    pub(crate) fn check_rate_limit(&self) -> Result<(), Refusal> {
        match lock(&self.rate_limit).as_mut() {
            Some(limiter) => limiter
                .check(std::time::Instant::now())
                .map_err(Refusal::too_many_requests),
            None => Ok(()),
        }
    }

    /// Unix milliseconds on the fake's clock (real time plus any advance).
    pub(crate) fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        real.saturating_add(self.clock_offset_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn advance_clock(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .clock_offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
                Some(o.saturating_add(ms))
            });
    }

    /// Forgets all tokens, faults, quota and plan settings, users, the rate limit and the
    /// clock's advance.
    pub(crate) fn reset(&self) {
        lock(&self.store).clear();
        *lock(&self.scenario) = Scenario::default();
        *lock(&self.users) = Users::new(self.strict_users);
        *lock(&self.rate_limit) = None;
        self.clock_offset_ms.store(0, Ordering::Relaxed);
    }

    /// The sign-in url Clerk hands out: on the Frontend API, `/v1/tickets/accept?ticket=...`
    /// (server `actor_tokens.Service.Create`).
    fn url(&self, ticket: &str) -> String {
        format!(
            "{}/v1/tickets/accept?ticket={ticket}",
            self.sign_in.frontend_api
        )
    }

    /// Where opening a sign-in url redirects: the sign-in page with `__clerk_ticket` (and
    /// `__clerk_redirect_url` when the url carried a `redirect_url`), as Clerk's
    /// `tickets.handleActorToken` does.
    pub(crate) fn sign_in_redirect(&self, ticket: &str, redirect_url: Option<&str>) -> String {
        let mut query = vec![("__clerk_ticket", ticket)];
        if let Some(after) = redirect_url.filter(|u| !u.is_empty()) {
            query.push(("__clerk_redirect_url", after));
        }
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        let base = &self.sign_in.sign_in_url;
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}{encoded}")
    }

    pub(crate) fn create(&self, body: CreateActorTokenBody) -> Result<WireToken, Refusal> {
        let now = self.now_ms();
        let mut actor = body.actor.extra;
        actor.insert("sub".into(), Value::String(body.actor.sub));
        let actor_json = serde_json::to_string(&actor).unwrap_or_else(|_| "{}".into());
        let record = Record::new(
            &body.user_id,
            &actor_json,
            now,
            body.expires_in_seconds.get(),
            body.session_max_duration_in_seconds.get(),
        )
        .ok_or_else(|| {
            Refusal::one(
                StatusCode::UNPROCESSABLE_ENTITY,
                clerk_error(
                    clerk_actor_tokens::FORM_PARAM_VALUE_INVALID_CODE,
                    "is invalid",
                    "user_id is too long.",
                ),
            )
        })?;
        // Clerk looks the user up right after validating the body (server
        // `actor_tokens.Service.Create`); where the plan and quota checks sit relative to it is
        // not public: our choice is user, plan, quota.
        if !lock(&self.users).exists(&body.user_id) {
            return Err(Refusal::unknown_user(&body.user_id));
        }
        {
            let mut scenario = lock(&self.scenario);
            if !scenario.impersonation_enabled {
                return Err(plan_required());
            }
            if let Some(limit) = scenario.limit
                && scenario.used >= limit
            {
                return Err(quota_exceeded(scenario.used, limit));
            }
            scenario.used += 1;
        }
        let seq = lock(&self.store).insert(now, record);
        let ticket = self.codec.ticket(seq);
        Ok(WireToken {
            actor,
            created_at: now,
            id: self.codec.id(seq),
            object: ActorTokenObject::ActorToken,
            status: Life::Pending.as_str().to_string(),
            url: Some(Secret::new(self.url(&ticket))),
            token: Some(Secret::new(ticket)),
            updated_at: now,
            user_id: body.user_id,
        })
    }

    pub(crate) fn revoke(&self, id: &str) -> Result<WireToken, Refusal> {
        let seq = self.codec.parse_id(id).ok_or_else(Refusal::unknown_token)?;
        let now = self.now_ms();
        let mut store = lock(&self.store);
        let record = store.get_mut(seq).ok_or_else(Refusal::unknown_token)?;
        if record.life != Life::Pending {
            return Err(Refusal::one(
                StatusCode::BAD_REQUEST,
                clerk_error(
                    CANNOT_REVOKE_CODE,
                    "cannot revoke",
                    format!(
                        "Actor token cannot be revoked because its status is {}. Only pending tokens can be revoked.",
                        record.life.as_str()
                    ),
                ),
            ));
        }
        record.life = Life::Revoked;
        record.updated_at = now;
        Ok(self.wire(seq, record))
    }

    /// Redeems a ticket, or a url that carries one, once.
    pub(crate) fn redeem(&self, ticket_or_url: &str) -> Result<StoredToken, RedeemError> {
        let ticket = ticket_of(ticket_or_url);
        let seq = self
            .codec
            .parse_ticket(&ticket)
            .ok_or(RedeemError::Unknown)?;
        let now = self.now_ms();
        let mut store = lock(&self.store);
        let record = store.get_mut(seq).ok_or(RedeemError::Unknown)?;
        match record.life {
            Life::Accepted => return Err(RedeemError::AlreadyUsed),
            Life::Revoked => return Err(RedeemError::Revoked),
            Life::Pending if record.is_expired(now) => return Err(RedeemError::Expired),
            Life::Pending => {}
        }
        record.life = Life::Accepted;
        record.updated_at = now;
        Ok(self.stored(seq, record))
    }

    /// The stored token a genuine ticket (or a url carrying one) belongs to, unchanged.
    pub(crate) fn token_for_ticket(&self, ticket_or_url: &str) -> Option<StoredToken> {
        let seq = self.codec.parse_ticket(&ticket_of(ticket_or_url))?;
        let store = lock(&self.store);
        store.get(seq).map(|r| self.stored(seq, r))
    }

    /// The wire form of a stored token; like Clerk, only a create's answer carries the secrets.
    fn wire(&self, seq: u64, record: &Record) -> WireToken {
        WireToken {
            actor: actor_map(record),
            created_at: record.created_at,
            id: self.codec.id(seq),
            object: ActorTokenObject::ActorToken,
            status: record.life.as_str().to_string(),
            token: None,
            updated_at: record.updated_at,
            url: None,
            user_id: record.user_id().to_string(),
        }
    }

    pub(crate) fn stored(&self, seq: u64, record: &Record) -> StoredToken {
        let ticket = self.codec.ticket(seq);
        StoredToken {
            id: self.codec.id(seq),
            status: Status::from(record.life.as_str()),
            user_id: record.user_id().to_string(),
            actor: actor_map(record),
            created_at: record.created_at,
            updated_at: record.updated_at,
            expires_at: record.expires_at,
            session_max_duration: Duration::from_secs(record.session_max_secs),
            url: Secret::new(self.url(&ticket)),
            token: Secret::new(ticket),
        }
    }

    pub(crate) fn token(&self, id: &str) -> Option<StoredToken> {
        let seq = self.codec.parse_id(id)?;
        let store = lock(&self.store);
        store.get(seq).map(|r| self.stored(seq, r))
    }

    pub(crate) fn tokens(&self) -> Vec<StoredToken> {
        let store = lock(&self.store);
        store
            .all()
            .into_iter()
            .map(|(seq, r)| self.stored(seq, r))
            .collect()
    }
}

fn actor_map(record: &Record) -> Map<String, Value> {
    serde_json::from_str(record.actor_json()).unwrap_or_default()
}

/// The ticket in `...?ticket=T&...` (or the sign-in page's `__clerk_ticket`), or the input
/// itself when it is not a url.
fn ticket_of(input: &str) -> String {
    let Some((_, rest)) = input.split_once('?') else {
        return input.trim().to_string();
    };
    let query = rest.split('#').next().unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    pairs
        .into_iter()
        .find(|(key, _)| key == "ticket" || key == "__clerk_ticket")
        .map(|(_, value)| value)
        .unwrap_or_default()
}

/// 402 on a plan without impersonation: the catalogue's 402 code and texts for a plan that lacks
/// a feature (the body of this 402 is not public; see the `errors` module).
fn plan_required() -> Refusal {
    let mut error = clerk_error(
        UNSUPPORTED_PLAN_FEATURES_CODE,
        "Unsupported plan features",
        "Some features are not supported in your current plan. Upgrade your subscription to unlock them.",
    );
    error.meta.insert(
        "unsupported_features".into(),
        serde_json::json!(["impersonation"]),
    );
    Refusal::one(StatusCode::PAYMENT_REQUIRED, error)
}

/// 422 with the catalogue's texts (`ImpersonationLimitExceeded`) and `used`/`limit` in `meta`.
fn quota_exceeded(used: u64, limit: u64) -> Refusal {
    let mut error = clerk_error(
        QUOTA_EXCEEDED_CODE,
        "Impersonation limit exceeded",
        format!(
            "Your application has reached the impersonation limit for your plan ({used}/{limit}). The limit will reset at the beginning of the next billing period."
        ),
    );
    error.meta.insert("used".into(), used.into());
    error.meta.insert("limit".into(), limit.into());
    Refusal::one(StatusCode::UNPROCESSABLE_ENTITY, error)
}

#[cfg(test)]
mod tests {
    use super::ticket_of;

    #[test]
    fn tickets_are_found_in_urls_and_alone() {
        assert_eq!(ticket_of("http://h/v1/tickets/accept?ticket=abc"), "abc");
        assert_eq!(ticket_of("http://h/x?a=1&ticket=abc&b=2"), "abc");
        assert_eq!(ticket_of("http://h/x?ticket=abc#frag"), "abc");
        assert_eq!(ticket_of(" abc "), "abc");
        assert_eq!(ticket_of("http://h/x?a=1"), "");
        assert_eq!(ticket_of("http://h/sign-in?__clerk_ticket=a%2Bb"), "a+b");
    }
}
