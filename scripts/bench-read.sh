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
NAME_PREFIX=hongcha_read
source scripts/bench-lib.sh
"$BIN" seed-demo >/dev/null

# SQL statements one render of PATH costs (a cookie the cache does not know
# makes the request personal, so the page is rendered, not served from
# memory), with no background jobs running beside it.
statements() {
  local r
  r=$(measure "$1" -H 'Cookie: bench=1')
  echo "${r% *}"
}

PAGES=(/ /opinions "/opinions?before=50000" /opinions/50001 /api/opinions "/api/opinions?category=public_safety&before=50000" "/api/opinion?id=50001" "/api/comments?opinion_id=50001")

# The same pages for counting, with a detail that exists at both sizes (a
# demo opinion).
serve HONGCHA_BACKGROUND_JOBS=false
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
sql "UPDATE opinion SET status = 'published', published_at = created_at WHERE status = 'pending' AND id % 10 <> 0"

serve HONGCHA_BACKGROUND_JOBS=false
step "SQL statements per page: few opinions → $OPINIONS"
for p in "${COUNTED[@]}"; do printf '  %-52s %3s → %3s\n' "$p" "${FEW[$p]}" "$(statements "$p")"; done
stop
serve

step "bytes of a first and a second visit to the home page (Chromium)"
(cd end2end && BASE_URL="$ORIGIN" node visit-bytes.mjs) || echo "  (needs: WITH_BROWSER=1 source scripts/tools.sh)"

# One signed-in session for the personal runs.
JAR="$WORK/cookies"
curl -fs -c "$JAR" -o /dev/null -H "Origin: $ORIGIN" --data-urlencode "phone=13800000001" \
  --data-urlencode "password=bench-pass-2026" --data-urlencode "next=/" "$ORIGIN/api/login"
SESSION=$(awk '$6 ~ /session/ {print $6 "=" $7}' "$JAR" | head -1)

step "wrk: 64 connections, ${DURATION}s each, $BACKEND, $OPINIONS opinions"
for p in "${PAGES[@]}"; do curl -fs -o /dev/null "$ORIGIN$p"; done
for p in "${PAGES[@]}"; do wrk_line anonymous "$p" -H "Accept-Encoding: br"; done
for p in "${PAGES[@]}"; do wrk_line signed-in "$p" -H "Accept-Encoding: br" -H "Cookie: $SESSION"; done
wrk_line health /healthz
