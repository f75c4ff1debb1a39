//! Sessions as a support tool reads them: opening an actor token's url creates an ordinary
//! session of the user whose `actor` is set, and revoking that session is the only way to end an
//! impersonation early.

use std::fmt;

use crate::model::Actor;
use crate::raw::types as wire;

/// Where a session is in its life, as Clerk reports it.
///
/// Clerk may add states later; those arrive as [`SessionStatus::Other`] instead of failing the
/// response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionStatus {
    /// Signed in and usable.
    Active,
    /// Ended by a revoke (ours, or the dashboard's).
    Revoked,
    /// Ended by signing out.
    Ended,
    /// Past its maximum lifetime.
    Expired,
    /// Removed from its client.
    Removed,
    /// No activity for too long (ten minutes for an impersonation).
    Abandoned,
    /// Replaced by another session of the same client.
    Replaced,
    /// Waiting for a sign-in step to complete.
    Pending,
    /// A state this version of the SDK does not know, as Clerk sent it.
    Other(String),
}

impl SessionStatus {
    /// The wire value, e.g. `"active"`.
    pub fn as_str(&self) -> &str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Revoked => "revoked",
            SessionStatus::Ended => "ended",
            SessionStatus::Expired => "expired",
            SessionStatus::Removed => "removed",
            SessionStatus::Abandoned => "abandoned",
            SessionStatus::Replaced => "replaced",
            SessionStatus::Pending => "pending",
            SessionStatus::Other(s) => s,
        }
    }
}

impl From<&str> for SessionStatus {
    fn from(value: &str) -> Self {
        match value {
            "active" => SessionStatus::Active,
            "revoked" => SessionStatus::Revoked,
            "ended" => SessionStatus::Ended,
            "expired" => SessionStatus::Expired,
            "removed" => SessionStatus::Removed,
            "abandoned" => SessionStatus::Abandoned,
            "replaced" => SessionStatus::Replaced,
            "pending" => SessionStatus::Pending,
            other => SessionStatus::Other(other.to_string()),
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A session as Clerk returned it, with what a support tool needs. Times are Unix milliseconds.
///
/// ```
/// use clerk_actor_tokens::Session;
///
/// let session: Session = serde_json::from_value(serde_json::json!({
///     "id": "sess_1", "user_id": "user_1", "client_id": "client_1", "status": "active",
///     "actor": {"sub": "user_admin"}, "last_active_at": 1, "expire_at": 2, "abandon_at": 3,
///     "created_at": 1, "updated_at": 1
/// }))?;
/// assert!(session.is_impersonation() && session.is_active());
/// assert_eq!(session.actor_sub(), Some("user_admin"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Session {
    id: String,
    user_id: String,
    client_id: String,
    #[serde(with = "status_serde")]
    #[cfg_attr(feature = "schemars", schemars(with = "SessionStatusSchema"))]
    status: SessionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actor: Option<Actor>,
    last_active_at: i64,
    expire_at: i64,
    abandon_at: i64,
    created_at: i64,
    updated_at: i64,
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    trace_id: Option<String>,
}

/// The schema of a session's `status` on the wire: an open string.
#[cfg(feature = "schemars")]
struct SessionStatusSchema;

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for SessionStatusSchema {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SessionStatus".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "active, revoked, ended, expired, removed, abandoned, replaced or pending; later Clerk versions may add values"
        })
    }
}

mod status_serde {
    use super::SessionStatus;

    pub fn serialize<S: serde::Serializer>(s: &SessionStatus, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.as_str())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(de: D) -> Result<SessionStatus, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(de)?;
        Ok(SessionStatus::from(s.as_ref()))
    }
}

impl Session {
    /// `sess_...`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The user signed in (the impersonated user, for an impersonation).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The client (browser or device) the session belongs to.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Where the session is in its life.
    pub fn status(&self) -> &SessionStatus {
        &self.status
    }

    /// Whether it is still usable.
    pub fn is_active(&self) -> bool {
        self.status == SessionStatus::Active
    }

    /// Who acts as the user, when the session is an impersonation.
    pub fn actor(&self) -> Option<&Actor> {
        self.actor.as_ref()
    }

    /// Whether someone acts as the user in this session: its `actor` is set. (Clerk's agent tasks
    /// set it too; [`Self::actor_sub`] says who.)
    pub fn is_impersonation(&self) -> bool {
        self.actor.is_some()
    }

    /// The actor's user id, for an impersonation.
    pub fn actor_sub(&self) -> Option<&str> {
        self.actor.as_ref().map(Actor::sub)
    }

    /// The last activity.
    pub fn last_active_at(&self) -> i64 {
        self.last_active_at
    }

    /// When the session ends at the latest.
    pub fn expire_at(&self) -> i64 {
        self.expire_at
    }

    /// When it is abandoned unless there is activity before.
    pub fn abandon_at(&self) -> i64 {
        self.abandon_at
    }

    /// When it was created.
    pub fn created_at(&self) -> i64 {
        self.created_at
    }

    /// When it last changed.
    pub fn updated_at(&self) -> i64 {
        self.updated_at
    }

    /// Clerk's trace id of the answer that carried it (the `X-Clerk-Trace-Id` header), if sent.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    pub(crate) fn set_trace_id(&mut self, trace_id: Option<String>) {
        self.trace_id = trace_id;
    }
}

