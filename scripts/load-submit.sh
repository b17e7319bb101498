#!/usr/bin/env bash
# Submission throughput over HTTP: the release server on a fresh database,
# 32 concurrent clients posting opinions for DURATION seconds with wrk.
#   bash scripts/load-submit.sh sqlite|postgres [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
DURATION="${2:-30}"
source scripts/tools.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

step "cargo leptos build --release --split"
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split
BIN="$CARGO_TARGET_DIR/release/hongcha"

WORK="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
case "$BACKEND" in
  sqlite) DB_URL="sqlite://$WORK/load.db" ;;
  postgres)
    PG="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    NAME="hongcha_load_$$"
    psql "$PG" -qc "CREATE DATABASE $NAME"
    DB_URL="${PG%/*}/$NAME" ;;
  *) echo "usage: $0 sqlite|postgres [seconds]"; exit 2 ;;
esac
export HONGCHA_DATABASE_URL="$DB_URL" HONGCHA_DATA_DIR="$WORK" HONGCHA_BIND="127.0.0.1:$PORT" \
       HONGCHA_SITE_ROOT="target/site" HONGCHA_DEMO_PASSWORD="load-pass-2026" HONGCHA_LOG=warn \
       HONGCHA_LIMIT_POST_PER_ACCOUNT=100000000
"$BIN" seed-demo >/dev/null
"$BIN" serve & SERVER=$!
cleanup() {
  kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true
  [ "$BACKEND" = postgres ] && psql "$PG" -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

ORIGIN="http://127.0.0.1:$PORT"
COOKIE=$(curl -s -D - -o /dev/null -X POST "$ORIGIN/api/login" -H "Origin: $ORIGIN" -H "Accept: application/json" \
  --data "phone=13800000001&password=load-pass-2026&next=" | sed -n 's/^[Ss]et-[Cc]ookie: \(hongcha_session=[0-9a-f]*\).*/\1/p')
COMMUNITY=$(curl -s "$ORIGIN/api/communities" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ -n "$COOKIE" ] || { echo "login failed"; exit 1; }

count_opinions() {
  case "$BACKEND" in
    sqlite) python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from opinion").fetchone()[0])' "$WORK/load.db" ;;
    postgres) psql "$DB_URL" -Atc "select count(*) from opinion" ;;
  esac
}
BEFORE=$(count_opinions)

step "wrk: 32 connections, ${DURATION}s, $BACKEND"
COOKIE="$COOKIE" ORIGIN="$ORIGIN" COMMUNITY="$COMMUNITY" \
  wrk -t2 -c32 -d"${DURATION}s" --timeout 5s -s scripts/load/submit.lua "$ORIGIN" | tee "$WORK/wrk.out"

# Every acknowledged submission must be in the database (a few more may be
# stored: requests still in flight when wrk stopped counting).
sleep 1
ACCEPTED=$(sed -n 's/^requests: \([0-9]*\)  failed: \([0-9]*\).*/\1 \2/p' "$WORK/wrk.out" | awk '{print $1-$2}')
STORED=$(( $(count_opinions) - BEFORE ))
echo "stored: $STORED (acknowledged: $ACCEPTED)"
[ "$STORED" -ge "$ACCEPTED" ] || { echo "LOST SUBMISSIONS"; exit 1; }
