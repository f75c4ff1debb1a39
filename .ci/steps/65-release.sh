#!/usr/bin/env bash
# The changelog side of the version bump: every published crate's version must be bumped at least
# as much as CHANGELOG.md's entries since the last release (the commit in .ci/semver-baseline)
# require by Cargo's semver rules. `release-check` prints one line per crate and names the entries
# a too small bump leaves out. 60-semver.sh checks the SDK's API itself. Run from the repo root.
set -euo pipefail
cd "$(dirname "$0")/../.."

baseline=$(tr -d '[:space:]' < .ci/semver-baseline)

echo "--> CHANGELOG.md's entries since $baseline against the crates' versions"
cargo run -q --locked -p build-support -- release-check
echo "release checks passed"
