//! Section 3: what code generation costs the build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::stats::median;

/// The workspace root (this crate lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Median and maximum wall time of the exact entry point `build.rs` calls.
pub fn generation_time(samples: usize) -> Result<(Duration, Duration), String> {
    let fragment = workspace_root().join("openapi/clerk-actor-tokens.yaml");
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        build_support::generate_from_file(&fragment).map_err(|e| e.to_string())?;
        times.push(t.elapsed());
    }
    let secs: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    let max = times.iter().max().copied().unwrap_or_default();
    Ok((Duration::from_secs_f64(median(&secs)), max))
}

/// Builds the SDK twice (verbose) and reports whether the second, no-op build reran the build
/// script. Cargo prints `Fresh clerk-actor-tokens` for a unit it did not rebuild.
pub fn noop_build_reruns_build_script() -> Result<bool, String> {
    let build = || -> Result<String, String> {
        let out = Command::new(cargo())
            .args(["build", "-v", "-p", "clerk-actor-tokens"])
            .current_dir(workspace_root())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stderr).into_owned())
    };
    build()?;
    let second = build()?;
    let reran = second.lines().any(|l| {
        l.contains("Running")
            && l.contains("clerk-actor-tokens-")
            && l.contains("build-script-build")
    });
    let fresh = second
        .lines()
        .any(|l| l.contains("Fresh clerk-actor-tokens "));
    Ok(reran || !fresh)
}

/// Clean build time of the SDK crate in a fresh target directory with extra cargo `args`.
pub fn clean_build(args: &[&str]) -> Result<Duration, String> {
    let dir = std::env::temp_dir().join(format!(
        "clerk-bench-clean-{}-{}",
        std::process::id(),
        args.join("").replace(['-', ' '], "")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let started = Instant::now();
    let out = Command::new(cargo())
        .args(["build", "-q", "-p", "clerk-actor-tokens"])
        .args(args)
        .env("CARGO_TARGET_DIR", &dir)
        .current_dir(workspace_root())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(elapsed)
}
