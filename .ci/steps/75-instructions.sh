#!/usr/bin/env bash
# The instruction-count benchmark (bench/benches/instructions.rs) still builds and runs under
# callgrind: its quick mode, a few create+revoke pairs per client. It judges no figure (a debug
# build's counts mean nothing; BENCHMARKS.md records release figures). Installs what it needs when
# missing: valgrind (Debian's package) and gungraun-runner at exactly the version of the gungraun
# crate that Cargo.lock pins (the runner refuses another version). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v valgrind >/dev/null || (apt-get update && apt-get install -y valgrind)

version=$(cargo metadata --locked --format-version 1 \
  | jq -r '[.packages[] | select(.name == "gungraun")][0].version')
[ -n "$version" ] && [ "$version" != null ] || { echo "error: gungraun is not in Cargo.lock" >&2; exit 1; }
# The bench finds the runner on PATH; cargo install puts it into $CARGO_HOME/bin.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if [ "$(gungraun-runner --version 2>/dev/null)" != "gungraun-runner $version" ]; then
  echo "--> installing gungraun-runner $version (about 2 minutes)"
  cargo install --locked gungraun-runner --version "=$version"
fi

echo "--> instruction benchmark, quick mode (debug build)"
# A debug build with --workspace: the same profile settings and the same feature unification as
# the `cargo test --workspace` that .ci/run ran before, so its dependency builds are reused and
# only the bench target compiles (a release build would compile about 150 crates once more).
# About a minute, most of it valgrind starting the 12 runs.
CLERK_BENCH_QUICK=1 cargo bench --locked --workspace --profile dev --bench instructions
