//! Instructions per create+revoke pair, counted by callgrind (through gungraun): a figure that
//! holds on a noisy machine, where section 1's wall-clock ratios move by +-0.03 between runs.
//!
//! `cargo bench -p clerk-actor-tokens-bench --bench instructions` (needs valgrind and
//! `gungraun-runner` of the same version as the `gungraun` crate); `CLERK_BENCH_QUICK=1` runs a
//! few pairs only, to prove that it still runs. BENCHMARKS.md explains the method.
//!
//! Every benchmark runs one client, A (the SDK), B (the generated client) or C (raw reqwest),
//! against section 1's fixed-answer server, for a few pairs and for many: the difference divided
//! by the difference in pairs is the cost of one pair, with everything that happens once (the
//! process, the runtime, the first connection, the benchmark function's entry and exit) cancelled
//! out. Two placements of the server:
//!
//! - `client_only`: the server runs on a thread of its own. Callgrind counts only the thread that
//!   runs the benchmark function (gungraun's `--toggle-collect` of that function; other threads
//!   start with collection off), so the count is the client's work alone: the SDK or reqwest,
//!   hyper's client side and the client's tokio runtime, syscalls included.
//! - `with_server`: client and server share the single-threaded runtime, as the manual method
//!   before this benchmark did (`bench --profile-client`), so its figures continue that history.
//!   The server's part is the same fixed answer for every client, but it dilutes the ratio.
//!
//! Both run the client on a single-threaded runtime: the client's tasks are then polled in the
//! same order every run, and the count repeats from run to run.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clerk_actor_tokens_bench::overhead::{self, Clients, Kind};
use gungraun::{LibraryBenchmarkConfig, library_benchmark, library_benchmark_group};
use tokio::runtime::Runtime;

/// Set (to anything) for the quick mode: a few pairs per benchmark.
const QUICK: &str = "CLERK_BENCH_QUICK";

/// The two pair counts of every client; their difference is what one pair costs times the
/// difference in pairs.
#[derive(Clone, Copy, Debug)]
enum Pairs {
    Few,
    Many,
}

impl Pairs {
    /// Under callgrind a pair takes about 10 ms; 200 and 1,000 pairs make the per-pair figure
    /// exact to well under one instruction. The quick mode's 2 and 6 only prove that it runs.
    fn count(self) -> usize {
        let quick = std::env::var_os(QUICK).is_some();
        match (self, quick) {
            (Pairs::Few, false) => 200,
            (Pairs::Many, false) => 1000,
            (Pairs::Few, true) => 2,
            (Pairs::Many, true) => 6,
        }
    }
}

/// Pairs done before the measured function, so that the connection exists and everything lazy
/// (the tracing callsites, the pool, the allocator's arenas) is set up. One in the quick mode,
/// where under valgrind each pair of a debug build takes about 0.1 s.
fn warm_up_pairs() -> usize {
    if std::env::var_os(QUICK).is_some() {
        1
    } else {
        20
    }
}

/// What the measured function gets: a runtime, the clients and the work to do.
struct Prepared {
    runtime: Runtime,
    clients: Clients,
    kind: Kind,
    pairs: usize,
}

impl Prepared {
    /// The measured work. `self` is returned so that dropping the runtime and the clients
    /// happens outside the measured function.
    fn run(self) -> Self {
        self.runtime
            .block_on(self.clients.pairs(self.kind, self.pairs));
        self
    }
}

/// The client's single-threaded runtime (time and IO, as the SDK's timers need).
fn client_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Setup of `client_only`: the server on its own thread, outside what callgrind counts.
fn server_elsewhere(kind: Kind, pairs: Pairs) -> Prepared {
    let runtime = client_runtime();
    let clients = Clients::new(overhead::start_server_thread());
    runtime.block_on(clients.pairs(kind, warm_up_pairs()));
    Prepared {
        runtime,
        clients,
        kind,
        pairs: pairs.count(),
    }
}

/// Setup of `with_server`: the server on the client's runtime, counted with it.
fn server_alongside(kind: Kind, pairs: Pairs) -> Prepared {
    let runtime = client_runtime();
    let clients = runtime.block_on(async {
        let clients = Clients::new(overhead::start_server().await);
        clients.pairs(kind, warm_up_pairs()).await;
        clients
    });
    Prepared {
        runtime,
        clients,
        kind,
        pairs: pairs.count(),
    }
}

#[library_benchmark(setup = server_elsewhere)]
#[bench::a_few(Kind::Sdk, Pairs::Few)]
#[bench::a_many(Kind::Sdk, Pairs::Many)]
#[bench::b_few(Kind::Generated, Pairs::Few)]
#[bench::b_many(Kind::Generated, Pairs::Many)]
#[bench::c_few(Kind::Raw, Pairs::Few)]
#[bench::c_many(Kind::Raw, Pairs::Many)]
fn client_only(prepared: Prepared) -> Prepared {
    prepared.run()
}

