//! The request and response types of the public API.

use std::fmt;

use serde_json::{Map, Value};

use crate::raw::types as wire;
use crate::secret::Secret;

/// Who impersonates: the actor's user id (`sub`) and optional extra claims.
///
/// Clerk copies the whole object into the `act` claim of the session token, so extra claims are
/// a good place for an audit reason or a ticket number.
///
/// ```
/// use clerk_actor_tokens::Actor;
///
/// let actor = Actor::new("user_2admin").claim("reason", "ticket 4411");
/// assert_eq!(actor.sub(), "user_2admin");
/// assert_eq!(actor.claims()["reason"], "ticket 4411");
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Actor {
    sub: String,
    #[serde(flatten)]
    claims: Map<String, Value>,
    /// Set when `claim("sub", ..)` was called: the create call refuses such an actor rather than
    /// send a `sub` the caller did not mean.
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    sub_claim_given: bool,
}

impl Actor {
    /// An actor identified by its Clerk user id.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            claims: Map::new(),
            sub_claim_given: false,
        }
    }

    /// Adds an extra claim (a later value for the same key replaces the earlier one).
    ///
    /// `sub` is not an extra claim: the actor's id is set by [`Actor::new`] only. A claim named
    /// `sub` is not stored, and creating a token for such an actor is refused before anything is
    /// sent ([`crate::InputError::ReservedClaim`]), so a mistaken id never goes out silently.
    ///
    /// ```
    /// use clerk_actor_tokens::Actor;
    ///
    /// let actor = Actor::new("user_2admin").claim("sub", "user_other");
    /// assert_eq!(actor.sub(), "user_2admin");
    /// assert!(actor.claims().get("sub").is_none()); // and `create` refuses this actor
    /// ```
    pub fn claim(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        if key == "sub" {
            self.sub_claim_given = true;
        } else {
            self.claims.insert(key, value.into());
        }
        self
    }

    /// The actor's user id.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// The extra claims (everything but `sub`).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Whether `claim("sub", ..)` was called (see [`Actor::claim`]).
    pub(crate) fn sub_claim_given(&self) -> bool {
        self.sub_claim_given
    }

    pub(crate) fn into_wire(self) -> wire::CreateActorTokenBodyActor {
        wire::CreateActorTokenBodyActor {
            sub: self.sub,
            extra: self.claims,
        }
    }

    pub(crate) fn from_object(mut object: Map<String, Value>) -> Self {
        // The usual answer holds a string `sub` alone: take it without hashing the key or
        // keeping the emptied map's allocation.
        if object.len() == 1 {
            let mut entries = object.into_iter();
            match entries.next() {
                Some((key, Value::String(sub))) if key == "sub" => return Self::new(sub),
                Some((key, value)) => object = Map::from_iter([(key, value)]),
                None => object = Map::new(),
            }
        }
        let sub = match object.remove("sub") {
            Some(Value::String(s)) => s,
            Some(other) => {
                // Keep an unexpected shape visible instead of dropping it.
                object.insert("sub".into(), other);
                String::new()
            }
            None => String::new(),
        };
        Self {
            sub,
            claims: object,
            sub_claim_given: false,
        }
    }

    pub(crate) fn into_object(self) -> Map<String, Value> {
        let mut object = Map::with_capacity(self.claims.len() + 1);
        object.insert("sub".into(), Value::String(self.sub));
        object.extend(self.claims);
        object
    }
}

/// Where an actor token is in its life.
///
/// Clerk may add states later; those arrive as [`Status::Other`] instead of failing the response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Created and not used yet; the only state that can be revoked.
    Pending,
    /// Used to sign in; cannot be used or revoked again.
    Accepted,
    /// Revoked before use.
    Revoked,
    /// A state this version of the SDK does not know, as Clerk sent it.
    Other(String),
}

impl Status {
    /// The wire value, e.g. `"pending"`.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Pending => "pending",
            Status::Accepted => "accepted",
            Status::Revoked => "revoked",
            Status::Other(s) => s,
        }
    }
}

impl From<&str> for Status {
    fn from(value: &str) -> Self {
        match value {
            "pending" => Status::Pending,
            "accepted" => Status::Accepted,
            "revoked" => Status::Revoked,
            other => Status::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Status::from(s.as_ref()))
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Status {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ActorTokenStatus".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "pending, accepted or revoked; later Clerk versions may add values"
        })
    }
}

