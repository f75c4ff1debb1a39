//! Builds the SDK client from the environment and the global flags. The key is read from
//! `CLERK_SECRET_KEY` or a file, never from an argument, and is never printed.

use clerk_actor_tokens::{Clerk, ClerkBuilder, ConfigError, DEFAULT_USER_AGENT, SECRET_KEY_ENV};

use crate::args::Global;
use crate::failure::{Failure, Kind};

/// `User-Agent` of the CLI: its own name, then the SDK's.
const USER_AGENT: &str = concat!("clerk-actor-tokens-cli/", env!("CARGO_PKG_VERSION"));

pub fn client(global: &Global) -> Result<Clerk, Failure> {
    let mut builder = ClerkBuilder::from_env()?;
    if let Some(path) = &global.secret_key_file {
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
        builder = builder.secret_key(key);
    }
    if let Some(url) = &global.api_url {
        builder = builder.api_url(url.clone());
    }
    if let Some(path) = &global.ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            Failure::new(
                Kind::Usage,
                format!(
                    "cannot read the CA certificate file {}: {e}",
                    path.display()
                ),
            )
        })?;
        builder = builder.add_root_certificate_pem(pem);
    }
    builder
        .allow_insecure_http(global.allow_insecure_http)
        .user_agent(format!("{USER_AGENT} {DEFAULT_USER_AGENT}"))
        .build()
        .map_err(|e| {
            let missing_key = matches!(
                e,
                clerk_actor_tokens::Error::Config(ConfigError::MissingSecretKey { .. })
            );
            let mut failure = Failure::from(e);
            if missing_key {
                failure.message = format!(
                    "no secret key: set {SECRET_KEY_ENV} or pass --secret-key-file PATH (try `clerk-actor-tokens demo` to see it work without an account)"
                );
            }
            failure
        })
}
