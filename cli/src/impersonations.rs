//! `end` and `sessions`: ending an impersonation whatever its token's state, and listing the
//! sessions impersonations opened.

use clerk_actor_tokens::{Clerk, Ended, Impersonation, Session};

use crate::args::{EndArgs, SessionsArgs};
use crate::failure::{Failure, Kind};
use crate::tokens::print;

pub async fn end(clerk: &Clerk, args: EndArgs) -> Result<(), Failure> {
    let mut which = Impersonation::new(&args.user, &args.actor);
    if let Some(token) = &args.token {
        which = which.token_id(token);
    }
    let text = match clerk.impersonations().end(which).await? {
        Ended::TokenRevoked => format!(
            "Ended: actor token {} was still pending and is revoked; its url never signed anyone in\n",
            args.token.as_deref().unwrap_or_default()
        ),
        Ended::SessionsRevoked(sessions) => {
            let mut text = format!(
                "Ended: revoked {} session(s) of {} acting as {}\n",
                sessions.len(),
                args.actor,
                args.user
            );
            for session in &sessions {
                text.push_str(&format!("  {} ({})\n", session.id(), session.status()));
            }
            text
        }
        _ => format!(
            "Nothing left to end: no pending token and no active session of {} acting as {}\n",
            args.actor, args.user
        ),
    };
    print(&text)
}

pub async fn sessions(clerk: &Clerk, args: SessionsArgs) -> Result<(), Failure> {
    let sessions = clerk
        .impersonations()
        .active(&args.user, args.actor.as_deref())
        .await?;
    if args.json {
        let json = serde_json::to_string_pretty(&sessions).map_err(|e| {
            Failure::new(
                Kind::Refused,
                format!("cannot encode the sessions as JSON: {e}"),
            )
        })?;
        return print(&format!("{json}\n"));
    }
    if sessions.is_empty() {
        return print(&format!(
            "No active impersonation session of {}\n",
            args.user
        ));
    }
    let mut text = String::new();
    for session in &sessions {
        text.push_str(&line(session));
    }
    print(&text)
}

fn line(session: &Session) -> String {
    format!(
        "{}  actor {}  last active {}  expires {}\n",
        session.id(),
        session.actor_sub().unwrap_or("-"),
        session.last_active_at(),
        session.expire_at()
    )
}
