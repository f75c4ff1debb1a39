#!/usr/bin/env bash
# Every crate a user depends on packages and builds from its own tarball: `cargo package` verifies
# each one (cargo resolves the unpublished workspace crates through a temporary local registry),
# the SDK and the mocks once more without `codegen`, and the fragment each package carries is
# byte for byte the workspace's openapi/clerk-actor-tokens.yaml. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

fragment=openapi/clerk-actor-tokens.yaml
published=(build-support clerk-actor-tokens clerk-actor-tokens-httpmock clerk-actor-tokens-fake clerk-actor-tokens-cli)
package_args=()
for p in "${published[@]}"; do package_args+=(-p "$p"); done

version() { cargo metadata --locked --no-deps --format-version 1 | jq -r --arg n "$1" '.packages[] | select(.name == $n) | .version'; }

# cargo package unpacks the tarballs it verifies against into $CARGO_HOME's registry cache, under
# each crate's name and version, and reuses a copy unpacked there before: on a machine that
# packaged the same version earlier, the verification would build against stale sources. Our own
# crates' copies go first (a published crate's copy is simply unpacked again).
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for p in "${published[@]}"; do
  rm -rf "$cargo_home"/registry/src/*/"$p-$(version "$p")"
done

echo "--> cargo package (builds each crate from its tarball, default features)"
cargo package --locked --allow-dirty "${package_args[@]}"

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
for p in "${published[@]}"; do
  tar -xzf "target/package/$p-$(version "$p").crate" -C "$unpacked"
done

echo "--> the packaged fragments equal $fragment"
for p in clerk-actor-tokens clerk-actor-tokens-httpmock clerk-actor-tokens-fake; do
  copy="$unpacked/$p-$(version "$p")/openapi/clerk-actor-tokens.yaml"
  [ -f "$copy" ] && [ ! -L "$copy" ] || { echo "error: $p's package carries no fragment file" >&2; exit 1; }
  cmp "$fragment" "$copy"
done

echo "--> the SDK and the mocks from their tarballs without codegen (the generated snapshot)"
# Outside the workspace, with the unpacked crates standing in for crates.io.
patches=()
for p in "${published[@]}"; do
  patches+=(--config "patch.crates-io.$p.path=\"$unpacked/$p-$(version "$p")\"")
done
root=$PWD
for p in clerk-actor-tokens clerk-actor-tokens-httpmock; do
  dir="$unpacked/$p-$(version "$p")"
  # The workspace's lock pins the same versions CI tested; the shared target dir reuses their builds.
  cp Cargo.lock "$dir/Cargo.lock"
  (cd "$dir" && CARGO_TARGET_DIR="$root/target" cargo build --no-default-features "${patches[@]}")
done
echo "package checks passed"
