//! One command, five sections: the SDK's overhead over raw HTTP, the fake under load, what code
//! generation costs the build, the spec tooling at Clerk's scale, and the SDK over TLS (HTTP/1.1
//! and HTTP/2) against the fake. See BENCHMARKS.md for the method and a recorded run.
//!
//! `cargo run --release -p clerk-actor-tokens-bench` (add `-- --help` for the options).

mod build_cost;
mod fake_load;
mod scale;
mod tls;

use clerk_actor_tokens_bench::{overhead, stats};

use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Parser;

/// Benchmarks of the clerk-actor-tokens workspace.
#[derive(Parser, Debug)]
struct Args {
    /// Smaller workloads and a 2 s load phase: a smoke run, not numbers to publish.
    #[arg(long)]
    quick: bool,
    /// Skip the clean builds of section 3 (they take several minutes).
    #[arg(long)]
    skip_clean_build: bool,
    /// Rounds of section 3's clean builds (each round builds every consumer).
    #[arg(long, default_value_t = 1)]
    build_rounds: usize,
    /// Rounds of the overhead section.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Seconds of each load phase against the fake.
    #[arg(long, default_value_t = 10)]
    load_seconds: u64,
    /// Clerk's full Backend API spec, for section 4 (the spec tooling at scale); skipped without it.
    #[arg(long)]
    upstream: Option<std::path::PathBuf>,
    /// Timed builds per fragment of the generated client's compile time in section 4 (0 skips it).
    #[arg(long, default_value_t = 3)]
    compile_runs: usize,
    /// Samples per protocol of section 5 (each: new clients, a cold call, warm calls, a burst).
    #[arg(long, default_value_t = 30)]
    tls_samples: usize,
    /// Run only these sections (1 overhead, 2 fake, 3 build, 4 scale, 5 TLS); all when not given.
    #[arg(long, value_delimiter = ',')]
    only: Vec<u8>,
    /// Profiling aid: run only client a (SDK), b (generated), c (raw) or d (raw with a time limit) for sequential pairs.
    #[arg(long, value_parser = ["a", "b", "c", "d"])]
    profile_client: Option<String>,
    /// Sequential create+revoke pairs of `--profile-client`.
    #[arg(long, default_value_t = 20_000)]
    profile_pairs: usize,
    /// Where `--profile-client` runs.
    #[arg(long, value_enum, default_value_t = ProfileRuntime::Current)]
    profile_runtime: ProfileRuntime,
}

/// Where `--profile-client` runs. The multi-threaded two are for what one thread cannot show:
/// the thread wake-ups a client causes (BENCHMARKS.md, issue 20).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ProfileRuntime {
    /// One thread: the client and the server take turns in the same order every run, so an
    /// instruction count is the same from run to run (a multi-threaded runtime polls a varying
    /// number of times, about +-1k instructions per call).
    Current,
    /// `block_on` on the main thread of a multi-threaded runtime, as section 1's sequential
    /// workload.
    Main,
    /// In a task on a multi-threaded runtime, as section 1's "in a task".
    Task,
}

