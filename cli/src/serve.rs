//! `fake`: runs the fake Clerk until Ctrl-C or SIGTERM. The first stdout line is exactly
//! `listening on http://HOST:PORT/v1`, flushed, so scripts can wait for it.

use clerk_actor_tokens_fake::FakeClerk;

use crate::args::FakeArgs;
use crate::failure::{Failure, Kind};
use crate::tokens::print;

pub async fn run(args: FakeArgs) -> Result<(), Failure> {
    // Handlers go in before the line is printed: a script may signal as soon as it reads it.
    let stop = Stop::install();
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
    stop.wait().await;
    fake.stop().await;
    Ok(())
}

/// Ctrl-C (SIGINT) or SIGTERM, registered when installed.
struct Stop {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Stop {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = signal(SignalKind::interrupt())
                .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
                .ok();
            Self { signals }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.signals {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
