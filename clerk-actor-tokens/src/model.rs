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
}

impl Actor {
    /// An actor identified by its Clerk user id.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            sub: sub.into(),
            claims: Map::new(),
        }
    }

    /// Adds an extra claim. A claim named `sub` is ignored: the actor's id is set by [`Actor::new`].
    pub fn claim(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        if key != "sub" {
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

    pub(crate) fn into_wire(self) -> wire::CreateActorTokenBodyActor {
        wire::CreateActorTokenBodyActor {
            sub: self.sub,
            extra: self.claims,
        }
    }

    fn from_object(mut object: Map<String, Value>) -> Self {
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
        }
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
/// same JSON shape Clerk uses, secrets included.
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
        }
    }
}
