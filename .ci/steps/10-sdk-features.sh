#!/usr/bin/env bash
# The SDK's optional `schemars` and `http2` features (the workspace's tests turn on `http2`, so
# this is where the SDK's own targets build with it), and its rustdoc (every public item documented, links valid).
set -euo pipefail
cargo clippy -p clerk-actor-tokens --features schemars --all-targets --locked -- -D warnings
cargo test -p clerk-actor-tokens --features schemars --locked
cargo clippy -p clerk-actor-tokens --features http2 --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc -p clerk-actor-tokens --no-deps --locked
