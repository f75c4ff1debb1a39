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

use crate::errors::{Refusal, clerk_error};
use crate::ids::Codec;
use crate::scenario::Scenario;
use crate::store::{Life, Record, Store};
use crate::validation::CreateBodyValidator;

/// Clerk's error code for a monthly impersonation quota that is used up.
pub const QUOTA_EXCEEDED_CODE: &str = clerk_actor_tokens::QUOTA_EXCEEDED_CODE;
/// The code the fake sends with 402 when the plan has no impersonation.
pub const PLAN_REQUIRED_CODE: &str = "feature_not_enabled";
/// Clerk's code for revoking a token that is no longer pending.
pub const CANNOT_REVOKE_CODE: &str = "actor_token_cannot_be_revoked";

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
    /// The sign-in url (points at the fake).
    pub url: Secret,
}

/// Why a sign-in url could not be redeemed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedeemError {
    /// Not a ticket of this fake, or the token was evicted.
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
    /// Clerk's error code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            RedeemError::Unknown => "resource_not_found",
            RedeemError::AlreadyUsed => "actor_token_already_used",
            RedeemError::Revoked => "actor_token_revoked",
            RedeemError::Expired => "actor_token_cannot_be_used",
        }
    }

    pub(crate) fn refusal(&self) -> Refusal {
        let status = match self {
            RedeemError::Unknown => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        };
        let message = match self {
            RedeemError::Unknown => "not found",
            RedeemError::AlreadyUsed => "actor token has already been used",
            RedeemError::Revoked => "actor token has been revoked",
            RedeemError::Expired => "actor token cannot be used",
        };
        let mut long = self.to_string();
        if let Some(first) = long.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        long.push('.');
        Refusal::one(status, clerk_error(self.code(), message, long))
    }
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
    /// `http://host:port`, where sign-in urls point.
    pub(crate) origin: String,
    clock_offset_ms: AtomicI64,
}

impl State {
    pub(crate) fn new(validator: &'static CreateBodyValidator, origin: String, cap: usize) -> Self {
        Self {
            store: Mutex::new(Store::new(cap)),
            scenario: Mutex::new(Scenario::default()),
            codec: Codec::new(),
            validator,
            origin,
            clock_offset_ms: AtomicI64::new(0),
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

    /// Forgets all tokens, faults, quota and plan settings and the clock's advance.
    pub(crate) fn reset(&self) {
        lock(&self.store).clear();
        *lock(&self.scenario) = Scenario::default();
        self.clock_offset_ms.store(0, Ordering::Relaxed);
    }

    fn url(&self, ticket: &str) -> String {
        format!("{}/v1/tickets/accept?ticket={ticket}", self.origin)
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
                    "form_param_value_invalid",
                    "is invalid",
                    "user_id is too long.",
                ),
            )
        })?;
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
        let not_found = || {
            let shown: String = id.chars().take(64).collect();
            Refusal::not_found(format!("No actor token was found with id {shown}."))
        };
        let seq = self.codec.parse_id(id).ok_or_else(not_found)?;
        let now = self.now_ms();
        let mut store = lock(&self.store);
        let record = store.get_mut(seq).ok_or_else(not_found)?;
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
            .parse_ticket(ticket)
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

/// The ticket in `...?ticket=T&...`, or the input itself.
fn ticket_of(input: &str) -> &str {
    let query = match input.split_once('?') {
        Some((_, q)) => q,
        None => return input.trim(),
    };
    query
        .split(['&', '#'])
        .find_map(|pair| pair.strip_prefix("ticket="))
        .unwrap_or_default()
}

fn plan_required() -> Refusal {
    Refusal::one(
        StatusCode::PAYMENT_REQUIRED,
        clerk_error(
            PLAN_REQUIRED_CODE,
            "feature not enabled",
            "User impersonation is not included in the current plan. Upgrade the plan to create actor tokens.",
        ),
    )
}

fn quota_exceeded(used: u64, limit: u64) -> Refusal {
    let mut error = clerk_error(
        QUOTA_EXCEEDED_CODE,
        "impersonation limit exceeded",
        format!(
            "The monthly limit of {limit} impersonations has been reached ({used} used). It resets at the start of the next month."
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
    }
}
