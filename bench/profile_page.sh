#!/usr/bin/env bash
# Where a logged-in page spends its time: starts the release build on a fresh database (or
# the one given), logs an admin in, loads GET /profile (or PATH) with wrk -t2 -c32 and records the server with
# `perf record -g`, then prints the top of `perf report` and the statements the page ran
# (gatehouse_db_queries_total). Rerunnable; nothing is kept but the report.
#
#   cargo build --release && bash bench/profile_page.sh [--seconds 10] [--path /profile]
#                                                       [--database postgres://…/db]
#   (needs wrk and perf: apt-get install wrk linux-perf)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10 path=/profile database=
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --path) path=$2; shift 2 ;;
    --database) database=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
binary=target/release/gatehouse
[[ -x $binary ]] || { echo "build first: cargo build --release" >&2; exit 2; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL=${database:-sqlite://$work/gatehouse.db}
export GATEHOUSE_ADDR=127.0.0.1:$port GATEHOUSE_IP_RATE_LIMIT=off GATEHOUSE_BCRYPT_COST=4
export GATEHOUSE_MAIL=file:$work/outbox RUST_LOG=warn
export GATEHOUSE_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(64))')
(cd "$work" && exec "$OLDPWD/$binary") & server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 1 600); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

# An admin made on the command line, logged in through the form; keep the session cookie.
echo 'correct horse battery staple' | (cd "$work" && "$OLDPWD/$binary" create-admin --email profiled@example.com --name Profiled >/dev/null 2>&1) || true
jar=$work/cookies
token=$(curl -s -c "$jar" "$base/login" | sed -n 's/.*name="csrf-token" content="\([0-9a-f]*\)".*/\1/p')
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$token" \
  --data-urlencode "email=profiled@example.com" \
  --data-urlencode "password=correct horse battery staple" "$base/login"
cookie=$(awk '$6 ~ /session/ {print $6"="$7}' "$jar")
[[ -n $cookie ]] || { echo "no session cookie" >&2; exit 1; }
[[ $(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$path") == 200 ]] || { echo "$path is not 200" >&2; exit 1; }

queries() { curl -s "$base/metrics" | sed -n 's/^gatehouse_db_queries_total{kind="\([a-z]*\)"} \([0-9]*\)$/\1=\2/p' | tr '\n' ' '; }
before=$(queries)
curl -s -o /dev/null -H "Cookie: $cookie" "$base$path"
echo "statements of one GET $path: before [$before] after [$(queries)]"

perf record -F 999 --call-graph dwarf,16384 -p "$server" -o "$work/perf.data" -- sleep "$seconds" >/dev/null 2>&1 &
recorder=$!
wrk -t2 -c32 -d"${seconds}s" -H "Cookie: $cookie" "$base$path"
echo "statements after the load: [$(queries)]"
wait $recorder || true
perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio -g none --percent-limit 0.7 2>/dev/null | grep -v "^#" | grep "%" | head -45
[[ -n ${PROFILE_SYMBOL:-} ]] && perf report -i "$work/perf.data" --no-children --stdio -S "$PROFILE_SYMBOL" -g caller,0.5,callee --percent-limit 0.1 2>/dev/null | grep -v "^#" | grep -v "^$" | head -70 || true
