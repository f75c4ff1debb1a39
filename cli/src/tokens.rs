//! `create` and `revoke`: thin calls into the SDK, and their output.

use std::io::Write;

use clerk_actor_tokens::{Actor, ActorToken, Clerk, DEFAULT_EXPIRES_IN};

use crate::args::{CreateArgs, Global, RevokeArgs};
use crate::failure::{Failure, Kind};

/// The binary's name, for the revoke command printed after a create.
pub const BIN: &str = "clerk-actor-tokens";

pub async fn create(clerk: &Clerk, global: &Global, args: CreateArgs) -> Result<(), Failure> {
    let actor = args
        .claims
        .into_iter()
        .fold(Actor::new(args.actor), |actor, (k, v)| actor.claim(k, v));
    let mut request = clerk.actor_tokens().create(args.user, actor);
    if let Some(d) = args.expires_in {
        request = request.expires_in(d);
    }
    if let Some(d) = args.session_max {
        request = request.session_max_duration(d);
    }
    let token = request.send().await?;
    if args.json {
        return print_json(&token);
    }
    let url = token.url().map(|u| u.expose()).unwrap_or("(not returned)");
    let expires_in = humantime::format_duration(args.expires_in.unwrap_or(DEFAULT_EXPIRES_IN));
    print(&format!(
        "Sign-in url (one use, expires in {expires_in}; whoever opens it is signed in as {user}):\n  {url}\n\
         Actor token id: {id} ({status})\n\
         Revoke it before it is used with:\n  {revoke}\n",
        user = token.user_id(),
        id = token.id(),
        status = token.status(),
        revoke = revoke_command(global, token.id()),
    ))
}

pub async fn revoke(clerk: &Clerk, args: RevokeArgs) -> Result<(), Failure> {
    let token = clerk.actor_tokens().revoke(&args.id).send().await?;
    if args.json {
        return print_json(&token);
    }
    print(&format!(
        "Revoked actor token {} (status: {})\n",
        token.id(),
        token.status()
    ))
}

fn print_json(token: &ActorToken) -> Result<(), Failure> {
    let json = serde_json::to_string_pretty(token).map_err(|e| {
        Failure::new(
            Kind::Refused,
            format!("cannot encode the token as JSON: {e}"),
        )
    })?;
    print(&format!("{json}\n"))
}

pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::new(Kind::Refused, format!("cannot write to stdout: {e}")))
}

/// The exact command that revokes `id` with the same configuration flags.
fn revoke_command(global: &Global, id: &str) -> String {
    let mut words = vec![BIN.to_string(), "revoke".into(), quote(id)];
    if let Some(url) = &global.api_url {
        words.extend(["--api-url".into(), quote(url)]);
    }
    if let Some(path) = &global.secret_key_file {
        words.extend(["--secret-key-file".into(), quote(&path.to_string_lossy())]);
    }
    if global.allow_insecure_http {
        words.push("--allow-insecure-http".into());
    }
    if let Some(path) = &global.ca_cert {
        words.extend(["--ca-cert".into(), quote(&path.to_string_lossy())]);
    }
    words.join(" ")
}

/// Quotes a word for POSIX shells when it needs it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revoke_command_repeats_the_configuration_flags() {
        let global = Global {
            api_url: Some("http://127.0.0.1:9/v1".into()),
            secret_key_file: Some("/tmp/my key".into()),
            allow_insecure_http: true,
            ca_cert: Some("/tmp/ca.pem".into()),
        };
        assert_eq!(
            revoke_command(&global, "act_1"),
            "clerk-actor-tokens revoke act_1 --api-url http://127.0.0.1:9/v1 --secret-key-file '/tmp/my key' --allow-insecure-http --ca-cert /tmp/ca.pem"
        );
        let none = Global {
            api_url: None,
            secret_key_file: None,
            allow_insecure_http: false,
            ca_cert: None,
        };
        assert_eq!(
            revoke_command(&none, "act_1"),
            "clerk-actor-tokens revoke act_1"
        );
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
