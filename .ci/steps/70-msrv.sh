#!/usr/bin/env bash
# The MSRV claim (workspace `rust-version`), as far as it can be proven without that toolchain:
# the MSRV-aware resolver (`resolver = "3"`) picks dependency versions for it, clippy's
# `incompatible_msrv` (denied in .ci/run) rejects newer std APIs in our code, and here every
# locked dependency that declares a `rust-version` must declare one no newer than the claim.
# Dependencies that declare none are listed: for them the claim is unproven. Run from the repo root.
set -euo pipefail
cd "$(dirname "$0")/../.."

metadata=$(cargo metadata --locked --format-version 1)
claim=$(jq -r '[.packages[] | select(.name == "clerk-actor-tokens")][0].rust_version' <<<"$metadata")
echo "--> every locked dependency's rust-version <= $claim"
# Only what the lock resolves (all platforms), not every package cargo knows of.
report=$(jq -r --arg claim "$claim" '
  def v: split(".") | map(tonumber) | . + [0, 0] | .[0:3];
  ([.resolve.nodes[].id]) as $locked
  | [.packages[] | select(.id as $id | $locked | index($id))]
  | (map(select(.rust_version != null and (.rust_version | v) > ($claim | v)))
      | map("too new: \(.name) \(.version) needs Rust \(.rust_version)") | .[]),
    ("undeclared: " + (map(select(.rust_version == null) | "\(.name) \(.version)") | join(", ")))
' <<<"$metadata")
grep -v '^too new' <<<"$report" || true
if grep '^too new' <<<"$report"; then
  echo "error: a dependency needs a newer Rust than the claimed rust-version $claim" >&2
  exit 1
fi
echo "msrv checks passed"
