#!/usr/bin/env bash
# Outcome reports and open data at street scale: the release server on a
# fresh database holding OPINIONS opinions (90 % published) plus the demo's
# loop, then
#   - the report's server time (the page's data, `/api/report`, street-wide
#     over a year) and its SQL statements, at a handful and at OPINIONS;
#   - the XLSX and CSV export time for that year;
#   - wrk, 64 connections, DURATION seconds: `/api/v1/opinions` (a page of
#     20, and the tenth page by cursor) and `/api/v1/plans`.
#   bash scripts/bench-reports.sh sqlite|postgres [DURATION] [OPINIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
DURATION="${2:-10}"
OPINIONS="${3:-100000}"
NAME_PREFIX=hongcha_reports
source scripts/bench-lib.sh
"$BIN" seed-demo >/dev/null
JAR="$WORK/cookies"
login() {
  curl -fs -c "$JAR" -o /dev/null -H "Origin: $ORIGIN" --data-urlencode "phone=13800000003" \
    --data-urlencode "password=bench-pass-2026" --data-urlencode "next=/" "$ORIGIN/api/login"
}
YEAR=$(date +%Y)
REPORT="/api/report?from=$YEAR-01&to=$YEAR-12"
# The fewest statements and the best of five times of one GET as the officer.
show() {
  local r
  r=$(measure "$1" -b "$JAR")
  printf '  %-60s %4s statements  %6s ms\n' "$1" "${r% *}" "${r#* }"
}

serve HONGCHA_BACKGROUND_JOBS=false; login
step "a handful of opinions"
show "$REPORT"
show "/api/report_records?figure=opinions&by=channel:import&from=$YEAR-01&to=$YEAR-12"
stop

step "storing $OPINIONS opinions (hongcha import, then 90 % published, spread over the year)"
python3 - "$WORK/opinions.csv" "$OPINIONS" "$YEAR" <<'PY'
import csv, random, sys
path, n, year = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
communities = ["长乐社区", "小河社区", "红石板社区", "双荡弄社区"]
cats = ["公共服务", "公共管理", "公共安全", "其他"]
things = ["路灯不亮", "楼道堆物", "电瓶车飞线充电", "垃圾分类点太臭", "加装电梯", "停车位不够", "噪音扰民"]
random.seed(12)
with open(path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["标题", "诉求内容", "社区", "类别", "来电时间"])
    for i in range(n):
        t = random.choice(things)
        when = f"{year}-{random.randrange(1,12):02d}-{random.randrange(1,28):02d} 10:00"
        w.writerow([f"{t}（{i}）", f"{t}的问题已经很久了，希望社区尽快处理，第{i}条。", random.choice(communities), random.choice(cats), when])
PY
"$BIN" import "$WORK/opinions.csv" >/dev/null
sql "UPDATE opinion SET status = 'published', published_at = COALESCE(received_at, created_at) WHERE status = 'pending' AND id % 10 <> 0"

serve HONGCHA_BACKGROUND_JOBS=false; login
step "$OPINIONS opinions ($BACKEND)"
show "$REPORT"
show "/api/report_records?figure=opinions&by=channel:import&from=$YEAR-01&to=$YEAR-12"
show "/reports/export?format=xlsx&from=$YEAR-01&to=$YEAR-12"
show "/reports/export?format=csv&from=$YEAR-01&to=$YEAR-12"
stop
serve; login

CURSOR=$(python3 - "$ORIGIN" <<'PY'
import json, sys, urllib.request
url, cursor = sys.argv[1] + "/api/v1/opinions?limit=100", ""
for _ in range(10):
    page = json.load(urllib.request.urlopen(url + (f"&cursor={cursor}" if cursor else "")))
    cursor = page["next_cursor"]
print(cursor)
PY
)
step "wrk: 64 connections, ${DURATION}s each"
wrk_line api "/api/v1/opinions"
wrk_line api "/api/v1/opinions?limit=100&cursor=$CURSOR"
wrk_line api "/api/v1/opinions?community=1&from=$YEAR-03&to=$YEAR-04"
wrk_line api "/api/v1/plans"