impl From<wire::Session> for Session {
    fn from(s: wire::Session) -> Self {
        Self {
            status: SessionStatus::from(s.status.as_str()),
            id: s.id,
            user_id: s.user_id,
            client_id: s.client_id,
            actor: s.actor.map(Actor::from_object),
            last_active_at: s.last_active_at,
            expire_at: s.expire_at,
            abandon_at: s.abandon_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
            trace_id: None,
        }
    }
}

/// The wire shape of a session, for tools that answer as Clerk does (the typed httpmock mocks:
/// `then.ok(&session.into())`).
impl From<Session> for wire::Session {
    fn from(s: Session) -> Self {
        Self {
            abandon_at: s.abandon_at,
            actor: s.actor.map(Actor::into_object),
            client_id: s.client_id,
            created_at: s.created_at,
            expire_at: s.expire_at,
            id: s.id,
            last_active_at: s.last_active_at,
            last_active_organization_id: None,
            latest_activity: None,
            object: wire::SessionObject::Session,
            status: s.status.as_str().to_string(),
            tasks: None,
            updated_at: s.updated_at,
            user_id: s.user_id,
        }
    }
}

/// One page of a session list, and how many sessions match over all pages.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionPage {
    sessions: Vec<Session>,
    total_count: u64,
    trace_id: Option<String>,
}

impl SessionPage {
    /// The sessions of this page, newest first.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// The sessions, owned.
    pub fn into_sessions(self) -> Vec<Session> {
        self.sessions
    }

    /// How many sessions match the filters, over all pages.
    pub fn total_count(&self) -> u64 {
        self.total_count
    }

    /// Clerk's trace id of the answer, if sent.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    pub(crate) fn set_trace_id(&mut self, trace_id: Option<String>) {
        self.trace_id = trace_id;
    }
}

impl From<wire::GetSessionListResponse> for SessionPage {
    fn from(page: wire::GetSessionListResponse) -> Self {
        Self {
            sessions: page.data.into_iter().map(Session::from).collect(),
            // A negative count is no count.
            total_count: u64::try_from(page.total_count).unwrap_or(0),
            trace_id: None,
        }
    }
}

/// The wire shape of a page, for the typed mocks.
impl From<SessionPage> for wire::GetSessionListResponse {
    fn from(page: SessionPage) -> Self {
        Self {
            total_count: i64::try_from(page.total_count).unwrap_or(i64::MAX),
            data: page.sessions.into_iter().map(wire::Session::from).collect(),
        }
    }
}

impl SessionPage {
    /// A page, for tests and for tools that answer as Clerk does.
    pub fn new(sessions: Vec<Session>, total_count: u64) -> Self {
        Self {
            sessions,
            total_count,
            trace_id: None,
        }
    }
}

/// Builds a [`Session`] for unit tests (feature `test-util`).
///
/// ```
/// # #[cfg(feature = "test-util")] {
/// use clerk_actor_tokens::{Actor, Session, SessionStatus};
///
/// let session = Session::builder("sess_1", "user_1")
///     .actor(Actor::new("user_admin"))
///     .expire_at(1_700_001_800_000)
///     .build();
/// assert!(session.is_impersonation() && session.is_active());
/// assert_eq!(session.expire_at(), 1_700_001_800_000);
/// let ended = Session::builder("sess_2", "user_1").status(SessionStatus::Revoked).build();
/// assert!(!ended.is_active() && !ended.is_impersonation());
/// # }
/// ```
#[cfg(feature = "test-util")]
#[derive(Clone, Debug)]
#[must_use]
pub struct SessionBuilder {
    session: Session,
}

#[cfg(feature = "test-util")]
impl Session {
    /// A builder for an `active` session of `user_id` with no actor, client `client_1` and every
    /// time at Unix time 0 until set (feature `test-util`).
    pub fn builder(id: impl Into<String>, user_id: impl Into<String>) -> SessionBuilder {
        SessionBuilder {
            session: Session {
                id: id.into(),
                user_id: user_id.into(),
                client_id: "client_1".into(),
                status: SessionStatus::Active,
                actor: None,
                last_active_at: 0,
                expire_at: 0,
                abandon_at: 0,
                created_at: 0,
                updated_at: 0,
                trace_id: None,
            },
        }
    }
}

#[cfg(feature = "test-util")]
impl SessionBuilder {
    /// The state (default `active`).
    pub fn status(mut self, status: SessionStatus) -> Self {
        self.session.status = status;
        self
    }

    /// Who acts as the user: makes it an impersonation.
    pub fn actor(mut self, actor: Actor) -> Self {
        self.session.actor = Some(actor);
        self
    }

    /// The client.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.session.client_id = client_id.into();
        self
    }

    /// The last activity (Unix ms).
    pub fn last_active_at(mut self, unix_ms: i64) -> Self {
        self.session.last_active_at = unix_ms;
        self
    }

    /// The latest end (Unix ms).
    pub fn expire_at(mut self, unix_ms: i64) -> Self {
        self.session.expire_at = unix_ms;
        self
    }

    /// When it is abandoned without activity (Unix ms).
    pub fn abandon_at(mut self, unix_ms: i64) -> Self {
        self.session.abandon_at = unix_ms;
        self
    }

    /// Clerk's trace id of the answer.
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.session.trace_id = Some(trace_id.into());
        self
    }

    /// The session.
    pub fn build(self) -> Session {
        self.session
    }
}
