#!/usr/bin/env bash
# Contract check of the fake against the vendored OpenAPI fragment with schemathesis (pinned):
# every check, deterministic generation, bounded examples, zero failures allowed. Settings the
# fragment needs are in schemathesis.toml (read from the repo root). Run from the repo root.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
VENV=.venv-schemathesis

step() { printf -- '--> %s\n' "$*"; }

if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version | grep -q "$SCHEMATHESIS_VERSION"; then
  step "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

step "building the CLI"
cargo build --locked --quiet -p clerk-actor-tokens-cli
bin=target/debug/clerk-actor-tokens

out=$(mktemp -d)
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ] && kill -0 "$fake_pid" 2>/dev/null; then
    kill -TERM "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
  fi
  rm -rf "$out"
}
trap cleanup EXIT

step "starting the fake on a free port"
"$bin" fake --port 0 --host 127.0.0.1 >"$out/stdout" 2>"$out/stderr" &
fake_pid=$!
base=
for _ in $(seq 1 100); do
  line=$(head -n 1 "$out/stdout" 2>/dev/null || true)
  case "$line" in
    "listening on "*) base=${line#listening on }; break ;;
  esac
  kill -0 "$fake_pid" 2>/dev/null || { cat "$out/stderr" >&2; echo "the fake exited" >&2; exit 1; }
  sleep 0.05
done
[ -n "$base" ] || { echo "the fake did not announce its address" >&2; exit 1; }
step "fake at $base (pid $fake_pid)"

step "schemathesis run --checks all"
"$VENV/bin/schemathesis" run openapi/clerk-actor-tokens.yaml \
  --url "$base" \
  --header "Authorization: Bearer sk_test_schemathesis" \
  --checks all \
  --generation-deterministic \
  --max-examples 100 \
  --workers 1 \
  --no-color