#[library_benchmark(setup = server_alongside)]
#[bench::a_few(Kind::Sdk, Pairs::Few)]
#[bench::a_many(Kind::Sdk, Pairs::Many)]
#[bench::b_few(Kind::Generated, Pairs::Few)]
#[bench::b_many(Kind::Generated, Pairs::Many)]
#[bench::c_few(Kind::Raw, Pairs::Few)]
#[bench::c_many(Kind::Raw, Pairs::Many)]
fn with_server(prepared: Prepared) -> Prepared {
    prepared.run()
}

library_benchmark_group!(
    name = pairs;
    benchmarks = client_only, with_server
);

fn main() {
    let measuring = std::env::args().nth(1).as_deref() == Some("--gungraun-run");
    let started = SystemTime::now();
    if !measuring && std::env::var_os("GUNGRAUN_SAVE_SUMMARY").is_none() {
        // SAFETY: no other thread exists yet. The runner (a child process) inherits the variable
        // and writes a summary.json per benchmark, which `print_ratios` reads.
        unsafe { std::env::set_var("GUNGRAUN_SAVE_SUMMARY", "json") };
    }
    // gungraun's `main!` defines a `fn main`; inside this block it shadows this one, so that the
    // table below can follow gungraun's own output. The runner calls this binary again (under
    // valgrind, with `--gungraun-run`) for each benchmark: those runs only measure.
    {
        gungraun::main!(
            config = LibraryBenchmarkConfig::default().pass_through_env(QUICK);
            library_benchmark_groups = pairs
        );
        main();
    }
    if !measuring {
        print_ratios(started);
    }
}

/// Prints instructions per pair for each client and placement, and the ratios to raw reqwest,
/// from the summaries this run wrote.
fn print_ratios(started: SystemTime) {
    let Some(dir) = summaries_dir() else {
        println!("instructions per pair: gungraun's output directory not found");
        return;
    };
    let few = Pairs::Few.count() as f64;
    let many = Pairs::Many.count() as f64;
    println!(
        "\ninstructions per create+revoke pair ((count at {many} pairs - count at {few}) / {}){}:",
        many - few,
        if cfg!(debug_assertions) {
            ", debug build: not comparable to release figures"
        } else {
            ""
        }
    );
    for (function, placement) in [
        ("client_only", "client alone (server on another thread)"),
        ("with_server", "client and server on one thread"),
    ] {
        let per_pair = |letter: &str| -> Result<f64, String> {
            let count = |pairs: &str| instructions(&dir, function, letter, pairs, started);
            Ok((count("many")? as f64 - count("few")? as f64) / (many - few))
        };
        match (per_pair("a"), per_pair("b"), per_pair("c")) {
            (Ok(a), Ok(b), Ok(c)) => println!(
                "  {placement:<41} A sdk {:>7.1}k  B generated {:>7.1}k  C raw {:>7.1}k  A/C {:.3}  B/C {:.3}",
                a / 1000.0,
                b / 1000.0,
                c / 1000.0,
                a / c,
                b / c
            ),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => println!("  {placement}: {e}"),
        }
    }
}

/// Where gungraun writes this bench file's outputs: `$GUNGRAUN_HOME` or the target directory's
/// `gungraun`, then the package and the bench file (this binary is `target/<profile>/deps/..`).
fn summaries_dir() -> Option<PathBuf> {
    let home = match std::env::var_os("GUNGRAUN_HOME") {
        Some(home) => PathBuf::from(home),
        None => std::env::current_exe()
            .ok()?
            .parent()?
            .parent()?
            .parent()?
            .join("gungraun"),
    };
    let dir = home.join(env!("CARGO_PKG_NAME")).join("instructions");
    dir.is_dir().then_some(dir)
}

/// Callgrind's instruction count (all threads it counted) of benchmark `function` with id
/// `{letter}_{pairs}`, from a summary.json written after `started`.
fn instructions(
    dir: &Path,
    function: &str,
    letter: &str,
    pairs: &str,
    started: SystemTime,
) -> Result<u64, String> {
    let id = format!("{letter}_{pairs}");
    let path = dir
        .join("pairs")
        .join(format!("{function}.{id}"))
        .join("summary.json");
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|modified| modified >= started);
    if !fresh {
        return Err(format!("no summary of {function} {id} from this run"));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let summary: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    summary["profiles"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|profile| profile["tool"] == "Callgrind")
        .and_then(|profile| metric(&profile["data"]["total"]["metrics"]["Ir"]["values"]["new"]))
        .ok_or_else(|| format!("{}: no callgrind instruction count", path.display()))
}

/// A metric's value: a plain number, or `{"Int": n}`.
fn metric(value: &serde_json::Value) -> Option<u64> {
    value.as_u64().or_else(|| value["Int"].as_u64())
}
