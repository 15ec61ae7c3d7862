#!/usr/bin/env bash
# Fuzzes the JSON API with schemathesis (from PyPI) against a running Gatehouse: a debug
# build on a temporary SQLite database and a free loopback port, an admin made with
# `gatehouse create-admin` and a token from `gatehouse create-token`. Every operation of
# /api/openapi.json is tested for a bounded time (SCHEMATHESIS_MAX_TIME seconds, default
# 180) with the checks below; any finding, or a server that dies, fails this script.
# SCHEMATHESIS_DATABASE_URL runs it on another (empty) database, e.g. PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

max_time="${SCHEMATHESIS_MAX_TIME:-180}"
venv="${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-schemathesis}"
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance

if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    rm -rf "$venv" && python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
"$venv/bin/schemathesis" --version

cargo build --locked --bin gatehouse
bin="$PWD/target/debug/gatehouse"
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export DATABASE_URL="${SCHEMATHESIS_DATABASE_URL:-sqlite://$work/gatehouse.db}"
export GATEHOUSE_ADDR="127.0.0.1:$port"
export GATEHOUSE_SECRET_KEY
GATEHOUSE_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(64))')
export GATEHOUSE_BCRYPT_COST=4 GATEHOUSE_IP_RATE_LIMIT=off GATEHOUSE_MAIL="file:$work/outbox" RUST_LOG=warn

echo 'schemathesis admin passphrase' | "$bin" create-admin --email fuzz-admin@example.com --name "Fuzz Admin"
token=$("$bin" create-token --email fuzz-admin@example.com --name schemathesis)

"$bin" serve >"$work/server.log" 2>&1 &
server=$!
healthy() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$base/healthz" 2>/dev/null; }
for _ in $(seq 1 50); do
  healthy && break
  sleep 0.2
done
healthy || { cat "$work/server.log" >&2; echo "FAIL: the server did not start" >&2; exit 1; }

status=0
# Run from the temp folder: schemathesis keeps a cache in its working directory.
# One worker: with two threads, CPython 3.11.7's ast.parse (used by hypothesis to describe
# filters) can fail with "SystemError: AST constructor recursion depth mismatch", an
# interpreter bug fixed in later 3.11 releases, which schemathesis reports as an error.
(cd "$work" && "$venv/bin/schemathesis" run "$base/api/openapi.json" \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks "$checks" \
  --max-time "$max_time" \
  --rate-limit auto \
  --workers 1) || status=$?

if ! kill -0 "$server" 2>/dev/null; then
  echo "FAIL: the server died during the run" >&2
  status=1
fi
if grep -E "panicked|ERROR gatehouse" "$work/server.log"; then
  echo "FAIL: the server logged errors (above)" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "schemathesis: no findings"
exit "$status"