/// An actor token as Clerk returned it.
///
/// `token` and `url` are present only in the response to a create; they are [`Secret`]s because
/// whoever holds them can sign in as the user. Serializing an `ActorToken` (serde) writes the
/// same JSON shape Clerk uses, secrets included; what the SDK adds from outside the body
/// ([`Self::trace_id`], [`Self::expires_at`]) is not serialized.
///
/// With the `test-util` feature, `ActorToken::builder` makes one for unit tests.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ActorToken {
    id: String,
    status: Status,
    user_id: String,
    actor: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<Secret>,
    created_at: i64,
    updated_at: i64,
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    trace_id: Option<String>,
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    expires_at: Option<i64>,
}

impl ActorToken {
    /// The token's id (`act_...`), needed to revoke it; Clerk has no endpoint to look it up later.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The current state.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The impersonated user's id.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Who impersonates, with the extra claims.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The sign-in ticket, if this response carried it.
    pub fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    /// The one-time sign-in url, if this response carried it.
    pub fn url(&self) -> Option<&Secret> {
        self.url.as_ref()
    }

    /// Creation time, Unix milliseconds.
    pub fn created_at(&self) -> i64 {
        self.created_at
    }

    /// Time of the last change, Unix milliseconds.
    pub fn updated_at(&self) -> i64 {
        self.updated_at
    }

    /// Clerk's trace id of the response this token came in (the `Clerk-Trace-Id` header, else
    /// Cloudflare's `cf-ray`), so that an audit record can point at Clerk's own record of the
    /// call. `None` when the response carried neither.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// When the token stops being redeemable, Unix milliseconds: `created_at` plus the
    /// `expires_in` of the create request (Clerk's default of one hour when none was set).
    /// Clerk's response does not carry the expiry, so it is known only for a token this client
    /// created; `None` for a revoke response.
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_at
    }

    /// Sets [`Self::trace_id`] from the answer's headers.
    pub(crate) fn set_trace_id(&mut self, trace_id: Option<String>) {
        self.trace_id = trace_id;
    }

    /// Sets [`Self::expires_at`] from the `expires_in_seconds` the create request sent.
    pub(crate) fn set_expires_in(&mut self, expires_in_seconds: u64) {
        let ms = i64::try_from(expires_in_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        self.expires_at = Some(self.created_at.saturating_add(ms));
    }
}

impl From<wire::ActorToken> for ActorToken {
    fn from(t: wire::ActorToken) -> Self {
        Self {
            id: t.id,
            status: Status::from(t.status.as_str()),
            user_id: t.user_id,
            actor: Actor::from_object(t.actor),
            token: t.token,
            url: t.url,
            created_at: t.created_at,
            updated_at: t.updated_at,
            trace_id: None,
            expires_at: None,
        }
    }
}

/// The wire shape of a token, for tools that answer as Clerk does: the typed httpmock mocks
/// (`then.ok(&token.into())`) or a fake server.
///
/// ```
/// use clerk_actor_tokens::{raw, ActorToken};
///
/// let token: ActorToken = serde_json::from_value(serde_json::json!({
///     "object": "actor_token", "id": "act_1", "status": "pending", "user_id": "user_1",
///     "actor": {"sub": "user_admin"}, "created_at": 1, "updated_at": 1
/// }))?;
/// let wire = raw::types::ActorToken::from(token);
/// assert_eq!(wire.actor["sub"], "user_admin");
/// assert_eq!(wire.status, "pending");
/// # Ok::<(), serde_json::Error>(())
/// ```
impl From<ActorToken> for wire::ActorToken {
    fn from(t: ActorToken) -> Self {
        Self {
            actor: t.actor.into_object(),
            created_at: t.created_at,
            id: t.id,
            object: wire::ActorTokenObject::ActorToken,
            status: t.status.as_str().to_string(),
            token: t.token,
            updated_at: t.updated_at,
            url: t.url,
            user_id: t.user_id,
        }
    }
}

