#!/usr/bin/env bash
# The update command's verdicts agree with cargo-semver-checks: for each applied case of the
# corpus (build-support/tests/update_corpus.rs), `update` runs on a full copy of the workspace and
# cargo-semver-checks compares the SDK built from the new snapshot with this workspace's. Needs
# cargo-semver-checks, which 60-semver.sh installs. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "--> update's verdicts against cargo-semver-checks, case by case"
VERDICTS_TARGET_DIR="$PWD/target/verdicts" \
  cargo test --locked -q -p build-support --test update_corpus -- --ignored --nocapture \
  verdicts_agree_with_cargo_semver_checks
