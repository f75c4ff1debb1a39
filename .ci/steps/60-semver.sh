#!/usr/bin/env bash
# The SDK's public API, item by item, against the last release (the commit in .ci/semver-baseline,
# released as clerk-actor-tokens 0.1.0): cargo-semver-checks fails when a change needs a bigger
# version bump than Cargo.toml has, and lists the items that changed. Installed when missing, into
# ~/.cargo/bin (outside the repository). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

SEMVER_CHECKS_VERSION=0.51
baseline=$(tr -d '[:space:]' < .ci/semver-baseline)

if ! cargo semver-checks --version 2>/dev/null | grep -q "cargo-semver-checks $SEMVER_CHECKS_VERSION\."; then
  echo "--> installing cargo-semver-checks $SEMVER_CHECKS_VERSION (takes minutes)"
  cargo install --locked cargo-semver-checks --version "^$SEMVER_CHECKS_VERSION"
fi

echo "--> clerk-actor-tokens against $baseline (0.1.0)"
git cat-file -e "$baseline^{commit}" || { echo "error: baseline $baseline is not in this clone's history" >&2; exit 1; }
# Without codegen both sides compile their checked-in snapshot: the same API, no generator.
cargo semver-checks check-release -p clerk-actor-tokens --baseline-rev "$baseline" \
  --only-explicit-features --features schemars

echo "--> what changed since $baseline (informational: every item a patch release could not carry)"
cargo semver-checks check-release -p clerk-actor-tokens --baseline-rev "$baseline" \
  --only-explicit-features --features schemars --release-type patch || true
