//! The checked-in snapshots of the generated code: the client (`clerk-actor-tokens/generated/client.rs`)
//! and the typed httpmock extension (`clerk-actor-tokens-httpmock/generated/mock.rs`).
//!
//! It is byte for byte what `build.rs` writes into `OUT_DIR`, so a change of the fragment (or of
//! the generation settings, or of progenitor) shows up in review as a diff of the Rust API, and the
//! SDK can be compiled from it without progenitor (its `codegen` feature off). Build scripts never
//! write into the source tree: only [`bless`], run on purpose, writes the snapshot.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::api_diff::{self, ApiChange, Verdict};
use crate::{SpecErrors, generate_from_file, generate_httpmock_from_file};

/// The fragment, relative to the workspace root.
pub const FRAGMENT: &str = "openapi/clerk-actor-tokens.yaml";
/// The snapshot, relative to the workspace root.
pub const SNAPSHOT: &str = "clerk-actor-tokens/generated/client.rs";
/// The snapshot of the typed httpmock extension, relative to the workspace root.
pub const HTTPMOCK_SNAPSHOT: &str = "clerk-actor-tokens-httpmock/generated/mock.rs";

/// One generated file that has a checked-in copy: where the copy is and how it is generated.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    /// The snapshot, relative to the workspace root.
    pub snapshot: &'static str,
    /// Generates the code from a fragment, exactly as the crate's `build.rs` does.
    pub generate: fn(&Path) -> Result<String, SpecErrors>,
    /// The path users name the generated items by, for the API report (`raw::types::ActorToken`).
    pub api_root: &'static str,
}

/// The generated client of the SDK.
pub const CLIENT: Output = Output {
    snapshot: SNAPSHOT,
    generate: generate_from_file,
    api_root: "raw",
};

/// The typed httpmock extension of `clerk-actor-tokens-httpmock`.
pub const HTTPMOCK: Output = Output {
    snapshot: HTTPMOCK_SNAPSHOT,
    generate: generate_httpmock_from_file,
    api_root: "clerk_actor_tokens_httpmock",
};

/// Every generated file with a snapshot; `snapshot` (check or bless) covers all of them.
pub const OUTPUTS: [Output; 2] = [CLIENT, HTTPMOCK];

/// The command that rewrites the snapshot from the fragment.
pub const BLESS_COMMAND: &str = "cargo run -p build-support -- snapshot --bless";
/// The same, through the snapshot test.
pub const BLESS_TEST_COMMAND: &str =
    "UPDATE_GENERATED=1 cargo test -p build-support --test generated";

/// The workspace this crate was built in (the parent of its manifest directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Why the snapshot could not be confirmed.
#[derive(Debug)]
pub enum SnapshotError {
    /// The fragment cannot be turned into code at all.
    Spec(SpecErrors),
    /// The snapshot cannot be read or written.
    Io {
        /// The snapshot file.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The snapshot differs from the generated code.
    Mismatch(Mismatch),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Spec(e) => write!(f, "{e}"),
            SnapshotError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            SnapshotError::Mismatch(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// The snapshot and the generated code differ; displays as a unified diff with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The snapshot file.
    pub snapshot: PathBuf,
    /// Unified diff from the snapshot (`-`) to the freshly generated code (`+`).
    pub diff: String,
    /// What the change does to users, item by item (see [`api_diff`]); `None` when the snapshot
    /// is missing or does not parse, so there is nothing to compare with.
    pub api: Option<Vec<ApiChange>>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not what build.rs generates from {FRAGMENT}: the generated Rust API changed.\n\n\
             {}\n\
             If this change is intended, re-bless the snapshot and commit it:\n    {BLESS_COMMAND}\n\
             (or: {BLESS_TEST_COMMAND})\n",
            self.snapshot.display(),
            self.diff
        )?;
        if let Some(changes) = &self.api {
            writeln!(f, "\nWhat it does to users of the generated code:")?;
            for change in changes {
                writeln!(f, "{change}")?;
            }
            writeln!(f, "verdict: {}", Verdict::of(changes))?;
        }
        Ok(())
    }
}

/// A unified diff from `snapshot` to `generated`, or `None` when they are equal.
pub fn diff(snapshot: &str, generated: &str) -> Option<String> {
    diff_named(SNAPSHOT, snapshot, generated)
}

/// [`diff`] with `name` (a snapshot path relative to the workspace root) in the diff's header.
pub fn diff_named(name: &str, snapshot: &str, generated: &str) -> Option<String> {
    if snapshot == generated {
        return None;
    }
    let text = similar::TextDiff::from_lines(snapshot, generated);
    Some(
        text.unified_diff()
            .context_radius(3)
            .header(
                &format!("{name} (checked in)"),
                &format!("{name} (generated from {FRAGMENT})"),
            )
            .to_string(),
    )
}

/// Compares already generated code with the snapshot file (a missing file counts as empty).
pub fn compare(generated: &str, snapshot: &Path) -> Result<(), SnapshotError> {
    compare_named(SNAPSHOT, generated, snapshot)
}

/// [`compare`] with `name` in the diff's header.
pub fn compare_named(name: &str, generated: &str, snapshot: &Path) -> Result<(), SnapshotError> {
    let current = match std::fs::read_to_string(snapshot) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => {
            return Err(SnapshotError::Io {
                path: snapshot.to_path_buf(),
                error,
            });
        }
    };
    match diff_named(name, &current, generated) {
        None => Ok(()),
        Some(diff) => Err(SnapshotError::Mismatch(Mismatch {
            snapshot: snapshot.to_path_buf(),
            diff,
            api: api_root(name).and_then(|root| api_diff::compare(root, &current, generated).ok()),
        })),
    }
}

/// The API root of the output whose snapshot is `name`.
fn api_root(name: &str) -> Option<&'static str> {
    OUTPUTS
        .iter()
        .find(|o| o.snapshot == name)
        .map(|o| o.api_root)
}

/// Generates from `fragment` exactly as `build.rs` does and compares with `snapshot`.
pub fn check(fragment: &Path, snapshot: &Path) -> Result<(), SnapshotError> {
    check_output(CLIENT, fragment, snapshot)
}

/// Rewrites `snapshot` from `fragment`; returns whether its content changed.
pub fn bless(fragment: &Path, snapshot: &Path) -> Result<bool, SnapshotError> {
    bless_output(CLIENT, fragment, snapshot)
}

/// [`check`] for any generated file.
pub fn check_output(output: Output, fragment: &Path, snapshot: &Path) -> Result<(), SnapshotError> {
    let generated = (output.generate)(fragment).map_err(SnapshotError::Spec)?;
    compare_named(output.snapshot, &generated, snapshot)
}

/// [`bless`] for any generated file.
pub fn bless_output(
    output: Output,
    fragment: &Path,
    snapshot: &Path,
) -> Result<bool, SnapshotError> {
    let generated = (output.generate)(fragment).map_err(SnapshotError::Spec)?;
    if std::fs::read_to_string(snapshot).is_ok_and(|old| old == generated) {
        return Ok(false);
    }
    let io = |error| SnapshotError::Io {
        path: snapshot.to_path_buf(),
        error,
    };
    if let Some(dir) = snapshot.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(snapshot, generated).map_err(io)?;
    Ok(true)
}
