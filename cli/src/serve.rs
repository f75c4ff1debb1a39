//! `fake`: runs the fake Clerk until Ctrl-C or SIGTERM. The first stdout line is exactly
//! `listening on http://HOST:PORT/v1` (`https://` with `--tls`), flushed, so scripts can wait
//! for it; with `--tls` the second is `ca certificate: PATH`, the CA's PEM file to trust.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

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
        .max_sessions(args.max_sessions)
        .tls(args.tls)
        .start()
        .await
        .map_err(|e| Failure::new(Kind::Usage, e.to_string()))?;
    let scheme = if args.tls { "https" } else { "http" };
    // Written before the first line: a script that reads both lines may open the file at once.
    // Dropped (and a temp file removed) however `run` ends.
    let ca_file = match fake.ca_certificate_pem() {
        Some(pem) => Some(CaFile::write(
            pem,
            args.ca_cert_out,
            fake.local_addr().port(),
        )?),
        None => None,
    };
    print(&format!(
        "listening on {scheme}://{}/v1\n",
        fake.local_addr()
    ))?;
    if let Some(ca_file) = &ca_file {
        print(&format!("ca certificate: {}\n", ca_file.path.display()))?;
    }
    eprintln!(
        "fake Clerk API: any sk_test_... key is accepted; controls under {}; Ctrl-C stops it",
        clerk_actor_tokens_fake::CONTROL_PREFIX
    );
    stop.wait().await;
    fake.stop().await;
    drop(ca_file);
    Ok(())
}

/// The CA's PEM file; one the command chose in the temp dir is removed when dropped, one the
/// user named (`--ca-cert-out`) is theirs to keep.
struct CaFile {
    path: PathBuf,
    temporary: bool,
}

impl CaFile {
    fn write(pem: &str, named: Option<PathBuf>, port: u16) -> Result<Self, Failure> {
        let (path, temporary) = match named {
            Some(path) => (path, false),
            None => {
                let name = format!(
                    "clerk-actor-tokens-fake-ca-{}-{port}.pem",
                    std::process::id()
                );
                (std::env::temp_dir().join(name), true)
            }
        };
        let mut options = OpenOptions::new();
        options.write(true);
        if temporary {
            // Never an existing file (or a link someone planted) in a shared temp dir.
            options.create_new(true);
        } else {
            options.create(true).truncate(true);
        }
        let cannot = |e: std::io::Error| {
            Failure::new(
                Kind::Usage,
                format!("cannot write the CA certificate to {}: {e}", path.display()),
            )
        };
        let mut file = options.open(&path).map_err(cannot)?;
        // From here on the file is ours: a failed write still removes a temp file.
        let ca = Self {
            path: path.clone(),
            temporary,
        };
        file.write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(cannot)?;
        Ok(ca)
    }
}

impl Drop for CaFile {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temp_ca_file_is_removed_and_a_named_one_kept() {
        let temp = CaFile::write("pem", None, 1).unwrap();
        let temp_path = temp.path.clone();
        assert_eq!(std::fs::read_to_string(&temp_path).unwrap(), "pem");
        // The same name again (same process and port) is refused, not overwritten.
        assert!(CaFile::write("other", None, 1).is_err());
        drop(temp);
        assert!(!temp_path.exists());

        let named_path = std::env::temp_dir().join(format!(
            "clerk-actor-tokens-cli-test-{}.pem",
            std::process::id()
        ));
        std::fs::write(&named_path, "old").unwrap();
        drop(CaFile::write("new", Some(named_path.clone()), 1).unwrap());
        assert_eq!(std::fs::read_to_string(&named_path).unwrap(), "new");
        std::fs::remove_file(&named_path).unwrap();
    }
}
