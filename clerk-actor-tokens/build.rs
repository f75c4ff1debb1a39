//! Generates the raw client from the vendored fragment; every rule lives in `build-support`.
//! Without the `codegen` feature, `src/lib.rs` includes the checked-in snapshot instead and there
//! is nothing to do.
//!
//! The fragment is read through `openapi/clerk-actor-tokens.yaml` inside this crate, a symlink to
//! the workspace's one edited copy: `cargo package` stores the file's contents there, so the
//! published crate builds from its own tarball.
fn main() {
    #[cfg(feature = "codegen")]
    build_support::build_script(std::path::Path::new("openapi/clerk-actor-tokens.yaml"));
    #[cfg(not(feature = "codegen"))]
    println!("cargo:rerun-if-changed=build.rs");
}
