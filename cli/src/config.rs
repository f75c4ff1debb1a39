//! Builds the SDK client from the environment and the global flags. The key is read from
//! `CLERK_SECRET_KEY` or a file, never from an argument, and is never printed.

use clerk_actor_tokens::{API_URL_ENV, Clerk, ClerkBuilder, DEFAULT_USER_AGENT, SECRET_KEY_ENV};

use crate::args::Global;
use crate::failure::{Failure, Kind};

/// `User-Agent` of the CLI: its own name, then the SDK's.
const USER_AGENT: &str = concat!("clerk-actor-tokens-cli/", env!("CARGO_PKG_VERSION"));

pub fn client(global: &Global) -> Result<Clerk, Failure> {
    let mut builder = match &global.secret_key_file {
        Some(path) => {
            let key = std::fs::read_to_string(path).map_err(|e| {
                Failure::new(
                    Kind::Auth,
                    format!("cannot read the secret key file {}: {e}", path.display()),
                )
            })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(Failure::new(
                    Kind::Auth,
                    format!("the secret key file {} is empty", path.display()),
                ));
            }
            let builder = Clerk::builder().secret_key(key);
            match std::env::var(API_URL_ENV) {
                Ok(url) if !url.trim().is_empty() => builder.api_url(url),
                _ => builder,
            }
        }
        None => ClerkBuilder::from_env().map_err(|e| {
            let mut failure = Failure::from(e);
            if failure.kind == Kind::Auth {
                failure.message = format!(
                    "no secret key: set {SECRET_KEY_ENV} or pass --secret-key-file PATH (try `clerk-actor-tokens demo` to see it work without an account)"
                );
            }
            failure
        })?,
    };
    if let Some(url) = &global.api_url {
        builder = builder.api_url(url.clone());
    }
    Ok(builder
        .user_agent(format!("{USER_AGENT} {DEFAULT_USER_AGENT}"))
        .build()?)
}
