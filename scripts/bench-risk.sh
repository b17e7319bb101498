#!/usr/bin/env bash
# Risk warning at scale (issue 13): the release server on a fresh database
# with the demo's 95 warning models live and SUBJECTS registered places;
# outside systems post readings over HTTP for DURATION seconds
# (CONCURRENCY senders, batches of BATCH), while a browser-like client
# reads pages (the rest of the app serving). Prints readings/s, batch
# latency (a warning's SMS commits in its batch's transaction: batch p99 is
# warning → first SMS in the outbox), warnings opened, and the pages'
# latency meanwhile.
#   bash scripts/bench-risk.sh sqlite|postgres [DURATION] [CONCURRENCY] [BATCH] [SUBJECTS]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
DURATION="${2:-20}"
CONCURRENCY="${3:-4}"
BATCH="${4:-500}"
SUBJECTS="${5:-2000}"
NAME_PREFIX=hongcha_risk
source scripts/bench-lib.sh

"$BIN" seed-demo >/dev/null
step "registering $SUBJECTS places as risk subjects"
if [ "$BACKEND" = postgres ]; then
  sql "INSERT INTO risk_subject (code, kind, name, community_id, contact_phone, created_at)
       SELECT 'place-' || lpad(i::text, 5, '0'), 'place', '场所 ' || i, (SELECT MIN(id) FROM community),
              '139' || lpad(i::text, 8, '0'), now() FROM generate_series(0, $SUBJECTS - 1) AS i"
else
  sql "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $SUBJECTS)
       INSERT INTO risk_subject (code, kind, name, community_id, contact_phone, created_at)
       SELECT 'place-' || substr('00000' || i, -5), 'place', '场所 ' || i, (SELECT MIN(id) FROM community),
              '139' || substr('00000000' || i, -8), strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now') FROM n"
fi
TOKEN=$("$BIN" risk source "压测来源" | sed -n 's/.*: \(hc_.*\)$/\1/p')
POINTS="$WORK/points.txt"
python3 - "$POINTS" <<'PY'
import re, sys
src = open("domain/src/risk/demo.rs", encoding="utf-8").read()
points = re.findall(r'\("([a-z_]+)", "[^"]+"\)', src.split("pub const MODULES")[1].split("];")[0])
open(sys.argv[1], "w").write("\n".join(points))
PY
echo "  $(wc -l < "$POINTS" | tr -d ' ') risk points; token issued"

serve
step "ingest: $CONCURRENCY senders × batches of $BATCH for ${DURATION}s, 95 live models, pages read meanwhile"
wrk -t1 -c4 -d"${DURATION}s" --latency "$ORIGIN/api/v1/topics" > "$WORK/wrk.txt" & WRK=$!
python3 scripts/load/risk_ingest.py "$ORIGIN" "$TOKEN" "$SUBJECTS" "$DURATION" "$CONCURRENCY" "$BATCH" "$POINTS"
wait $WRK
echo "  pages meanwhile (/api/v1/topics, 4 connections): $(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt") req/s, p99 $(awk '$1 == "99%" {print $2}' "$WORK/wrk.txt")"
echo "  server peak memory: $(awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$SERVER/status")"
stop
