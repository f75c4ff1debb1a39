//! Generates the typed mocks from the vendored fragment, exactly as the SDK generates its client.
//! Without the `codegen` feature, `src/lib.rs` includes the checked-in snapshot instead.
//!
//! `openapi/clerk-actor-tokens.yaml` in this crate is a symlink to the workspace's one edited
//! fragment, so that the packaged crate carries it (see the SDK's build.rs).
fn main() {
    #[cfg(feature = "codegen")]
    build_support::build_script_httpmock(std::path::Path::new("openapi/clerk-actor-tokens.yaml"));
    #[cfg(not(feature = "codegen"))]
    println!("cargo:rerun-if-changed=build.rs");
}
