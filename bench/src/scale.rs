//! Section 4: how the spec tooling's cost grows with the spec. On Clerk's full published spec
//! (given with `--upstream`): the survey (every operation extracted and checked on its own), then
//! for fragments of 2, about 25 and all extractable operations the time to extract them together,
//! to check the build rules and to generate the client (progenitor and prettyplease), and the size
//! of the generated code. Each step is timed over a few runs and the median is shown. Then the
//! generated client's compile time per fragment: each client goes into a throw-away crate (see
//! [`compile_times`]) whose dependencies are built once, untimed; each timed `cargo build`
//! recompiles only that crate.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use build_support::spec::Fragment;
use build_support::{extract, generate, rules, update};

use crate::{build_cost, stats};

/// The median wall time of `runs` calls of `f` (at least one), and the last result.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut samples = Vec::with_capacity(runs.max(1));
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        last = Some(f());
        samples.push(start.elapsed());
    }
    let median = stats::percentile(&mut samples, 0.5);
    (median, last.expect("ran at least once"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `update` against the full spec as the command runs it, files read and the plan made (extract,
/// deviations, own documentation, rules, both generators, the API report), nothing written.
fn update_time(spec: &Fragment, source: &str, runs: usize) -> Result<(), String> {
    let root = crate::build_cost::workspace_root();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).map_err(|e| format!("{p}: {e}"));
    let (time, plan) = timed(runs, || -> Result<_, String> {
        let fragment_path = root.join("openapi/clerk-actor-tokens.yaml");
        let current = Fragment::parse(&fragment_path, &read("openapi/clerk-actor-tokens.yaml")?)
            .map_err(|e| e.to_string())?;
        let (client, mock) = (
            read("clerk-actor-tokens/generated/client.rs")?,
            read("clerk-actor-tokens-httpmock/generated/mock.rs")?,
        );
        let snapshots = update::Snapshots {
            client: &client,
            mock: &mock,
        };
        let options = update::Options {
            today: update::today(),
            ..Default::default()
        };
        update::plan(&current, spec, source, snapshots, &options).map_err(|e| e.to_string())
    });
    let plan = plan?;
    println!(
        "  update against it (the fragment's 2 operations, nothing written): {:.1} ms; verdict {}, {} decision(s)",
        ms(time),
        plan.verdict(),
        plan.decisions.len()
    );
    Ok(())
}

/// Runs the section; `Err` when the spec cannot be read or a step fails.
/// `compile_runs` timed builds per fragment (none: the compile times are skipped).
pub fn run(upstream: &Path, runs: usize, compile_runs: usize) -> Result<(), String> {
    let (load, spec) = timed(runs, || Fragment::load(upstream));
    let spec = spec.map_err(|e| e.to_string())?;
    let total = build_support::spec::operations(&spec.raw).len();
    println!(
        "  {}: {total} operations, read in {:.0} ms",
        upstream.display(),
        ms(load)
    );
    let source = upstream.display().to_string();
    update_time(&spec, &source, runs)?;
    let (survey_time, survey) = timed(1, || extract::survey(&spec, &source));
    println!(
        "  survey (each operation extracted and checked alone): {:.0} ms; {} extractable, {} need a decision",
        ms(survey_time),
        survey.extractable.len(),
        survey.undecided.len()
    );
    let all = survey.extractable;
    let pair: Vec<String> = ["CreateActorToken", "RevokeActorToken"]
        .iter()
        .map(|s| s.to_string())
        .filter(|id| all.contains(id))
        .collect();
    let some: Vec<String> = all.iter().take(25).cloned().collect();
    println!(
        "  {:>10} | {:>12} | {:>12} | {:>14} | {:>16}",
        "operations", "extract (ms)", "rules (ms)", "generate (ms)", "generated lines"
    );
    let mut clients = Vec::new();
    for ids in [pair, some, all] {
        if ids.is_empty() {
            continue;
        }
        let (extract_time, extracted) =
            timed(runs, || extract::extract(&spec, &ids, None, &source));
        let fragment = Fragment {
            path: upstream.to_path_buf(),
            raw: extracted.map_err(|e| e.to_string())?.doc,
        };
        let (rules_time, checked) = timed(runs, || rules::check(&fragment));
        checked.map_err(|e| e.to_string())?;
        let (generate_time, code) = timed(runs, || generate::generate(&fragment));
        let code = code.map_err(|e| e.to_string())?;
        println!(
            "  {:>10} | {:>12.1} | {:>12.1} | {:>14.1} | {:>16}",
            ids.len(),
            ms(extract_time),
            ms(rules_time),
            ms(generate_time),
            code.lines().count()
        );
        clients.push((ids.len(), code));
    }
    if compile_runs == 0 || clients.is_empty() {
        return Ok(());
    }
    let times = compile_times(&clients, compile_runs)?;
    println!(
        "  generated client's compile time (debug `cargo build` of a crate holding only it, its \
         dependencies prebuilt; median of {compile_runs}):"
    );
    println!(
        "  {:>10} | {:>11} | {:>12}",
        "operations", "compile (s)", "vs first"
    );
    let smallest = times[0].as_secs_f64();
    for ((operations, _), time) in clients.iter().zip(&times) {
        println!(
            "  {:>10} | {:>11.1} | {:>11.1}x",
            operations,
            time.as_secs_f64(),
            time.as_secs_f64() / smallest
        );
    }
    Ok(())
}

/// The crate's `src/lib.rs`: the generated client as the SDK includes it (module `raw`), and the
/// seam it names (`build_support::generate::SEAM`) reduced to what compiles: a `Secret` string
/// and an empty inner state whose hooks do nothing.
const CLIENT_LIB: &str = r#"//! A generated client alone, for timing its compilation.
mod seam {
    #[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    pub struct Secret(String);

    impl std::fmt::Display for Secret {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("[redacted]")
        }
    }

    #[derive(Clone, Debug)]
    pub struct Inner;
}

#[allow(missing_docs, clippy::all, unused)]
pub mod raw {
    include!("client.rs");
}

impl progenitor_client::ClientHooks<seam::Inner> for raw::Client {}
"#;

/// The `[dependencies]` of the throw-away crate for `code`: what the SDK's `raw` module compiles
/// against (the versions come from the workspace's Cargo.lock), plus the crates that progenitor
/// names only for some specs (pattern checks, dates, UUIDs) when `code` uses them.
fn client_crate_dependencies(code: &str) -> String {
    let mut lines = vec![
        r#"progenitor-client = "0.15.1""#,
        r#"reqwest = { version = "0.13", default-features = false, features = ["json", "stream"] }"#,
        r#"serde = { version = "1", features = ["derive"] }"#,
        r#"serde_json = "1""#,
    ];
    let optional = [
        ("::regress::", r#"regress = "0.12""#),
        (
            "::chrono::",
            r#"chrono = { version = "0.4", default-features = false, features = ["serde", "std"] }"#,
        ),
        (
            "::uuid::",
            r#"uuid = { version = "1", default-features = false, features = ["serde", "std"] }"#,
        ),
    ];
    for (path, line) in optional {
        if code.contains(path) {
            lines.push(line);
        }
    }
    lines.join("\n")
}

/// One debug `cargo build` of the crate in `dir`, timed.
fn cargo_build(dir: &Path, offline: bool) -> Result<Duration, String> {
    let mut command = Command::new(build_cost::cargo());
    command.arg("build");
    if offline {
        command.arg("--offline");
    }
    let started = Instant::now();
    let out = command
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_INCREMENTAL", "0")
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let wall = started.elapsed();
    if !out.status.success() {
        let log = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = log
            .lines()
            .filter(|l| l.starts_with("error"))
            .take(5)
            .collect();
        return Err(format!(
            "cargo build of the generated client failed: {}",
            errors.join("; ")
        ));
    }
    Ok(wall)
}

/// The median compile time of each client (operations, code) over `runs` builds, in the order
/// given. One throw-away crate holds each client in turn (written at `src/client.rs`); its
/// dependencies are built first, untimed, with the largest client, whose dependencies include
/// every other's. The rounds are interleaved so that drift in the machine's speed hits every
/// size alike. The crate is removed afterwards.
fn compile_times(clients: &[(usize, String)], runs: usize) -> Result<Vec<Duration>, String> {
    let dir = std::env::temp_dir().join(format!("clerk-bench-scale-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let result = build_each_in(&dir, clients, runs);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// [`compile_times`] in `dir`.
fn build_each_in(
    dir: &Path,
    clients: &[(usize, String)],
    runs: usize,
) -> Result<Vec<Duration>, String> {
    let largest = clients
        .iter()
        .max_by_key(|(_, code)| code.len())
        .map(|(_, code)| code.as_str())
        .unwrap_or_default();
    build_cost::write_crate(
        dir,
        "generated-client",
        &client_crate_dependencies(largest),
        &[("src/lib.rs", CLIENT_LIB), ("src/client.rs", largest)],
    )?;
    // Not offline: a dependency the workspace never needed (chrono) is not in its Cargo.lock.
    cargo_build(dir, false)?;
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); clients.len()];
    for round in 0..runs {
        for i in 0..clients.len() {
            let index = (i + round) % clients.len();
            // Rewriting the file gives it a new mtime even when the contents are unchanged, so
            // cargo recompiles the crate (and only it).
            std::fs::write(dir.join("src/client.rs"), &clients[index].1)
                .map_err(|e| format!("cannot write the generated client: {e}"))?;
            samples[index].push(cargo_build(dir, true)?);
        }
    }
    Ok(samples
        .iter_mut()
        .map(|times| stats::percentile(times, 0.5))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::client_crate_dependencies;

    #[test]
    fn optional_dependencies_only_when_the_code_names_them() {
        let plain = client_crate_dependencies("pub struct A { pub b: ::std::string::String }");
        assert!(plain.contains("progenitor-client = \"0.15.1\""));
        assert!(plain.contains("serde_json"));
        assert!(!plain.contains("regress") && !plain.contains("chrono") && !plain.contains("uuid"));

        let dated = client_crate_dependencies(
            "pub a: ::chrono::DateTime<::chrono::offset::Utc>, b: ::regress::Regex",
        );
        assert!(dated.contains("chrono = {") && dated.contains("regress = "));
        assert!(!dated.contains("uuid"));
    }
}
