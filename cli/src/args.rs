//! The command line: subcommands, flags and how their values are parsed.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Create and revoke Clerk actor tokens (user impersonation), or try them against a local fake.
///
/// The secret key comes from CLERK_SECRET_KEY or --secret-key-file (never from an argument,
/// which other users could read in the process list); the API URL from --api-url or
/// CLERK_API_URL (default https://api.clerk.com). RUST_LOG=debug shows the SDK's tracing.
#[derive(Debug, Parser)]
#[command(
    name = "clerk-actor-tokens",
    version,
    after_help = crate::failure::exit_codes_help()
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Clerk API origin, e.g. https://api.clerk.com or a fake's http://127.0.0.1:PORT/v1
    /// [default: $CLERK_API_URL, else https://api.clerk.com]
    #[arg(long, global = true, value_name = "URL")]
    pub api_url: Option<String>,
    /// Read the secret key (sk_test_... or sk_live_...) from this file instead of
    /// $CLERK_SECRET_KEY
    #[arg(long, global = true, value_name = "PATH")]
    pub secret_key_file: Option<PathBuf>,
    /// Allow a plain http:// API URL on a host that is not loopback (the key then travels in
    /// clear text; for a fake on a private network, never for Clerk)
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,
    /// Also trust the certificate authorities in this PEM file (a private CA, or the one
    /// `clerk-actor-tokens fake --tls` prints)
    #[arg(long, global = true, value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an actor token and print its one-time sign-in url, its id and how to revoke it
    Create(CreateArgs),
    /// Revoke a token that has not been used yet
    Revoke(RevokeArgs),
    /// End an impersonation: revoke its token if still pending, else the actor's active
    /// sessions of the user; exit 0 when it ended something or found nothing left to end
    End(EndArgs),
    /// List the user's active impersonation sessions
    Sessions(SessionsArgs),
    /// Run a fake Clerk API on this machine until Ctrl-C
    Fake(FakeArgs),
    /// Walk through create, sign-in, a refused revoke, ending the impersonation and a revoke,
    /// against an in-process fake
    /// (no account, no network)
    Demo,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Id of the user to impersonate (user_...)
    #[arg(long, value_name = "USER_ID")]
    pub user: String,
    /// Id of the user who impersonates (becomes the `act.sub` claim)
    #[arg(long, value_name = "USER_ID")]
    pub actor: String,
    /// Extra claim for the actor object, e.g. --claim reason="ticket 4411" (repeatable; values
    /// are strings)
    #[arg(long = "claim", value_name = "KEY=VALUE", value_parser = parse_claim)]
    pub claims: Vec<(String, String)>,
    /// How long the url can be used, e.g. 10m [default: Clerk's 1h]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires_in: Option<Duration>,
    /// Longest session the url can start, e.g. 30m [default: Clerk's 30m]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub session_max: Option<Duration>,
    /// Print the actor token as JSON (it includes the token and url)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The actor token id (act_...)
    #[arg(value_name = "ID")]
    pub id: String,
    /// Print the revoked actor token as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EndArgs {
    /// Id of the impersonated user (user_...)
    #[arg(long, value_name = "USER_ID")]
    pub user: String,
    /// Id of the user who impersonates
    #[arg(long, value_name = "USER_ID")]
    pub actor: String,
    /// The actor token that started it (act_...), revoked first if still pending
    #[arg(long, value_name = "ID")]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// Id of the user whose impersonation sessions to list (user_...)
    #[arg(long, value_name = "USER_ID")]
    pub user: String,
    /// Only the sessions of this actor
    #[arg(long, value_name = "USER_ID")]
    pub actor: Option<String>,
    /// Print the sessions as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FakeArgs {
    /// Port to listen on; 0 picks a free one (read it from the first line printed)
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Most tokens kept; when full, expired tokens are evicted first, then the oldest
    #[arg(long, value_name = "N", default_value_t = clerk_actor_tokens_fake::DEFAULT_MAX_TOKENS)]
    pub max_tokens: usize,
    /// Most sessions kept; when full, opening a url forgets the oldest session
    #[arg(long, value_name = "N", default_value_t = clerk_actor_tokens_fake::DEFAULT_MAX_SESSIONS)]
    pub max_sessions: usize,
    /// Serve HTTPS (and HTTP/2) with a CA made at start; its PEM path is the second line printed
    #[arg(long)]
    pub tls: bool,
    /// Where to write the CA certificate (PEM) with --tls, kept on exit [default: a new file in
    /// the temp dir, removed on exit]
    #[arg(long, value_name = "PATH", requires = "tls")]
    pub ca_cert_out: Option<std::path::PathBuf>,
}

fn parse_claim(input: &str) -> Result<(String, String), String> {
    let (key, value) = input
        .split_once('=')
        .ok_or_else(|| format!("expected KEY=VALUE, got {input:?}"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err("the claim name is empty".into());
    }
    if key == "sub" {
        return Err("the sub claim is the actor itself: set it with --actor".into());
    }
    Ok((key.to_string(), value.to_string()))
}

fn parse_duration(input: &str) -> Result<Duration, String> {
    let duration =
        humantime::parse_duration(input).map_err(|e| format!("{e} (try 90s, 10m or 1h)"))?;
    if duration < Duration::from_secs(1) {
        return Err("must be at least one second".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_and_durations() {
        assert_eq!(
            parse_claim("reason=a=b").unwrap(),
            ("reason".into(), "a=b".into())
        );
        assert!(parse_claim("novalue").is_err());
        assert!(parse_claim("=x").is_err());
        assert!(parse_claim("sub=x").is_err());
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("500ms").is_err());
        assert!(parse_duration("10 parsecs").is_err());
    }

    #[test]
    fn the_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
