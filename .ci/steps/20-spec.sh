#!/usr/bin/env bash
# Spec checks: the fragment passes the build rules, it has not drifted from Clerk's published spec,
# and the SDK builds and passes its tests from the checked-in snapshot (feature `codegen` off) as
# well as from generated code (covered by `cargo test --workspace` in .ci/run, which also runs the
# snapshot test `build-support/tests/generated.rs`; .ci/run prints the snapshot diff before
# anything else compiles). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

upstream=../shared/upstream/clerk-bapi.yml

echo "--> build-support check"
cargo run -q --locked -p build-support -- check

echo "--> build-support diff-upstream $upstream"
cargo run -q --locked -p build-support -- diff-upstream "$upstream"

echo "--> SDK from the snapshot: clippy and tests without the codegen feature"
cargo clippy --locked -p clerk-actor-tokens --no-default-features --all-targets -- -D warnings
cargo test --locked -p clerk-actor-tokens --no-default-features

echo "--> the spec model alone (what the fake and the CLI link, without preserve_order): clippy and tests"
cargo clippy --locked -p build-support --no-default-features --all-targets -- -D warnings
cargo test --locked -p build-support --no-default-features

echo "spec checks passed"
