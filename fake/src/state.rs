//! What the fake does, independent of HTTP: create, revoke and redeem tokens under the
//! scenario's rules, and list, read, revoke and steer the sessions that redeeming creates. The
//! router and the Rust API both call into this.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_actor_tokens::raw::types::{
    ActorToken as WireToken, ActorTokenObject, CreateActorTokenBody, GetSessionListResponse,
    Session as WireSession, SessionObject,
};
use clerk_actor_tokens::{Secret, Status};
use http::StatusCode;
use serde_json::{Map, Value};

use crate::connections::Connections;
use crate::errors::{
    ALREADY_USED_CODE, CANNOT_BE_USED_CODE, REVOKED_CODE, Refusal, TICKET_INVALID_CODE, clerk_error,
};
use crate::ids::Codec;
use crate::lock::lock;
use crate::rate_limit::Limiter;
use crate::scenario::Scenario;
use crate::sessions::{SessionError, SessionRecord, SessionStore, StoredSession};
use crate::store::{Life, Record, Store};
use crate::users::Users;
use crate::validation::{CreateBodyValidator, QueryValidator};
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
/// `created_session_id` names the session it created, as in Clerk's SignIn object.
#[derive(Debug, serde::Serialize)]
pub(crate) struct SignIn<'a> {
    object: &'static str,
    status: &'static str,
    actor_token_id: &'a str,
    user_id: &'a str,
    actor: &'a Map<String, Value>,
    session_max_duration_in_seconds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_session_id: Option<&'a str>,
}

impl<'a> SignIn<'a> {
    /// The sign-in of a token, and the session it created (gone when the session map forgot it).
    pub(crate) fn new(t: &'a StoredToken, session_id: Option<&'a str>) -> Self {
        Self {
            object: "actor_token_sign_in",
            status: "complete",
            actor_token_id: &t.id,
            user_id: &t.user_id,
            actor: &t.actor,
            session_max_duration_in_seconds: t.session_max_duration.as_secs(),
            created_session_id: session_id,
        }
    }
}

/// The filters and page of a session list, read from the query the fragment's parameters checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SessionQuery {
    pub(crate) user_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) paginated: bool,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

