//! How the command fails: one line on stderr and an exit code per kind of failure, so scripts
//! can tell "fix your command" from "fix your key" from "try again later".

use std::fmt;
use std::process::ExitCode;

use clerk_actor_tokens::{ConfigError, Error};

/// The exit codes, also listed in `--help`'s README section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Clerk refused the request for another reason (400, 402, 422 other than the quota, 5xx),
    /// or the demo did not go as Clerk would.
    Refused = 1,
    /// Bad arguments or configuration (also clap's own usage errors).
    Usage = 2,
    /// The secret key is missing, malformed or rejected (401/403).
    Auth = 3,
    /// No such actor token (404).
    NotFound = 4,
    /// Rate limited (429) or the monthly impersonation quota is used up.
    RateLimited = 5,
    /// Clerk could not be reached, or did not answer in time.
    Network = 6,
    /// A create may or may not have happened (the answer was lost); not retried.
    Ambiguous = 7,
}

/// A failure of the command: what to print and how to exit.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Prints the one line and returns the exit code.
    pub fn report(&self) -> ExitCode {
        // One line, whatever the message holds.
        let line = self
            .message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        eprintln!("error: {line}");
        ExitCode::from(self.kind as u8)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let kind = kind_of(&error);
        let mut message = error.to_string();
        match kind {
            Kind::Auth if matches!(error, Error::Config(_)) => {}
            Kind::Auth => message.push_str(" (check the secret key in CLERK_SECRET_KEY or --secret-key-file)"),
            Kind::Ambiguous => message.push_str(
                " (a token may exist; it expires on its own, or create again if that is acceptable)",
            ),
            _ => {}
        }
        Failure::new(kind, message)
    }
}

fn kind_of(error: &Error) -> Kind {
    match error {
        Error::Config(
            ConfigError::MissingSecretKey { .. }
            | ConfigError::InvalidSecretKey { .. }
            | ConfigError::TokenProvider { .. },
        ) => Kind::Auth,
        Error::Config(ConfigError::HttpClient(_)) => Kind::Network,
        Error::Config(_) | Error::InvalidInput(_) => Kind::Usage,
        Error::AmbiguousOutcome(_) => Kind::Ambiguous,
        Error::Timeout { .. } | Error::Connect { .. } | Error::Transport { .. } => Kind::Network,
        e if e.is_unauthorized() => Kind::Auth,
        e if e.is_not_found() => Kind::NotFound,
        e if e.is_rate_limited() || e.is_quota_exhausted() => Kind::RateLimited,
        _ => Kind::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct() {
        let kinds = [
            Kind::Refused,
            Kind::Usage,
            Kind::Auth,
            Kind::NotFound,
            Kind::RateLimited,
            Kind::Network,
            Kind::Ambiguous,
        ];
        let codes: std::collections::BTreeSet<u8> = kinds.iter().map(|k| *k as u8).collect();
        assert_eq!(codes.len(), kinds.len());
        assert!(!codes.contains(&0));
    }

    #[test]
    fn configuration_errors_map_to_usage_or_auth() {
        let missing = Error::Config(ConfigError::MissingSecretKey {
            var: "CLERK_SECRET_KEY",
        });
        assert_eq!(Failure::from(missing).kind, Kind::Auth);
        let url = clerk_actor_tokens::Clerk::builder()
            .secret_key("sk_test_x")
            .api_url("ftp://nope")
            .build()
            .unwrap_err();
        assert_eq!(Failure::from(url).kind, Kind::Usage);
    }
}
