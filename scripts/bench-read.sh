#!/usr/bin/env bash
# Read throughput over HTTP: the release server on a fresh database holding
# 100,000 opinions (90 % published), every public page and JSON list hit by
# wrk with 64 connections for DURATION seconds each, anonymously (the page
# cache) and signed in (rendered each time). Also shows SQL statements per
# page at a few opinions and at 100,000, and the bytes of a first and a
# second visit to the home page.
#   bash scripts/bench-read.sh sqlite|postgres [DURATION] [OPINIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
DURATION="${2:-10}"
OPINIONS="${3:-100000}"
source scripts/tools.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

step "cargo leptos build --release --split"
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split
BIN="$CARGO_TARGET_DIR/release/hongcha"

WORK="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
case "$BACKEND" in
  sqlite) DB_URL="sqlite://$WORK/read.db" ;;
  postgres)
    PG="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    NAME="hongcha_read_$$"
    psql "$PG" -qc "CREATE DATABASE $NAME"
    DB_URL="${PG%/*}/$NAME" ;;
  *) echo "usage: $0 sqlite|postgres [seconds] [opinions]"; exit 2 ;;
esac
export HONGCHA_DATABASE_URL="$DB_URL" HONGCHA_DATA_DIR="$WORK" HONGCHA_BIND="127.0.0.1:$PORT" \
       HONGCHA_SITE_ROOT="target/site" HONGCHA_DEMO_PASSWORD="read-pass-2026" HONGCHA_LOG=warn \
       HONGCHA_LIMIT_LOGIN_PER_IP=100000 HONGCHA_LIMIT_LOGIN_PER_ACCOUNT=100000 HONGCHA_HEAT_EVERY_MINUTES=0
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; }
  if [ "$BACKEND" = postgres ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN" seed-demo >/dev/null
ORIGIN="http://127.0.0.1:$PORT"

serve() {
  "$BIN" serve & SERVER=$!
  for _ in $(seq 1 100); do curl -fs "$ORIGIN/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start"; exit 1
}
stop() { kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=""; }

# SQL statements one render of PATH costs (a cookie the cache does not know
# makes the request personal, so the page is rendered, not served from
# memory): the fewest of five renders, as background jobs run statements too.
statements() {
  local best=999999 before after n
  for _ in 1 2 3 4 5; do
    before=$(curl -fs "$ORIGIN/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["statements"])')
    curl -fs -o /dev/null -H 'Cookie: bench=1' "$ORIGIN$1"
    after=$(curl -fs "$ORIGIN/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["statements"])')
    n=$(( after - before ))  # the health check's own ping is not counted
    [ "$n" -lt "$best" ] && best=$n
  done
  echo "$best"
}

PAGES=(/ /opinions "/opinions?before=50000" /opinions/50001 /api/opinions "/api/opinions?category=public_safety&before=50000" "/api/opinion?id=50001" "/api/comments?opinion_id=50001")

# The same pages for counting, with a detail that exists at both sizes (a
# demo opinion).
serve
# The first stored opinion: published when counting at 100,000 (a handful of
# demo opinions wait for review, so at first its page says "not found").
DEMO=1
COUNTED=(/ /opinions "/opinions?before=50000" "/opinions/$DEMO" /api/opinions "/api/opinions?category=public_safety&before=50000" "/api/opinion?id=$DEMO" "/api/comments?opinion_id=$DEMO")
step "SQL statements per page at a handful of opinions"
declare -A FEW
for p in "${COUNTED[@]}"; do FEW[$p]=$(statements "$p"); done
stop

step "storing $OPINIONS opinions (hongcha import, then 90 % published)"
python3 - "$WORK/opinions.csv" "$OPINIONS" <<'PY'
import csv, random, sys
path, n = sys.argv[1], int(sys.argv[2])
communities = ["长乐社区", "小河社区", "红石板社区", "双荡弄社区"]
cats = ["公共服务", "公共管理", "公共安全", "其他"]
things = ["路灯不亮", "楼道堆物", "电瓶车飞线充电", "垃圾分类点太臭", "加装电梯", "停车位不够", "噪音扰民"]
random.seed(9)
with open(path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["标题", "诉求内容", "社区", "类别", "位置"])
    for i in range(n):
        t = random.choice(things)
        w.writerow([f"{t}（{i}）", f"{t}的问题已经很久了，希望社区尽快处理，第{i}条。", random.choice(communities), random.choice(cats), f"{random.randrange(1,30)}幢"])
PY
"$BIN" import "$WORK/opinions.csv" >/dev/null
PUBLISH="UPDATE opinion SET status = 'published', published_at = created_at WHERE status = 'pending' AND id % 10 <> 0"
if [ "$BACKEND" = postgres ]; then
  psql "${PG%/*}/$NAME" -qc "$PUBLISH"
else
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' "$WORK/read.db" "$PUBLISH"
fi

serve
step "SQL statements per page: few opinions → $OPINIONS"
for p in "${COUNTED[@]}"; do printf '  %-52s %3s → %3s\n' "$p" "${FEW[$p]}" "$(statements "$p")"; done

step "bytes of a first and a second visit to the home page (Chromium)"
(cd end2end && BASE_URL="$ORIGIN" node visit-bytes.mjs) || echo "  (needs: WITH_BROWSER=1 source scripts/tools.sh)"

# One signed-in session for the personal runs.
JAR="$WORK/cookies"
curl -fs -c "$JAR" -o /dev/null -H "Origin: $ORIGIN" --data-urlencode "phone=13800000001" \
  --data-urlencode "password=read-pass-2026" --data-urlencode "next=/" "$ORIGIN/api/login"
SESSION=$(awk '$6 ~ /session/ {print $6 "=" $7}' "$JAR" | head -1)

run() { # label path [cookie]
  local out
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -H "Accept-Encoding: br" -H "Cookie: $3" "$ORIGIN$2")
  else
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -H "Accept-Encoding: br" "$ORIGIN$2")
  fi
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | paste -sd ';' - || true)
  printf '  %-9s %-52s %10s req/s  p50 %8s  p99 %8s  %s\n' "$1" "$2" "$rps" "$p50" "$p99" "$errors"
}

step "wrk: 64 connections, ${DURATION}s each, $BACKEND, $OPINIONS opinions"
for p in "${PAGES[@]}"; do curl -fs -o /dev/null "$ORIGIN$p"; done
for p in "${PAGES[@]}"; do run anonymous "$p"; done
for p in "${PAGES[@]}"; do run signed-in "$p" "$SESSION"; done
run health /healthz
