//! `clerk-actor-tokens`: create and revoke Clerk actor tokens, run a local fake, or see the
//! whole flow in `demo`. Exit codes are defined in `failure.rs` and listed by `--help`.

mod args;
mod config;
mod demo;
mod failure;
mod impersonations;
mod serve;
mod tokens;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::args::{Cli, Command};
use crate::failure::{Failure, Kind};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's first paragraph names the problem; the rest is usage, which --help shows.
            let text = e.render().to_string();
            let problem: Vec<&str> = text
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let problem = problem.join(" ");
            let problem = problem.strip_prefix("error: ").unwrap_or(&problem);
            return Failure::new(Kind::Usage, format!("{problem} (see --help)")).report();
        }
    };
    if std::env::var_os("RUST_LOG").is_some() {
        // The SDK records each call as a span (operation, status, trace id, duration); printing
        // spans as they close shows one line per call even when nothing inside logged.
        tracing_subscriber::fmt()
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return Failure::new(
                Kind::Refused,
                format!("cannot start the async runtime: {e}"),
            )
            .report();
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Create(args) => {
            let clerk = config::client(&cli.global)?;
            tokens::create(&clerk, &cli.global, args).await
        }
        Command::Revoke(args) => {
            let clerk = config::client(&cli.global)?;
            tokens::revoke(&clerk, args).await
        }
        Command::End(args) => {
            let clerk = config::client(&cli.global)?;
            impersonations::end(&clerk, args).await
        }
        Command::Sessions(args) => {
            let clerk = config::client(&cli.global)?;
            impersonations::sessions(&clerk, args).await
        }
        Command::Fake(args) => serve::run(args).await,
        Command::Demo => demo::run().await,
    }
}
