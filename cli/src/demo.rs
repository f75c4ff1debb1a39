//! `demo`: the whole life of actor tokens against an in-process fake, with no account and no
//! network. It fails (exit 1) if anything does not behave the way Clerk does.

use std::time::Duration;

use clerk_actor_tokens::{Actor, Clerk, Ended, Status};
use clerk_actor_tokens_fake::FakeClerk;

use crate::failure::{Failure, Kind};
use crate::tokens::print;

const USER: &str = "user_demo_customer";
const ACTOR: &str = "user_demo_support";

pub async fn run() -> Result<(), Failure> {
    let fake = FakeClerk::start()
        .await
        .map_err(|e| Failure::new(Kind::Refused, e.to_string()))?;
    let result = steps(&fake).await;
    fake.stop().await;
    result
}

fn unexpected(what: impl std::fmt::Display) -> Failure {
    Failure::new(
        Kind::Refused,
        format!("the demo did not go as expected: {what}"),
    )
}

async fn steps(fake: &FakeClerk) -> Result<(), Failure> {
    let clerk: Clerk = fake.client()?;
    print(&format!(
        "A fake Clerk API is running at {} (in this process; no account, no network).\n\n",
        fake.base_url()
    ))?;

    print(&format!(
        "1. Create an actor token: {ACTOR} may sign in as {USER} for 10 minutes.\n"
    ))?;
    let token = clerk
        .actor_tokens()
        .create(USER, Actor::new(ACTOR).claim("reason", "demo"))
        .expires_in(Duration::from_secs(600))
        .send()
        .await?;
    let url = token
        .url()
        .ok_or_else(|| unexpected("the create answer has no url"))?
        .expose()
        .to_string();
    print(&format!(
        "   id:     {}\n   status: {}\n   url:    {url}\n   (a real url signs whoever opens it in as the user: hand it only to the actor)\n\n",
        token.id(),
        token.status()
    ))?;

    print("2. Open the sign-in url, as the actor's browser would.\n")?;
    let (status, location, body) = open(&url).await?;
    let Some(sign_in_page) = location.filter(|_| status == 303) else {
        return Err(unexpected(format!(
            "opening the url answered HTTP {status}: {body}"
        )));
    };
    print(&format!(
        "   HTTP {status}: redirected to the sign-in page {} with the ticket in __clerk_ticket.\n",
        sign_in_page.split('?').next().unwrap_or_default()
    ))?;
    let (status, _, body) = open(&sign_in_page).await?;
    if status != 200 {
        return Err(unexpected(format!(
            "the sign-in page answered HTTP {status}: {body}"
        )));
    }
    let now = fake
        .token(token.id())
        .map(|t| t.status)
        .ok_or_else(|| unexpected("the token is gone"))?;
    print(&format!(
        "   HTTP {status}: signed in as {USER} on behalf of {ACTOR}; the token is now {now}.\n"
    ))?;
    let (again, _, _) = open(&url).await?;
    print(&format!(
        "   Opening it a second time: HTTP {again} (a url works once).\n\n"
    ))?;

    print("3. Revoke the used token: Clerk refuses, only pending tokens can be revoked.\n")?;
    match clerk.actor_tokens().revoke(token.id()).send().await {
        Err(e) if e.is_not_revocable() => {
            print(&format!("   {e}\n\n"))?;
        }
        Err(e) => {
            return Err(unexpected(format!(
                "revoking the used token failed differently: {e}"
            )));
        }
        Ok(t) => {
            return Err(unexpected(format!(
                "revoking the used token succeeded ({})",
                t.status()
            )));
        }
    }

    print("4. End the impersonation instead: its session is revoked.\n")?;
    let active = clerk.impersonations().active(USER, Some(ACTOR)).await?;
    let [session] = &active[..] else {
        return Err(unexpected(format!(
            "expected one active impersonation session, found {}",
            active.len()
        )));
    };
    print(&format!(
        "   {} acts as {USER} in session {} ({}).\n",
        session.actor_sub().unwrap_or("?"),
        session.id(),
        session.status()
    ))?;
    match clerk.impersonations().end(&token).await? {
        Ended::SessionsRevoked(sessions) if sessions.len() == 1 => print(&format!(
            "   Ended: session {} is now {}.\n",
            sessions[0].id(),
            sessions[0].status()
        ))?,
        other => {
            return Err(unexpected(format!(
                "ending the impersonation gave {other:?}"
            )));
        }
    }
    match clerk.impersonations().end(&token).await? {
        Ended::NothingFound => print("   Ending it again finds nothing left to end.\n\n")?,
        other => return Err(unexpected(format!("ending it again gave {other:?}"))),
    }

    print("5. Create a second token and revoke it before it is used.\n")?;
    let second = clerk
        .actor_tokens()
        .create(USER, Actor::new(ACTOR).claim("reason", "demo, revoked"))
        .send()
        .await?;
    let revoked = clerk.actor_tokens().revoke(second.id()).send().await?;
    if revoked.status() != &Status::Revoked {
        return Err(unexpected(format!(
            "the revoke answered {}",
            revoked.status()
        )));
    }
    print(&format!(
        "   {} is now {}.\n",
        revoked.id(),
        revoked.status()
    ))?;
    let second_url = second
        .url()
        .ok_or_else(|| unexpected("the create answer has no url"))?;
    let (status, _, body) = open(second_url.expose()).await?;
    let code = body["errors"][0]["code"].as_str().unwrap_or("none");
    print(&format!(
        "   Its url no longer signs anyone in: HTTP {status} {code}.\n\n"
    ))?;

    print(
        "Done. Next: `clerk-actor-tokens fake` to run the fake for your own app, or set CLERK_SECRET_KEY and use `create` / `revoke` against Clerk.\n",
    )
}

/// Opens a url with the SDK's HTTP client setup, like a browser, one step at a time: the status,
/// the redirect target (`Location`) and the JSON body.
async fn open(url: &str) -> Result<(u16, Option<String>, serde_json::Value), Failure> {
    // Errors drop the url: it carries the ticket.
    let network = |e: String| {
        Failure::new(
            Kind::Network,
            format!("opening the sign-in url failed: {e}"),
        )
    };
    let http = clerk_actor_tokens::http_client_builder()
        .build()
        .map_err(|e| network(e.without_url().to_string()))?;
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| network(e.without_url().to_string()))?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response
        .bytes()
        .await
        .map_err(|e| network(e.without_url().to_string()))?;
    Ok((
        status,
        location,
        serde_json::from_slice(&bytes).unwrap_or_default(),
    ))
}
