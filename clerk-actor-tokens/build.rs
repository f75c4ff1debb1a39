//! Generates the raw client from the vendored fragment; every rule lives in `build-support`.
fn main() {
    build_support::build_script(std::path::Path::new("../openapi/clerk-actor-tokens.yaml"));
}
