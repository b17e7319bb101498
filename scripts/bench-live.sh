#!/usr/bin/env bash
# Live-room fan-out (issue 11): the release server on a demo database
# (SQLite, or PostgreSQL with its LISTEN/NOTIFY path), one live meeting,
# CONNECTIONS participants on its server-sent events; polls opened by the
# facilitator; p50/p99 delivery latency and memory per connection.
#   bash scripts/bench-live.sh sqlite|postgres [CONNECTIONS] [POLLS]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
CONNECTIONS="${2:-500}"
POLLS="${3:-5}"
source scripts/tools.sh
ulimit -n 65536 2>/dev/null || ulimit -n 8192 || true

step "cargo leptos build --release --split"
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split
BIN="$CARGO_TARGET_DIR/release/hongcha"
WORK="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
case "$BACKEND" in
  sqlite) DB_URL="sqlite://$WORK/live.db" ;;
  postgres)
    PG="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    NAME="hongcha_live_$$"
    psql "$PG" -qc "CREATE DATABASE $NAME"
    DB_URL="${PG%/*}/$NAME" ;;
  *) echo "usage: $0 sqlite|postgres [connections] [polls]"; exit 2 ;;
esac
export HONGCHA_DATABASE_URL="$DB_URL" HONGCHA_DATA_DIR="$WORK" HONGCHA_BIND="127.0.0.1:$PORT" \
       HONGCHA_SITE_ROOT="target/site" HONGCHA_DEMO_PASSWORD="demo-pass-2026" HONGCHA_LOG=warn \
       HONGCHA_HEAT_EVERY_MINUTES=0
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; }
  if [ "$BACKEND" = postgres ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN" seed-demo >/dev/null
"$BIN" serve & SERVER=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
step "fan-out: $CONNECTIONS connections, $POLLS polls ($BACKEND)"
python3 scripts/live_fanout.py "http://127.0.0.1:$PORT" "$SERVER" "$CONNECTIONS" "$POLLS"
