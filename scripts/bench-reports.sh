#!/usr/bin/env bash
# Outcome reports and open data at street scale: the release server on a
# fresh database holding OPINIONS opinions over this year (imported and
# published through the normal path, so grouped into topics; 10 % then
# rejected) plus the demo's loop, then
#   - the report's server time (the page's data, `/api/report`, street-wide
#     over a year) and its SQL statements, at a handful and at OPINIONS;
#   - the XLSX and CSV export time for that year;
#   - wrk, 64 connections, DURATION seconds: `/api/v1/opinions` (a page of
#     20, and the tenth page by cursor), `/api/v1/plans` and
#     `/api/v1/topics/all`.
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
show "/api/report_records?figure=opinions&by=channel:hotline&from=$YEAR-01&to=$YEAR-12"
stop

step "storing $OPINIONS opinions over this year (hongcha import --publish: analysed and placed into topics), 10 % then rejected, and a full heat recomputation"
python3 scripts/load/corpus_csv.py "$WORK/opinions.csv" "$OPINIONS" --seed 12 --this-year
"$BIN" import "$WORK/opinions.csv" --publish | tail -1
sql "UPDATE opinion SET status = 'rejected' WHERE status = 'published' AND id > 1000 AND id % 10 = 0"
"$BIN" heat recompute 2>&1 | grep -E "recomputed" || true
printf '  topics: %s\n' "$("$BIN" topics --json --limit 200 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["topics"]))')"

# After a bulk load PostgreSQL's autovacuum works through the new rows for a
# while; measure the steady state a running street is in, not that.
if [ "$BACKEND" = postgres ]; then sql "VACUUM ANALYZE"; fi

serve HONGCHA_BACKGROUND_JOBS=false; login
step "$OPINIONS opinions ($BACKEND)"
show "$REPORT"
show "/api/report_records?figure=opinions&by=channel:hotline&from=$YEAR-01&to=$YEAR-12"
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
# Opinions are published when imported (today): a past period holds none of
# them, this year holds them all.
wrk_line api "/api/v1/opinions?community=1&from=$YEAR-03&to=$YEAR-04"
wrk_line api "/api/v1/opinions?community=1&from=$YEAR-01&to=$YEAR-12"
wrk_line api "/api/v1/plans"
wrk_line api "/api/v1/topics/all"
