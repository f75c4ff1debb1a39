//! How the command fails: one line on stderr and an exit code per kind of failure, so scripts
//! can tell "fix your command" from "fix your key" from "try again later".

use std::fmt;
use std::process::ExitCode;

use clerk_actor_tokens::{ConfigError, Error};

/// The exit codes (0 is success). `--help` lists them from [`Kind::ALL`] and [`Kind::meaning`].
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
    /// A create named a user the instance does not have (404 or 422; see
    /// `Error::is_user_not_found`): not "no such actor token", which a script would handle
    /// differently.
    UnknownUser = 8,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 8] = [
        Kind::Refused,
        Kind::Usage,
        Kind::Auth,
        Kind::NotFound,
        Kind::RateLimited,
        Kind::Network,
        Kind::Ambiguous,
        Kind::UnknownUser,
    ];

    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// What the code means, as `--help` shows it.
    pub fn meaning(self) -> &'static str {
        match self {
            Kind::Refused => "refused by Clerk (400, 402, 422, 5xx), or the demo went wrong",
            Kind::Usage => "usage: bad arguments or configuration",
            Kind::Auth => "secret key missing, malformed or rejected (401, 403)",
            Kind::NotFound => "no such actor token (404)",
            Kind::RateLimited => "rate limited (429) or the monthly quota is used up",
            Kind::Network => "Clerk could not be reached or did not answer in time",
            Kind::Ambiguous => "a create may have happened (answer lost); not retried",
            Kind::UnknownUser => "no such user: the create's --user is not a user of the instance",
        }
    }
}

/// The "Exit codes" section of `--help`.
pub fn exit_codes_help() -> String {
    let mut help = String::from("Exit codes:\n  0  success\n");
    for kind in Kind::ALL {
        help.push_str(&format!("  {}  {}\n", kind.code(), kind.meaning()));
    }
    help
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
        eprintln!("error: {}", build_support::one_line(&self.message));
        ExitCode::from(self.kind.code())
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
        let mut message = match &error {
            // The SDK's advice names a builder method; the CLI user has a flag instead.
            Error::Config(ConfigError::InsecureHttp { host }) => format!(
                "refusing to send the secret key over plain http to {host}; use https, a \
                 loopback address, or pass --allow-insecure-http"
            ),
            _ => with_causes(&error),
        };
        match kind {
            Kind::Auth if matches!(error, Error::Config(_)) => {}
            Kind::Auth => message.push_str(" (check the secret key in CLERK_SECRET_KEY or --secret-key-file)"),
            Kind::Ambiguous => message.push_str(
                " (a token may exist; it expires on its own, or create again if that is acceptable)",
            ),
            Kind::Network if !matches!(error, Error::Config(_)) => message.push_str(
                " (is the API URL right? it comes from --api-url, else CLERK_API_URL, else https://api.clerk.com)",
            ),
            _ => {}
        }
        Failure::new(kind, message)
    }
}

/// The error's message followed by each underlying cause ("connection refused", a certificate
/// problem) that the message does not already show, joined with ": ".
fn with_causes(error: &Error) -> String {
    let mut message = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        let text = e.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = e.source();
    }
    message
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
        Error::Timeout { .. }
        | Error::Connect { .. }
        | Error::Tls { .. }
        | Error::NotProcessed { .. }
        | Error::Transport { .. } => Kind::Network,
        e if e.is_unauthorized() => Kind::Auth,
        // Before `is_not_found`: Clerk's reference answers an unknown user with a 404 too.
        e if e.is_user_not_found() => Kind::UnknownUser,
        e if e.is_not_found() => Kind::NotFound,
        e if e.is_rate_limited() || e.is_quota_exhausted() => Kind::RateLimited,
        _ => Kind::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The help lists 0 and then every kind's code, in order and without gaps, each with its
    /// meaning: a kind missing from `Kind::ALL`, or a code that skips or repeats, fails here.
    #[test]
    fn help_lists_every_exit_code_in_order() {
        let help = exit_codes_help();
        let lines: Vec<&str> = help.lines().skip(1).collect();
        assert_eq!(lines.len(), Kind::ALL.len() + 1, "{help}");
        for (expected, line) in lines.iter().enumerate() {
            let (code, meaning) = line.trim().split_once("  ").expect("code and meaning");
            assert_eq!(code.parse::<usize>().unwrap(), expected, "{help}");
            assert!(!meaning.trim().is_empty(), "{help}");
        }
        for kind in Kind::ALL {
            let line = lines[usize::from(kind.code())];
            assert!(line.ends_with(kind.meaning()), "{kind:?}: {line}");
        }
    }

    #[test]
    fn insecure_http_advice_names_the_flag_not_the_sdk_method() {
        let error = clerk_actor_tokens::Clerk::builder()
            .secret_key("sk_test_x")
            .api_url("http://example.com")
            .build()
            .unwrap_err();
        let failure = Failure::from(error);
        assert_eq!(failure.kind, Kind::Usage);
        assert!(
            failure.message.contains("--allow-insecure-http"),
            "{}",
            failure.message
        );
        assert!(
            !failure.message.contains("allow_insecure_http("),
            "{}",
            failure.message
        );
    }

    /// Both forms Clerk answers an unknown user with (the reference's 404, the server's 422
    /// `form_resource_not_found` naming `user_id`) exit 8; a 404 about a token stays 4.
    #[test]
    fn an_unknown_user_has_its_own_code_in_either_form() {
        use clerk_actor_tokens::{ApiError, ClerkError, StatusCode};
        assert_eq!(
            Failure::from(Error::user_not_found("user_1")).kind,
            Kind::UnknownUser
        );
        let mut e = ClerkError::new("form_resource_not_found", "not found");
        e.meta.insert("param_name".into(), "user_id".into());
        let unprocessable = Error::from(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, vec![e]));
        assert_eq!(Failure::from(unprocessable).kind, Kind::UnknownUser);
        assert_eq!(
            Failure::from(Error::not_found("act_1")).kind,
            Kind::NotFound
        );
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
