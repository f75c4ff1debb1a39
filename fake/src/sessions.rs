//! Sessions: what opening an actor token's url creates, how each one moves through its states on
//! the fake's clock, and the bounded map that holds them. HTTP and ids are the router's and
//! `state`'s; this module knows only records and time.
//!
//! What a session is, and where each fact comes from (see also the `errors` table):
//! - Opening a token's url signs the browser in and creates an ordinary session of the token's
//!   user whose `actor` is the token's actor object (clerk/clerk-docs
//!   `docs/guides/users/impersonation.mdx`; server `sessions.Service.Create`, which copies the
//!   token's actor into the session). Each url opened is a new browser, so each session has a
//!   client of its own.
//! - It ends at the latest `session_max_duration_in_seconds` after it started (`expire_at`;
//!   server `sessions.Service.Create`), and after ten minutes without activity
//!   ([`INACTIVITY_TIMEOUT`]; impersonation.mdx, clerk-docs pull request 3498, server
//!   `SessionInactivityTimeout = ExpiryTimeTransactional` for actor sessions).
//! - States are Clerk's `Session.status` values (Clerk's spec): `active` until `revoked` (the
//!   Backend API's revoke), `ended` (the user signed out: a control here), `expired` (past
//!   `expire_at`) or `abandoned` (past `abandon_at` without activity). Like Clerk's server
//!   (`serialize.SessionToServerAPI` computes the status with the clock), expiry and abandonment
//!   are not stored: they follow from the clock whenever a session is read, so
//!   `FakeClerk::advance_clock` moves sessions along without any background task.
//! - Our choice where Clerk's data model differs: Clerk keeps the instance's time-to-abandon in
//!   `abandon_at` and the ten-minute timeout in a field its API does not show; the fake shows the
//!   timeout as `abandon_at` (last activity plus ten minutes, never past `expire_at`), so that a
//!   client can see when an idle impersonation ends. Which status a timed-out impersonation shows
//!   in Clerk is not public; the fake says `abandoned`.
//!
//! Memory is bounded by a simple map with a cap (default [`crate::DEFAULT_MAX_SESSIONS`]): when it
//! is full, the oldest session is forgotten (its id then answers 404, as one that never existed).
//! Sessions are made only by redemptions, each needing a token, so they are far fewer than tokens;
//! the oldest is also the one most likely over, which is why the token store's expiry index is not
//! repeated here.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

/// How long an impersonation session stays active without activity (Clerk's impersonation
/// inactivity timeout, ten minutes; sources in the module docs).
pub const INACTIVITY_TIMEOUT: Duration = Duration::from_secs(10 * 60);

const INACTIVITY_TIMEOUT_MS: i64 = 10 * 60 * 1000;

/// Where a session of the fake is in its life: the `status` Clerk reports, among the states the
/// fake produces (Clerk's spec lists more: `removed`, `replaced`, `pending`, which no flow of the
/// fake reaches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionState {
    /// Signed in: not revoked, ended, expired or abandoned.
    Active,
    /// Ended by the Backend API's revoke.
    Revoked,
    /// Ended by signing out (the fake's `end` control).
    Ended,
    /// Past `expire_at`, its maximum lifetime.
    Expired,
    /// Past `abandon_at`: no activity for [`INACTIVITY_TIMEOUT`].
    Abandoned,
}

impl SessionState {
    /// The wire value, e.g. `"active"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Active => "active",
            SessionState::Revoked => "revoked",
            SessionState::Ended => "ended",
            SessionState::Expired => "expired",
            SessionState::Abandoned => "abandoned",
        }
    }
}

impl std::fmt::Display for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session as the fake holds it, for tests to inspect. Times are Unix milliseconds on the
/// fake's clock; `status` is evaluated when the view is taken.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StoredSession {
    /// `sess_...`
    pub id: String,
    /// The state at the time of reading.
    pub status: SessionState,
    /// The signed-in (impersonated) user.
    pub user_id: String,
    /// `client_...`: the browser that opened the url.
    pub client_id: String,
    /// The token's actor object (`sub` and any extra claims).
    pub actor: Map<String, Value>,
    /// The actor token whose url created the session (not part of Clerk's session object).
    pub actor_token_id: String,
    /// When the url was opened.
    pub created_at: i64,
    /// The last change (touch, revoke, end, expire).
    pub updated_at: i64,
    /// The last activity.
    pub last_active_at: i64,
    /// When it ends at the latest: created plus the token's `session_max_duration_in_seconds`.
    pub expire_at: i64,
    /// When it is abandoned without activity: last activity plus [`INACTIVITY_TIMEOUT`], never
    /// past `expire_at`.
    pub abandon_at: i64,
}

