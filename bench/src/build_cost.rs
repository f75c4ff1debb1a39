//! Section 3: what code generation costs the build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::stats::median;

/// The workspace root (this crate lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The cargo that runs the bench (`$CARGO` under `cargo run`), else the one on `PATH`.
pub fn cargo() -> String {
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

/// One small application of the side-by-side build comparison: it creates and revokes an actor
/// token, once through the SDK and once through a hand-written reqwest client.
pub struct Consumer {
    /// How the tables name it.
    pub name: &'static str,
    /// The `[dependencies]` lines (`{sdk}` stands for the SDK's path).
    dependencies: &'static str,
    /// `src/main.rs`.
    main_rs: &'static str,
    /// The SDK feature this consumer turns on that not every version of the SDK has: without it
    /// the consumer is skipped rather than failed (see [`sdk_features`]).
    pub sdk_feature: Option<&'static str>,
}

const SDK_MAIN: &str = r#"use std::time::Duration;
use clerk_actor_tokens::{Actor, Clerk};

#[tokio::main]
async fn main() -> Result<(), clerk_actor_tokens::Error> {
    let clerk = Clerk::from_env()?;
    let token = clerk
        .actor_tokens()
        .create("user_1", Actor::new("user_admin"))
        .expires_in(Duration::from_secs(600))
        .send()
        .await?;
    println!("{} {:?}", token.id(), token.url().is_some());
    clerk.actor_tokens().revoke(token.id()).send().await?;
    Ok(())
}
"#;

const HAND_WRITTEN_MAIN: &str = r#"use serde::Deserialize;

#[derive(Deserialize)]
struct ActorToken {
    id: String,
    status: String,
    url: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = std::env::var("CLERK_SECRET_KEY")?;
    let http = reqwest::Client::new();
    let token: ActorToken = http
        .post("https://api.clerk.com/v1/actor_tokens")
        .bearer_auth(&key)
        .json(&serde_json::json!({"user_id": "user_1", "actor": {"sub": "user_admin"}, "expires_in_seconds": 600}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("{} {} {}", token.id, token.status, token.url.is_some());
    http.post(format!("https://api.clerk.com/v1/actor_tokens/{}/revoke", token.id))
        .bearer_auth(&key)
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}
"#;

/// The consumers, the baseline first: the same program with the same TLS stack (reqwest's
/// `rustls`, as the SDK uses) and runtime, by hand and through the SDK with and without `codegen`,
/// and without `codegen` but with `http2` (reqwest's HTTP/2: h2 and what it brings), whose cost is
/// the difference to the SDK without codegen.
pub const CONSUMERS: [Consumer; 4] = [
    Consumer {
        name: "hand-written reqwest client",
        dependencies: r#"reqwest = { version = "0.13", default-features = false, features = ["json", "rustls"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#,
        main_rs: HAND_WRITTEN_MAIN,
        sdk_feature: None,
    },
    Consumer {
        name: "SDK without codegen",
        dependencies: r#"clerk-actor-tokens = { path = "{sdk}", default-features = false }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#,
        main_rs: SDK_MAIN,
        sdk_feature: None,
    },
    Consumer {
        name: "SDK, default features (codegen)",
        dependencies: r#"clerk-actor-tokens = { path = "{sdk}" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#,
        main_rs: SDK_MAIN,
        sdk_feature: None,
    },
    Consumer {
        name: "SDK without codegen, with http2",
        dependencies: r#"clerk-actor-tokens = { path = "{sdk}", default-features = false, features = ["http2"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }"#,
        main_rs: SDK_MAIN,
        sdk_feature: Some("http2"),
    },
];

/// The features the workspace's SDK declares (`cargo metadata`), so that a consumer that needs a
/// feature this version lacks can be skipped.
pub fn sdk_features() -> Result<Vec<String>, String> {
    let out = Command::new(cargo())
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let sdk = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "clerk-actor-tokens")
        .ok_or("cargo metadata lists no clerk-actor-tokens")?;
    Ok(sdk["features"]
        .as_object()
        .map(|features| features.keys().cloned().collect())
        .unwrap_or_default())
}

/// A clean build of one consumer: wall time and how many crates cargo compiled.
pub struct CleanBuild {
    /// Wall time of `cargo build` (debug) in a fresh target directory.
    pub wall: Duration,
    /// Crates compiled, the consumer included.
    pub crates: usize,
}

/// Writes a throw-away crate named `name` as its own workspace under `dir`: the manifest with
/// `dependencies` (lines of a `[dependencies]` table), the `files` (paths relative to `dir`), and
/// this workspace's Cargo.lock, so that it gets the same dependency versions as the workspace
/// (and needs no network for those).
pub fn write_crate(
    dir: &Path,
    name: &str,
    dependencies: &str,
    files: &[(&str, &str)],
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write the crate in {}: {e}", dir.display());
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{dependencies}\n\n[workspace]\n"
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(io)?;
    for (path, contents) in files {
        std::fs::write(dir.join(path), contents).map_err(io)?;
    }
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).map_err(io)?;
    Ok(())
}

/// Writes `consumer` as its own crate under `dir` (see [`write_crate`]).
fn write_consumer(dir: &Path, consumer: &Consumer) -> Result<(), String> {
    let sdk = workspace_root().join("clerk-actor-tokens");
    let sdk = sdk.canonicalize().unwrap_or(sdk);
    let dependencies = consumer
        .dependencies
        .replace("{sdk}", &sdk.to_string_lossy());
    write_crate(
        dir,
        "consumer",
        &dependencies,
        &[("src/main.rs", consumer.main_rs)],
    )
}

/// Builds `consumer` from scratch (fresh target directory, removed afterwards), offline.
pub fn clean_consumer_build(consumer: &Consumer) -> Result<CleanBuild, String> {
    let dir = std::env::temp_dir().join(format!(
        "clerk-bench-consumer-{}-{}",
        std::process::id(),
        consumer
            .name
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    write_consumer(&dir, consumer)?;
    let started = Instant::now();
    let out = Command::new(cargo())
        .args(["build", "--offline"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_INCREMENTAL", "0")
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"));
    let wall = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(log.into_owned());
    }
    let crates = log
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    Ok(CleanBuild { wall, crates })
}

#[cfg(test)]
mod tests {
    /// The skip decision of section 3 reads the SDK's features; `codegen` is one in every version.
    #[test]
    fn sdk_features_lists_the_sdks_features() {
        let features = super::sdk_features().expect("cargo metadata");
        assert!(features.iter().any(|f| f == "codegen"), "{features:?}");
    }
}
