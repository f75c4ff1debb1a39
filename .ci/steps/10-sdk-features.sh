#!/usr/bin/env bash
# The SDK's optional `schemars` feature, and its rustdoc (every public item documented, links valid).
set -euo pipefail
cargo clippy -p clerk-actor-tokens --features schemars --all-targets --locked -- -D warnings
cargo test -p clerk-actor-tokens --features schemars --locked
RUSTDOCFLAGS="-D warnings" cargo doc -p clerk-actor-tokens --no-deps --locked
