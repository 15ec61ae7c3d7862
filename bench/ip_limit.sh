#!/usr/bin/env bash
# The per-IP limit counted in the database: how fast one instance answers a client that is
# over its allowance (each refused POST is one conditional upsert in `ip_limits`), next to
# GET /login, which the limit does not touch. Release build, fresh SQLite file, wrk.
#
#   cargo build --release && bash bench/ip_limit.sh [--database URL]
set -euo pipefail
cd "$(dirname "$0")/.."
database="sqlite://$(mktemp -d)/ip-limit.db"
[ "${1:-}" = "--database" ] && database="$2"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
port=18099
DATABASE_URL="$database" GATEHOUSE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  GATEHOUSE_IP_RATE_LIMIT=30/min GATEHOUSE_SECRET_KEY="$(openssl rand -hex 64)" \
  target/release/gatehouse & server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
body=$(mktemp --suffix=.lua)
cat > "$body" <<'LUA'
wrk.method = "POST"
wrk.body = "email=a%40example.com&password=x"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
echo "POST /login over the allowance (429 after the first 30):"
wrk -t2 -c32 -d10s -s "$body" "http://127.0.0.1:$port/login" | grep -E "Latency|Requests/sec|Non-2xx"
echo "GET /login (not limited):"
wrk -t2 -c32 -d10s "http://127.0.0.1:$port/login" | grep -E "Latency|Requests/sec"
