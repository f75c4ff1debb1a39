#!/usr/bin/env bash
# Lean dependency graphs: one version of each crate the SDK links, no generator where the user
# turned it off, and no CLI tooling in the SDK's build. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "error: $*" >&2; exit 1; }
# The crates (name version) that package $1 compiles, over the edges $2.
crates() { cargo tree --locked -p "$1" "${@:3}" -e "$2" --prefix none --format '{p}' | sort -u; }

echo "--> one version of every crate the SDK links (cargo tree -d), for each feature set"
for features in "" "--no-default-features" "--all-features"; do
  # Normal edges: what ends up in the user's binary.
  dups=$(cargo tree --locked -d -p clerk-actor-tokens $features -e normal 2>/dev/null)
  [ -z "$dups" ] || { echo "$dups"; fail "clerk-actor-tokens ${features:-(default features)} links two versions of a crate"; }
done
# Without codegen, build scripts and proc macros too (with it, the generator brings its own syn 2).
dups=$(cargo tree --locked -d -p clerk-actor-tokens --no-default-features -e normal,build 2>/dev/null)
[ -z "$dups" ] || { echo "$dups"; fail "clerk-actor-tokens without codegen compiles two versions of a crate"; }

echo "--> the SDK's build never compiles build-support's CLI (clap, similar)"
if crates clerk-actor-tokens normal,build | grep -E '^(clap|similar) '; then
  fail "clerk-actor-tokens' build pulls in build-support's CLI dependencies"
fi

echo "--> without codegen, no generator (progenitor-client, the runtime part, is expected)"
if crates clerk-actor-tokens normal,build --no-default-features | grep -E '^(progenitor|build-support) '; then
  fail "clerk-actor-tokens without codegen still compiles the generator"
fi

echo "--> the fake and the CLI do not turn the SDK's codegen back on"
# What a user gets from `clerk-actor-tokens-fake` as a dev-dependency (or installing the CLI).
# The fake uses build-support's spec model, which is fine; the generator (progenitor) is not.
for package in clerk-actor-tokens-fake clerk-actor-tokens-cli; do
  if crates "$package" normal,build | grep -E '^progenitor '; then
    fail "$package enables the SDK's default features (codegen)"
  fi
done
echo "--> the fake and the CLI leave serde_json's behaviour alone (no preserve_order, arbitrary_precision)"
# A feature of serde_json changes `serde_json::Map` (key order) or number handling for every crate
# of the user's binary: their tests would see other JSON than their production build does.
# (jsonschema, the fake's validator, turns on `float_roundtrip`: floats parse exactly instead of
# to within one ulp. It changes no map order, type or API, so it is not refused here.)
for package in clerk-actor-tokens-fake clerk-actor-tokens-cli; do
  changed=$(cargo tree --locked -p "$package" -e features,normal -i serde_json --prefix none 2>/dev/null \
    | grep -oE 'serde_json feature "(preserve_order|arbitrary_precision|unbounded_depth)"' | sort -u || true)
  [ -z "$changed" ] || { echo "$changed"; fail "$package turns on serde_json features that change its behaviour"; }
done
echo "--> the SDK's http2 feature adds only what reqwest's http2 needs"
# Crate names the build compiles (normal and build edges), without cargo tree's markers.
names() { cargo tree --locked -p clerk-actor-tokens "$@" -e normal,build --prefix none --format '{p}' \
  | sed 's/ (\*)$//; s/ (proc-macro)$//' | cut -d' ' -f1 | sort -u; }
added() { comm -13 <(names "$@") <(names "$@" --features http2) | tr '\n' ' '; }
# With codegen, the generator already brings h2's other dependencies (indexmap, tokio-util...).
[ "$(added)" = "fnv h2 " ] || fail "with codegen, the http2 feature adds: $(added)"
[ "$(added --no-default-features)" = "equivalent fnv h2 hashbrown indexmap " ] \
  || fail "without codegen, the http2 feature adds: $(added --no-default-features)"
echo "lean checks passed"
