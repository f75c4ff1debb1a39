//! `fake`: runs the fake Clerk until Ctrl-C or SIGTERM. The first stdout line is exactly
//! `listening on http://HOST:PORT/v1`, flushed, so scripts can wait for it.

use clerk_actor_tokens_fake::FakeClerk;

use crate::args::FakeArgs;
use crate::failure::{Failure, Kind};
use crate::tokens::print;

pub async fn run(args: FakeArgs) -> Result<(), Failure> {
    let fake = FakeClerk::builder()
        .host(args.host)
        .port(args.port)
        .max_tokens(args.max_tokens)
        .start()
        .await
        .map_err(|e| Failure::new(Kind::Usage, e.to_string()))?;
    print(&format!("listening on http://{}/v1\n", fake.local_addr()))?;
    eprintln!(
        "fake Clerk API: any sk_test_... key is accepted; controls under {}; Ctrl-C stops it",
        clerk_actor_tokens_fake::CONTROL_PREFIX
    );
    stopped().await;
    fake.stop().await;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
