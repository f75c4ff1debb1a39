//! Everything that turns `openapi/clerk-actor-tokens.yaml` into Rust lives here, so that the SDK's
//! `build.rs` stays a few lines and progenitor never enters the SDK's runtime dependency tree.
//!
//! The pipeline is: [`Fragment::load`] (YAML to JSON and to a typed OpenAPI document), [`rules::check`]
//! (the project's own rules, each with a name), `generate::generate` (progenitor, then
//! prettyplease; feature `codegen`). `build_script` (feature `codegen`) is the whole of what
//! `build.rs` calls.
//!
//! Every part reads the document through one model, [`spec`] (document, JSON pointers, `$ref`
//! resolution, operations, the schema walk), which needs no generator: the fake's request
//! validator depends on this crate without the `codegen` feature for it.
//!
//! The spec tooling lives here too, so that it applies exactly the same rules: [`diff`] compares the
//! fragment with Clerk's full spec (honouring [`deviations`]), [`extract`] cuts a new fragment out
//! of it (both feature `tooling`), and `snapshot` (feature `snapshot`) keeps the checked-in copy of
//! the generated code.
//! The `build-support` binary (feature `cli`) exposes them as `check`, `diff-upstream`, `extract`
//! and `snapshot`.
//!
//! [`release`] (feature `cli`) is the release check's logic: whether the crates' versions are
//! bumped as much as the changelog's entries since the last release require (`release-check`).

#[cfg(feature = "codegen")]
pub mod api_diff;
pub mod deviations;
#[cfg(feature = "tooling")]
pub mod diff;
#[cfg(feature = "tooling")]
pub mod extract;
#[cfg(feature = "codegen")]
pub mod generate;
#[cfg(feature = "cli")]
pub mod release;
pub mod rules;
#[cfg(feature = "snapshot")]
pub mod snapshot;
pub mod spec;
#[cfg(feature = "codegen")]
pub mod update;
#[cfg(feature = "tooling")]
pub mod yaml;

use std::fmt;
#[cfg(feature = "codegen")]
use std::path::Path;
use std::path::PathBuf;

pub use spec::Fragment;

/// Name of the file that generation writes into `OUT_DIR`.
#[cfg(feature = "codegen")]
pub const GENERATED_FILE_NAME: &str = "clerk_actor_tokens_generated.rs";
/// Name of the file that the typed httpmock extension is generated into (in its crate's `OUT_DIR`).
#[cfg(feature = "codegen")]
pub const HTTPMOCK_FILE_NAME: &str = "clerk_actor_tokens_httpmock_generated.rs";

/// `text` on one line: every run of white space, line breaks included, becomes one space. The
/// command-line tools (`build-support`, the SDK's CLI) print each problem as one line with it,
/// whatever the underlying message holds.
///
/// ```
/// assert_eq!(build_support::one_line("a\n  b\tc "), "a b c");
/// ```
pub fn one_line(text: impl fmt::Display) -> String {
    text.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// One reason a fragment cannot be used, naming the file, the rule and where in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The fragment that was read.
    pub file: PathBuf,
    /// Short name of the rule that was broken (e.g. `openapi-version`).
    pub rule: &'static str,
    /// JSON pointer into the fragment, empty for the whole document.
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "#"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{}: rule `{}` broken at {}: {}",
            self.file.display(),
            self.rule,
            at,
            self.message
        )
    }
}

impl std::error::Error for SpecError {}

/// All problems found in one fragment; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

impl From<SpecError> for SpecErrors {
    fn from(e: SpecError) -> Self {
        SpecErrors(vec![e])
    }
}

/// Loads and checks the fragment and returns the formatted Rust source of the client.
///
/// This is the single entry point shared by `build.rs`, the snapshot test and the benchmarks, so
/// all of them see exactly the same code.
#[cfg(feature = "codegen")]
pub fn generate_from_file(path: &Path) -> Result<String, SpecErrors> {
    let fragment = Fragment::load(path)?;
    rules::check(&fragment)?;
    Ok(generate::generate(&fragment)?)
}

/// What `build.rs` runs: generate from `fragment` into `$OUT_DIR/`[`GENERATED_FILE_NAME`].
///
/// On failure it prints every broken rule to stderr and exits with status 1, so cargo shows a
/// readable message instead of a panic and a backtrace.
#[cfg(feature = "codegen")]
pub fn build_script(fragment: &Path) {
    build_script_with(fragment, GENERATED_FILE_NAME, generate_from_file);
}

/// Loads and checks the fragment and returns the formatted Rust source of the typed httpmock
/// extension (see [`generate::generate_httpmock`]); the same rules apply as for the client.
#[cfg(feature = "codegen")]
pub fn generate_httpmock_from_file(path: &Path) -> Result<String, SpecErrors> {
    let fragment = Fragment::load(path)?;
    rules::check(&fragment)?;
    Ok(generate::generate_httpmock(&fragment)?)
}

/// What the httpmock crate's `build.rs` runs: like [`build_script`], into
/// `$OUT_DIR/`[`HTTPMOCK_FILE_NAME`].
#[cfg(feature = "codegen")]
pub fn build_script_httpmock(fragment: &Path) {
    build_script_with(fragment, HTTPMOCK_FILE_NAME, generate_httpmock_from_file);
}

#[cfg(feature = "codegen")]
fn build_script_with(
    fragment: &Path,
    file_name: &str,
    generate: fn(&Path) -> Result<String, SpecErrors>,
) {
    // Exactly the inputs: the fragment. Changes to this crate rebuild the build script anyway.
    println!("cargo:rerun-if-changed={}", fragment.display());
    let result = generate(fragment).and_then(|code| {
        let out_dir = std::env::var_os("OUT_DIR").ok_or_else(|| SpecError {
            file: fragment.to_path_buf(),
            rule: "build-environment",
            pointer: String::new(),
            message: "OUT_DIR is not set; build_script must run from a cargo build script".into(),
        })?;
        let out = Path::new(&out_dir).join(file_name);
        write_if_changed(&out, &code).map_err(|e| {
            SpecErrors::from(SpecError {
                file: fragment.to_path_buf(),
                rule: "build-environment",
                pointer: String::new(),
                message: format!("cannot write {}: {e}", out.display()),
            })
        })
    });
    if let Err(errors) = result {
        eprintln!("error: the OpenAPI fragment cannot be turned into a client:");
        for e in &errors.0 {
            eprintln!("  {e}");
        }
        std::process::exit(1);
    }
}

/// Leaves the file (and its mtime) alone when the content is the same, so that an unchanged
/// fragment never forces the crate to recompile.
#[cfg(feature = "codegen")]
fn write_if_changed(path: &Path, content: &str) -> std::io::Result<()> {
    match std::fs::read_to_string(path) {
        Ok(old) if old == content => Ok(()),
        _ => std::fs::write(path, content),
    }
}