/// Builds an [`ActorToken`] for unit tests of code that takes one (feature `test-util`).
///
/// ```
/// # #[cfg(feature = "test-util")] {
/// use clerk_actor_tokens::{Actor, ActorToken, Status};
///
/// let token = ActorToken::builder("act_1", "user_1", Actor::new("user_admin"))
///     .url("https://example.accounts.dev/v1/tickets/accept?ticket=t")
///     .token("t")
///     .created_at(1_700_000_000_000)
///     .expires_at(1_700_000_600_000)
///     .trace_id("trace-1")
///     .build();
/// assert_eq!(token.status(), &Status::Pending);
/// assert_eq!(token.url().unwrap().expose(), "https://example.accounts.dev/v1/tickets/accept?ticket=t");
/// assert_eq!(token.updated_at(), 1_700_000_000_000);
/// assert_eq!(token.trace_id(), Some("trace-1"));
/// # }
/// ```
#[cfg(feature = "test-util")]
#[derive(Clone, Debug)]
#[must_use]
pub struct ActorTokenBuilder {
    token: ActorToken,
    updated_at_set: bool,
}

#[cfg(feature = "test-util")]
impl ActorToken {
    /// A builder for a token as a create returns it: `pending`, no `token` or `url` until set,
    /// created and updated at Unix time 0 until set (feature `test-util`).
    pub fn builder(
        id: impl Into<String>,
        user_id: impl Into<String>,
        actor: Actor,
    ) -> ActorTokenBuilder {
        ActorTokenBuilder {
            token: ActorToken {
                id: id.into(),
                status: Status::Pending,
                user_id: user_id.into(),
                actor,
                token: None,
                url: None,
                created_at: 0,
                updated_at: 0,
                trace_id: None,
                expires_at: None,
            },
            updated_at_set: false,
        }
    }
}

#[cfg(feature = "test-util")]
impl ActorTokenBuilder {
    /// The state (default `pending`).
    pub fn status(mut self, status: Status) -> Self {
        self.token.status = status;
        self
    }

    /// The sign-in ticket.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token.token = Some(token.into());
        self
    }

    /// The one-time sign-in url.
    pub fn url(mut self, url: impl Into<Secret>) -> Self {
        self.token.url = Some(url.into());
        self
    }

    /// Creation time, Unix milliseconds; also the update time unless [`Self::updated_at`] is set.
    pub fn created_at(mut self, unix_ms: i64) -> Self {
        self.token.created_at = unix_ms;
        if !self.updated_at_set {
            self.token.updated_at = unix_ms;
        }
        self
    }

    /// Time of the last change, Unix milliseconds.
    pub fn updated_at(mut self, unix_ms: i64) -> Self {
        self.token.updated_at = unix_ms;
        self.updated_at_set = true;
        self
    }

    /// What [`ActorToken::expires_at`] returns.
    pub fn expires_at(mut self, unix_ms: i64) -> Self {
        self.token.expires_at = Some(unix_ms);
        self
    }

    /// What [`ActorToken::trace_id`] returns.
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.token.trace_id = Some(trace_id.into());
        self
    }

    /// The token.
    pub fn build(self) -> ActorToken {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(value: Value) -> Actor {
        match value {
            Value::Object(object) => Actor::from_object(object),
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn an_answer_actor_keeps_every_claim_and_an_odd_sub_stays_visible() {
        let alone = actor(serde_json::json!({"sub": "user_a"}));
        assert_eq!((alone.sub(), alone.claims().len()), ("user_a", 0));

        let more = actor(serde_json::json!({"reason": "ticket", "sub": "user_a"}));
        assert_eq!(more.sub(), "user_a");
        assert_eq!(more.claims().len(), 1);
        assert_eq!(more.claims()["reason"], "ticket");

        // One entry that is not a string `sub`: kept as a claim, with an empty `sub`.
        let number = actor(serde_json::json!({"sub": 7}));
        assert_eq!(
            (number.sub(), number.claims()["sub"].clone()),
            ("", Value::from(7))
        );
        let other = actor(serde_json::json!({"reason": "ticket"}));
        assert_eq!(
            (other.sub(), other.claims()["reason"].clone()),
            ("", Value::from("ticket"))
        );

        let empty = actor(serde_json::json!({}));
        assert_eq!((empty.sub(), empty.claims().len()), ("", 0));
    }
}
