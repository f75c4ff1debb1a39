//! A string that must not leak: the secret key, an actor token's `token` and its sign-in `url`.

use std::fmt;

/// What `Debug` and `Display` print instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// Whether `key` has the shape of a Clerk secret key: `sk_test_` or `sk_live_`, then one or more
/// printable ASCII characters. The SDK refuses any other key before sending it (a
/// `ConfigError::InvalidSecretKey`), and the fake answers 401 `clerk_key_invalid` to one, so both
/// apply exactly this rule.
///
/// ```
/// use clerk_actor_tokens::looks_like_secret_key;
///
/// assert!(looks_like_secret_key("sk_test_abc"));
/// assert!(!looks_like_secret_key("sk_test_"));
/// assert!(!looks_like_secret_key("pk_live_abc"));
/// assert!(!looks_like_secret_key("sk_live_a b"));
/// ```
pub fn looks_like_secret_key(key: &str) -> bool {
    key.strip_prefix("sk_test_")
        .or_else(|| key.strip_prefix("sk_live_"))
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_graphic()))
}

/// A credential that prints as `[redacted]`; read it with [`Secret::expose`].
///
/// Serialization (serde) writes the real value, because that is how it travels on the wire and how
/// callers store it on purpose; logging it with `{:?}` or `{}` never does.
///
/// ```
/// use clerk_actor_tokens::Secret;
///
/// let url = Secret::new("https://example.accounts.dev/v1/tickets/accept?ticket=abc");
/// assert_eq!(format!("{url:?} {url}"), "[redacted] [redacted]");
/// assert!(url.expose().ends_with("ticket=abc"));
/// ```
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Call it only where the value must leave the process.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}