impl SessionQuery {
    /// From the checked parameters; refuses a list without `user_id` and `client_id` (empty
    /// counts as absent), as Clerk's server does.
    pub(crate) fn from_params(params: &Map<String, Value>) -> Result<Self, Refusal> {
        let text = |name: &str| {
            params
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        // The fragment bounds both; a negative or huge value never gets this far.
        let count = |name: &str| {
            params
                .get(name)
                .and_then(Value::as_u64)
                .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        let query = Self {
            user_id: text("user_id"),
            client_id: text("client_id"),
            status: text("status"),
            paginated: params.get("paginated") == Some(&Value::Bool(true)),
            limit: count("limit"),
            offset: count("offset"),
        };
        if query.user_id.is_none() && query.client_id.is_none() {
            return Err(Refusal::missing_session_filter());
        }
        Ok(query)
    }
}

/// A session list's answer: `{data, total_count}` with `paginated=true`, else a bare array (the
/// two forms Clerk's server answers, `sessions.HTTP.ReadAll`).
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub(crate) enum SessionList {
    Page(GetSessionListResponse),
    Bare(Vec<WireSession>),
}

/// Where sign-in urls point and where opening one redirects to.
#[derive(Clone, Debug)]
pub(crate) struct SignInConfig {
    /// The Frontend API origin of the url Clerk hands out (`https://<frontend-api>`).
    pub(crate) frontend_api: String,
    /// The application's sign-in page the accept url redirects to.
    pub(crate) sign_in_url: String,
}

/// Everything one fake instance knows.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) store: Mutex<Store>,
    pub(crate) scenario: Mutex<Scenario>,
    pub(crate) codec: Codec,
    pub(crate) validator: &'static CreateBodyValidator,
    /// `GetSessionList`'s query parameters, from the fragment.
    pub(crate) list_query: &'static QueryValidator,
    /// Sessions, created by redeeming; locked after `store` when both are needed.
    pub(crate) sessions: Mutex<SessionStore>,
    /// `http://host:port` (`https://` with TLS), where the fake listens.
    pub(crate) origin: String,
    pub(crate) sign_in: SignInConfig,
    pub(crate) users: Mutex<Users>,
    /// Whether users start in strict mode (what `reset` returns to).
    strict_users: bool,
    /// Clerk's rate limit, when the opt-in mode is on.
    pub(crate) rate_limit: Mutex<Option<Limiter>>,
    clock_offset_ms: AtomicI64,
    /// The server's connection counts and close signal; not Clerk state, so `reset` keeps it.
    pub(crate) connections: Arc<Connections>,
}

impl State {
    pub(crate) fn new(
        validators: (&'static CreateBodyValidator, &'static QueryValidator),
        origin: String,
        sign_in: SignInConfig,
        caps: (usize, usize),
        strict_users: bool,
    ) -> Self {
        let (validator, list_query) = validators;
        let (cap, session_cap) = caps;
        Self {
            store: Mutex::new(Store::new(cap)),
            scenario: Mutex::new(Scenario::default()),
            codec: Codec::new(),
            validator,
            list_query,
            sessions: Mutex::new(SessionStore::new(session_cap)),
            origin,
            sign_in,
            users: Mutex::new(Users::new(strict_users)),
            strict_users,
            rate_limit: Mutex::new(None),
            clock_offset_ms: AtomicI64::new(0),
            connections: Arc::new(Connections::new()),
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

    /// Forgets all tokens and sessions, faults, quota and plan settings, users, the rate limit
    /// and the clock's advance.
    pub(crate) fn reset(&self) {
        lock(&self.store).clear();
        lock(&self.sessions).clear();
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

    /// Redeems a ticket, or a url that carries one, once: the token becomes `accepted` and a
    /// session of its user, with its actor, starts (see the `sessions` module).
    pub(crate) fn redeem(
        &self,
        ticket_or_url: &str,
    ) -> Result<(StoredToken, StoredSession), RedeemError> {
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
        let session = SessionRecord::new(
            record.user_id(),
            record.actor_json(),
            seq,
            now,
            record.session_max_secs,
        );
        let token = self.stored(seq, record);
        // Store before sessions, the one order in which both are locked.
        let mut sessions = lock(&self.sessions);
        let (session_seq, session) = sessions.insert(session);
        let session = self.stored_session(session_seq, session, now);
        Ok((token, session))
    }

    /// The session the redemption of this token created, if the map still holds it.
    pub(crate) fn session_of_token(&self, token_id: &str) -> Option<String> {
        let token_seq = self.codec.parse_id(token_id)?;
        let sessions = lock(&self.sessions);
        sessions
            .newest_first()
            .find(|(_, r)| r.token_seq == token_seq)
            .map(|(seq, _)| self.codec.session_id(seq))
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

impl State {
    /// The wire form of a session, its status evaluated at `now`.
    fn wire_session(&self, seq: u64, record: &SessionRecord, now: i64) -> WireSession {
        WireSession {
            abandon_at: record.abandon_at,
            actor: Some(record.actor()),
            client_id: self.codec.client_id(seq),
            created_at: record.created_at,
            expire_at: record.expire_at,
            id: self.codec.session_id(seq),
            last_active_at: record.last_active_at,
            last_active_organization_id: None,
            latest_activity: None,
            object: SessionObject::Session,
            status: record.state(now).as_str().to_string(),
            tasks: None,
            updated_at: record.updated_at,
            user_id: record.user_id().to_string(),
        }
    }

    fn stored_session(&self, seq: u64, record: &SessionRecord, now: i64) -> StoredSession {
        StoredSession {
            id: self.codec.session_id(seq),
            status: record.state(now),
            user_id: record.user_id().to_string(),
            client_id: self.codec.client_id(seq),
            actor: record.actor(),
            actor_token_id: self.codec.id(record.token_seq),
            created_at: record.created_at,
            updated_at: record.updated_at,
            last_active_at: record.last_active_at,
            expire_at: record.expire_at,
            abandon_at: record.abandon_at,
        }
    }

    /// `GET /v1/sessions`: the matching sessions, newest first, one page of them.
    pub(crate) fn list_sessions(&self, query: &SessionQuery) -> SessionList {
        let now = self.now_ms();
        // A client id names exactly one session; one that is not ours matches nothing.
        let client_seq = query
            .client_id
            .as_deref()
            .map(|c| self.codec.parse_client_id(c));
        let sessions = lock(&self.sessions);
        let matching: Vec<(u64, &SessionRecord)> = sessions
            .newest_first()
            .filter(|(seq, r)| {
                query.user_id.as_deref().is_none_or(|u| r.user_id() == u)
                    && client_seq.is_none_or(|c| c == Some(*seq))
                    && query
                        .status
                        .as_deref()
                        .is_none_or(|s| r.state(now).as_str() == s)
            })
            .collect();
        let total = matching.len();
        let page: Vec<WireSession> = matching
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .map(|(seq, r)| self.wire_session(seq, r, now))
            .collect();
        if query.paginated {
            SessionList::Page(GetSessionListResponse {
                data: page,
                total_count: i64::try_from(total).unwrap_or(i64::MAX),
            })
        } else {
            SessionList::Bare(page)
        }
    }

    /// `GET /v1/sessions/{id}`.
    pub(crate) fn get_session(&self, id: &str) -> Result<WireSession, Refusal> {
        let now = self.now_ms();
        let seq = self
            .codec
            .parse_session_id(id)
            .ok_or_else(|| Refusal::unknown_session(id))?;
        let sessions = lock(&self.sessions);
        let record = sessions
            .get(seq)
            .ok_or_else(|| Refusal::unknown_session(id))?;
        Ok(self.wire_session(seq, record, now))
    }

    /// `POST /v1/sessions/{id}/revoke`: `revoked`, whatever the state was (as Clerk's server).
    pub(crate) fn revoke_session(&self, id: &str) -> Result<WireSession, Refusal> {
        let now = self.now_ms();
        let seq = self
            .codec
            .parse_session_id(id)
            .ok_or_else(|| Refusal::unknown_session(id))?;
        let mut sessions = lock(&self.sessions);
        let record = sessions
            .get_mut(seq)
            .ok_or_else(|| Refusal::unknown_session(id))?;
        record.revoke(now);
        Ok(self.wire_session(seq, record, now))
    }

    /// Every session, oldest first (statuses at the time of the call).
    pub(crate) fn sessions(&self) -> Vec<StoredSession> {
        let now = self.now_ms();
        let sessions = lock(&self.sessions);
        let mut all: Vec<StoredSession> = sessions
            .newest_first()
            .map(|(seq, r)| self.stored_session(seq, r, now))
            .collect();
        all.reverse();
        all
    }

    pub(crate) fn session(&self, id: &str) -> Option<StoredSession> {
        let now = self.now_ms();
        let seq = self.codec.parse_session_id(id)?;
        let sessions = lock(&self.sessions);
        sessions.get(seq).map(|r| self.stored_session(seq, r, now))
    }

    /// Applies a session control (`touch`, `end`, `expire`) at the fake's now.
    pub(crate) fn steer_session(
        &self,
        id: &str,
        control: impl FnOnce(&mut SessionRecord, i64) -> Result<(), SessionError>,
    ) -> Result<StoredSession, SessionError> {
        let now = self.now_ms();
        let seq = self
            .codec
            .parse_session_id(id)
            .ok_or(SessionError::Unknown)?;
        let mut sessions = lock(&self.sessions);
        let record = sessions.get_mut(seq).ok_or(SessionError::Unknown)?;
        control(record, now)?;
        Ok(self.stored_session(seq, record, now))
    }

    /// How many sessions are held, and how many were forgotten because the map was full.
    pub(crate) fn session_counts(&self) -> (usize, u64) {
        let sessions = lock(&self.sessions);
        (sessions.len(), sessions.evicted())
    }
}

/// The answer to a session control that was refused: 404 for an unknown id, 400 for a session
/// whose state does not allow the action.
pub(crate) fn session_refusal(id: &str, action: &str, error: SessionError) -> Refusal {
    match error {
        SessionError::Unknown => Refusal::unknown_session(id),
        SessionError::NotActive(_) => Refusal::invalid_action_for_session(id, action),
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
    use super::*;
    use crate::validation::fragment_schema;
    use serde_json::json;

    fn state() -> State {
        let sign_in = SignInConfig {
            frontend_api: "http://fake".into(),
            sign_in_url: "http://fake/sign-in".into(),
        };
        State::new(
            (
                CreateBodyValidator::shared().unwrap(),
                QueryValidator::session_list().unwrap(),
            ),
            "http://fake".into(),
            sign_in,
            (10, 10),
            false,
        )
    }

    /// A session opened from a token of `user` with a custom actor claim.
    fn open(state: &State, user: &str) -> StoredSession {
        let body = state
            .validator
            .parse(
                json!({"user_id": user, "actor": {"sub": "user_admin", "reason": "x"}})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap();
        let token = state.create(body).unwrap();
        state.redeem(token.token.unwrap().expose()).unwrap().1
    }

    fn query(user: &str, paginated: bool) -> SessionQuery {
        SessionQuery {
            user_id: Some(user.into()),
            paginated,
            limit: 10,
            ..SessionQuery::default()
        }
    }

    /// Every answer of the session endpoints, in every state the fake produces, fits the
    /// fragment's schemas: the Session schema, the paginated list, and the bare array item by
    /// item (the fragment describes only the paginated form, see its `x-local-deviations`).
    #[test]
    fn session_answers_match_the_fragment_in_every_state() {
        let session = fragment_schema("/components/schemas/Session");
        let page =
            fragment_schema("/components/responses/Session.List/content/application~1json/schema");
        assert!(
            !session.is_valid(&json!({"object": "session"})),
            "the schema checks"
        );
        let state = state();
        let ids: Vec<String> = (0..5).map(|_| open(&state, "user_1").id).collect();
        state.steer_session(&ids[1], |s, now| s.end(now)).unwrap();
        state
            .steer_session(&ids[2], |s, now| s.expire(now))
            .unwrap();
        state.revoke_session(&ids[3]).unwrap();
        state.steer_session(&ids[4], |s, now| s.touch(now)).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for id in &ids {
            let answer = serde_json::to_value(state.get_session(id).unwrap()).unwrap();
            assert!(session.is_valid(&answer), "{answer}");
            assert_eq!(answer["actor"], json!({"sub": "user_admin", "reason": "x"}));
            seen.insert(answer["status"].as_str().unwrap().to_string());
        }
        state.advance_clock(Duration::from_secs(11 * 60));
        let abandoned = serde_json::to_value(state.get_session(&ids[0]).unwrap()).unwrap();
        assert!(session.is_valid(&abandoned), "{abandoned}");
        seen.insert(abandoned["status"].as_str().unwrap().to_string());
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            ["abandoned", "active", "ended", "expired", "revoked"]
        );
        let paged = serde_json::to_value(state.list_sessions(&query("user_1", true))).unwrap();
        assert!(page.is_valid(&paged), "{paged}");
        assert_eq!(paged["total_count"], 5);
        let bare = serde_json::to_value(state.list_sessions(&query("user_1", false))).unwrap();
        let items = bare.as_array().unwrap();
        assert_eq!(items.len(), 5);
        assert!(items.iter().all(|s| session.is_valid(s)));
        let nobody = serde_json::to_value(state.list_sessions(&query("user_2", true))).unwrap();
        assert!(page.is_valid(&nobody));
        assert_eq!(nobody, json!({"data": [], "total_count": 0}));
    }

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
