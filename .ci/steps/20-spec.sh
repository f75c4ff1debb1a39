#!/usr/bin/env bash
# Spec checks: the fragment passes the build rules, it has not drifted from Clerk's published spec,
# and the SDK builds and passes its tests from the checked-in snapshot (feature `codegen` off) as
# well as from generated code (covered by `cargo test --workspace` in .ci/run, which also runs the
# snapshot test `build-support/tests/generated.rs`). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

upstream=../shared/upstream/clerk-bapi.yml

echo "--> build-support check"
cargo run -q --locked -p build-support -- check

echo "--> build-support diff-upstream $upstream"
cargo run -q --locked -p build-support -- diff-upstream "$upstream"

echo "--> build-support snapshot (generated client == clerk-actor-tokens/generated/client.rs)"
cargo run -q --locked -p build-support -- snapshot

echo "--> SDK from the snapshot: clippy and tests without the codegen feature"
cargo clippy --locked -p clerk-actor-tokens --no-default-features --all-targets -- -D warnings
cargo test --locked -p clerk-actor-tokens --no-default-features

echo "--> the SDK's build dependencies stay lean"
# With codegen: the generator, but never the CLI's clap or similar (build-support's `cli` feature).
with_codegen=$(cargo tree --locked -p clerk-actor-tokens -e normal,build --prefix none --format '{p}')
if grep -E '^(clap|similar) ' <<<"$with_codegen"; then
  echo "error: clerk-actor-tokens' build pulls in build-support's CLI dependencies" >&2
  exit 1
fi
# Without codegen: no generator at all (progenitor-client, the runtime part, is expected).
without_codegen=$(cargo tree --locked -p clerk-actor-tokens --no-default-features -e normal,build --prefix none --format '{p}')
if grep -E '^(progenitor|build-support) ' <<<"$without_codegen"; then
  echo "error: clerk-actor-tokens without codegen still compiles the generator" >&2
  exit 1
fi
echo "spec checks passed"