/// Why a session control was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// No session has this id (never issued, or forgotten because the map was full).
    #[error("no session has this id")]
    Unknown,
    /// Only an active session can be touched, ended or expired; this one is over.
    #[error("the session is {0}, not active")]
    NotActive(SessionState),
}

/// What was done to a session; expiry and abandonment are not stored but follow from the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Open,
    Revoked,
    Ended,
}

/// One session.
#[derive(Clone, Debug)]
pub(crate) struct SessionRecord {
    user_id: Box<str>,
    actor_json: Box<str>,
    /// The sequence number of the token whose url created it.
    pub(crate) token_seq: u64,
    ending: Ending,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) last_active_at: i64,
    pub(crate) expire_at: i64,
    pub(crate) abandon_at: i64,
}

impl SessionRecord {
    /// A session opened at `now` by the token `token_seq`, lasting at most `max_secs`.
    pub(crate) fn new(
        user_id: &str,
        actor_json: &str,
        token_seq: u64,
        now: i64,
        max_secs: u64,
    ) -> Self {
        let max_ms = i64::try_from(max_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let expire_at = now.saturating_add(max_ms);
        Self {
            user_id: user_id.into(),
            actor_json: actor_json.into(),
            token_seq,
            ending: Ending::Open,
            created_at: now,
            updated_at: now,
            last_active_at: now,
            expire_at,
            abandon_at: now.saturating_add(INACTIVITY_TIMEOUT_MS).min(expire_at),
        }
    }

    pub(crate) fn user_id(&self) -> &str {
        &self.user_id
    }

    pub(crate) fn actor(&self) -> Map<String, Value> {
        serde_json::from_str(&self.actor_json).unwrap_or_default()
    }

    /// The state at `now`. A revoke or an end is final; otherwise whichever of abandonment and
    /// expiry came first (expiry when they coincide: `abandon_at` is capped at `expire_at`).
    pub(crate) fn state(&self, now: i64) -> SessionState {
        match self.ending {
            Ending::Revoked => SessionState::Revoked,
            Ending::Ended => SessionState::Ended,
            Ending::Open if now >= self.abandon_at && self.abandon_at < self.expire_at => {
                SessionState::Abandoned
            }
            Ending::Open if now >= self.expire_at => SessionState::Expired,
            Ending::Open => SessionState::Active,
        }
    }

    fn active(&self, now: i64) -> Result<(), SessionError> {
        match self.state(now) {
            SessionState::Active => Ok(()),
            other => Err(SessionError::NotActive(other)),
        }
    }

    /// Revokes it, whatever its state, as Clerk's server does (`sessions.Service.Revoke` sets the
    /// status without looking at the old one).
    pub(crate) fn revoke(&mut self, now: i64) {
        self.ending = Ending::Revoked;
        self.updated_at = now;
    }

    /// Activity: postpones abandonment by [`INACTIVITY_TIMEOUT`], never past `expire_at`.
    pub(crate) fn touch(&mut self, now: i64) -> Result<(), SessionError> {
        self.active(now)?;
        self.last_active_at = now;
        self.abandon_at = now
            .saturating_add(INACTIVITY_TIMEOUT_MS)
            .min(self.expire_at);
        self.updated_at = now;
        Ok(())
    }

    /// The user signs out.
    pub(crate) fn end(&mut self, now: i64) -> Result<(), SessionError> {
        self.active(now)?;
        self.ending = Ending::Ended;
        self.updated_at = now;
        Ok(())
    }

    /// Reaches its maximum lifetime now: `expire_at` (and `abandon_at` with it) become now.
    pub(crate) fn expire(&mut self, now: i64) -> Result<(), SessionError> {
        self.active(now)?;
        self.expire_at = now;
        self.abandon_at = self.abandon_at.min(now);
        self.updated_at = now;
        Ok(())
    }
}

/// The sessions of one fake instance, by sequence number (which is creation order).
#[derive(Debug)]
pub(crate) struct SessionStore {
    records: BTreeMap<u64, SessionRecord>,
    next_seq: u64,
    cap: usize,
    evicted: u64,
}

impl SessionStore {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            records: BTreeMap::new(),
            next_seq: 0,
            cap: cap.max(1),
            evicted: 0,
        }
    }

    /// Stores a session, forgetting the oldest when full, and returns it with its sequence
    /// number.
    pub(crate) fn insert(&mut self, record: SessionRecord) -> (u64, &SessionRecord) {
        while self.records.len() >= self.cap {
            if self.records.pop_first().is_none() {
                break;
            }
            self.evicted += 1;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        (seq, self.records.entry(seq).or_insert(record))
    }

    pub(crate) fn get(&self, seq: u64) -> Option<&SessionRecord> {
        self.records.get(&seq)
    }

    pub(crate) fn get_mut(&mut self, seq: u64) -> Option<&mut SessionRecord> {
        self.records.get_mut(&seq)
    }

    /// Every session, newest first.
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = (u64, &SessionRecord)> {
        self.records.iter().rev().map(|(&seq, r)| (seq, r))
    }

    /// Forgets every session. Sequence numbers keep counting, so no id is ever issued twice.
    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn session(now: i64, max_secs: u64) -> SessionRecord {
        SessionRecord::new("user_1", r#"{"sub":"user_admin"}"#, 7, now, max_secs)
    }

    #[test]
    fn a_new_session_is_active_until_idle_for_ten_minutes() {
        let s = session(0, 1800);
        assert_eq!((s.expire_at, s.abandon_at), (30 * MIN, 10 * MIN));
        assert_eq!(s.state(10 * MIN - 1), SessionState::Active);
        assert_eq!(s.state(10 * MIN), SessionState::Abandoned);
        assert_eq!(
            s.state(40 * MIN),
            SessionState::Abandoned,
            "abandoned first"
        );
        assert_eq!(s.actor()["sub"], "user_admin");
    }

    #[test]
    fn touching_postpones_abandonment_up_to_the_maximum_lifetime() {
        let mut s = session(0, 1800);
        s.touch(9 * MIN).unwrap();
        assert_eq!((s.last_active_at, s.abandon_at), (9 * MIN, 19 * MIN));
        s.touch(25 * MIN).unwrap_err(); // abandoned at 19 minutes
        let mut s = session(0, 1800);
        for minute in [9, 18, 27] {
            s.touch(minute * MIN).unwrap();
        }
        assert_eq!(s.abandon_at, 30 * MIN, "never past expire_at");
        assert_eq!(s.state(30 * MIN), SessionState::Expired);
    }

    #[test]
    fn a_short_session_expires_before_it_is_abandoned() {
        let s = session(0, 60);
        assert_eq!(s.abandon_at, s.expire_at);
        assert_eq!(s.state(MIN - 1), SessionState::Active);
        assert_eq!(s.state(MIN), SessionState::Expired);
        let forever = session(0, u64::MAX);
        assert_eq!(forever.expire_at, i64::MAX);
    }

    #[test]
    fn revoke_is_final_and_allowed_in_any_state_the_controls_are_not() {
        let mut s = session(0, 1800);
        s.end(MIN).unwrap();
        assert_eq!(s.state(MIN), SessionState::Ended);
        assert_eq!(
            s.touch(2 * MIN),
            Err(SessionError::NotActive(SessionState::Ended))
        );
        s.revoke(3 * MIN);
        assert_eq!(
            (s.state(3 * MIN), s.updated_at),
            (SessionState::Revoked, 3 * MIN)
        );
        let mut s = session(0, 1800);
        s.expire(5 * MIN).unwrap();
        assert_eq!((s.expire_at, s.abandon_at), (5 * MIN, 5 * MIN));
        assert_eq!(s.state(5 * MIN), SessionState::Expired);
        assert!(s.end(5 * MIN).is_err() && s.expire(5 * MIN).is_err());
    }

    #[test]
    fn a_full_store_forgets_the_oldest_and_never_reuses_a_number() {
        let mut store = SessionStore::new(2);
        let seqs: Vec<u64> = (0..4).map(|i| store.insert(session(i, 60)).0).collect();
        assert_eq!(seqs, [0, 1, 2, 3]);
        assert_eq!(store.len(), 2);
        assert_eq!(store.evicted(), 2);
        assert!(store.get(1).is_none() && store.get(2).is_some());
        let order: Vec<u64> = store.newest_first().map(|(s, _)| s).collect();
        assert_eq!(order, [3, 2]);
        store.clear();
        assert_eq!(store.insert(session(9, 60)).0, 4);
    }
}