fn main() -> ExitCode {
    let args = Args::parse();
    println!(
        "clerk-actor-tokens benchmarks ({} build; {} CPUs)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let runtime =
        if args.profile_client.is_some() && args.profile_runtime == ProfileRuntime::Current {
            tokio::runtime::Builder::new_current_thread()
        } else {
            tokio::runtime::Builder::new_multi_thread()
        }
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Some(client) = &args.profile_client {
        let letter = client.chars().next().unwrap_or('c');
        let pairs = args.profile_pairs;
        if args.profile_runtime == ProfileRuntime::Task {
            runtime.block_on(async move {
                tokio::spawn(overhead::profile(letter, pairs))
                    .await
                    .expect("profile task")
            });
        } else {
            runtime.block_on(overhead::profile(letter, pairs));
        }
        return ExitCode::SUCCESS;
    }
    let wanted = |n: u8| args.only.is_empty() || args.only.contains(&n);
    let mut ok = true;
    if wanted(1) {
        overhead_section(&args, &runtime);
    }
    if wanted(2) {
        ok &= fake_section(&args, &runtime);
    }
    if wanted(3) {
        ok &= build_section(&args);
    }
    if wanted(4) {
        ok &= scale_section(&args);
    }
    if wanted(5) {
        ok &= tls_section(&args, &runtime);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn overhead_section(args: &Args, runtime: &tokio::runtime::Runtime) {
    println!("\n== 1. Client overhead: SDK facade (A) vs generated client (B) vs raw reqwest (C)");
    let sizes = if args.quick {
        overhead::Sizes {
            pairs: 200,
            concurrent_calls: 640,
            concurrency: 32,
            rounds: 2,
        }
    } else {
        overhead::Sizes {
            pairs: 1000,
            concurrent_calls: 4000,
            concurrency: 32,
            rounds: args.rounds,
        }
    };
    runtime.block_on(overhead::run(sizes));
}

fn fake_section(args: &Args, runtime: &tokio::runtime::Runtime) -> bool {
    println!("\n== 2. The fake server under load (the CLI's `fake` command, its own process)");
    let load = Duration::from_secs(if args.quick { 2 } else { args.load_seconds });
    let built = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-q", "-p", "clerk-actor-tokens-cli"])
        .current_dir(build_cost::workspace_root())
        .status();
    match built {
        Ok(s) if s.success() => match runtime.block_on(fake_load::run(32, load)) {
            Ok(()) => true,
            Err(e) => {
                println!("  failed: {e}");
                false
            }
        },
        other => {
            println!("  failed: could not build the CLI: {other:?}");
            false
        }
    }
}

fn tls_section(args: &Args, runtime: &tokio::runtime::Runtime) -> bool {
    println!(
        "\n== 5. Over TLS against the fake (in-process): SDK (A) vs raw reqwest (C), HTTP/1.1 and HTTP/2"
    );
    let sizes = if args.quick {
        tls::Sizes {
            samples: 5,
            warm_calls: 20,
        }
    } else {
        tls::Sizes {
            samples: args.tls_samples.max(1),
            warm_calls: 100,
        }
    };
    match runtime.block_on(tls::run(sizes)) {
        Ok(()) => true,
        Err(e) => {
            println!("  failed: {e}");
            false
        }
    }
}

fn scale_section(args: &Args) -> bool {
    println!("\n== 4. The spec tooling at Clerk's scale");
    let Some(upstream) = &args.upstream else {
        println!("  skipped: give Clerk's full spec with --upstream PATH");
        return true;
    };
    let (runs, compile_runs) = if args.quick {
        (1, args.compile_runs.min(1))
    } else {
        (5, args.compile_runs)
    };
    match scale::run(upstream, runs, compile_runs) {
        Ok(()) => true,
        Err(e) => {
            println!("  failed: {e}");
            false
        }
    }
}

fn build_section(args: &Args) -> bool {
    println!("\n== 3. Build cost");
    let mut ok = true;
    match build_cost::generation_time(30) {
        Ok((median, max)) => println!(
            "  generation (build_support::generate_from_file, what build.rs runs): median {:.1} ms, max {:.1} ms over 30 runs (target < 100 ms)",
            median.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0
        ),
        Err(e) => {
            println!("  generation failed: {e}");
            ok = false;
        }
    }
    match build_cost::noop_build_reruns_build_script() {
        Ok(false) => {
            println!("  no-op `cargo build -p clerk-actor-tokens`: build script not rerun (Fresh)")
        }
        Ok(true) => {
            println!("  no-op `cargo build -p clerk-actor-tokens`: the build script RERAN");
            ok = false;
        }
        Err(e) => {
            println!("  no-op build check failed: {e}");
            ok = false;
        }
    }
    if args.skip_clean_build {
        println!("  clean builds skipped (--skip-clean-build)");
        return ok;
    }
    // Interleaved rounds, the order rotating, so that drift in the machine's speed hits every
    // consumer alike; the median per consumer, then ratios to the hand-written baseline.
    let consumers = &build_cost::CONSUMERS;
    let features = match build_cost::sdk_features() {
        Ok(features) => features,
        Err(e) => {
            println!("  cannot read the SDK's features: {e}");
            return false;
        }
    };
    // A consumer of a feature this SDK does not declare (yet) is skipped, not failed.
    let buildable: Vec<bool> = consumers
        .iter()
        .map(|c| {
            c.sdk_feature
                .is_none_or(|f| features.iter().any(|g| g == f))
        })
        .collect();
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); consumers.len()];
    let mut crates = vec![0; consumers.len()];
    let rounds = args.build_rounds.max(1);
    for round in 0..rounds {
        for i in 0..consumers.len() {
            let index = (i + round) % consumers.len();
            if !buildable[index] {
                continue;
            }
            match build_cost::clean_consumer_build(&consumers[index]) {
                Ok(build) => {
                    walls[index].push(build.wall.as_secs_f64());
                    crates[index] = build.crates;
                }
                Err(e) => {
                    println!(
                        "  clean build of the consumer {} failed: {}",
                        consumers[index].name,
                        e.lines().last().unwrap_or_default()
                    );
                    ok = false;
                }
            }
        }
    }
    let baseline = stats::median(&walls[0]);
    println!(
        "  clean debug builds of a small app that creates and revokes a token ({} round{}, median):",
        rounds,
        if rounds == 1 { "" } else { "s" }
    );
    for (index, consumer) in consumers.iter().enumerate() {
        if !buildable[index] {
            println!(
                "  {:<34} skipped: this SDK has no `{}` feature",
                consumer.name,
                consumer.sdk_feature.unwrap_or_default()
            );
            continue;
        }
        let wall = stats::median(&walls[index]);
        println!(
            "  {:<34} {:>4} crates {:>7.1} s  {:.2}x",
            consumer.name,
            crates[index],
            wall,
            wall / baseline
        );
    }
    ok
}
