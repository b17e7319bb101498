#!/usr/bin/env bash
# Heat at scale (issue 10): the release build on a fresh database holding
# OPINIONS published opinions written from the demo corpus (many residents,
# channels, communities, three months), imported with `hongcha import
# --publish` (each row analysed and placed into its topic as it is
# published). Then:
#   - full recomputation (`hongcha heat recompute`), timed by stage, with
#     its peak memory (GNU time), and the server's own peak memory when its
#     heat job recomputes;
#   - publish → heat visible: a resident's opinion approved by staff, and
#     the time until the anonymous topics API shows one more resident;
#   - SQL statements per hot-topics page at the demo size and at OPINIONS;
#   - wrk, 64 connections, on /topics, /api/v1/topics and a topic page.
#   bash scripts/bench-heat.sh sqlite|postgres [DURATION] [OPINIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
DURATION="${2:-10}"
OPINIONS="${3:-100000}"
NAME_PREFIX=hongcha_heat
source scripts/bench-lib.sh
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }

"$BIN" seed-demo >/dev/null
TOPIC=$("$BIN" topics --json --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["topics"][0]["id"])')
PAGES=(/topics "/topics?community=1" "/topics/$TOPIC" /api/v1/topics "/api/v1/topics?community=1&limit=50" "/api/topic?id=$TOPIC")
# The fewest statements of five renders (a cookie keeps the page cache out).
statements() { local r; r=$(measure "$1" -H 'Cookie: bench=1'); echo "${r% *}"; }
serve HONGCHA_BACKGROUND_JOBS=false
step "SQL statements per page at the demo street"
declare -A FEW
for p in "${PAGES[@]}"; do FEW[$p]=$(statements "$p"); done
stop

step "writing $OPINIONS opinions from the demo corpus"
python3 scripts/load/corpus_csv.py "$WORK/opinions.csv" "$OPINIONS" --seed 10 --days 90 --places
step "hongcha import --publish ($OPINIONS rows: analysed and placed as they are published)"
START=$(date +%s.%N)
"$BIN" import "$WORK/opinions.csv" --publish | tail -1
echo "  import + placement: $(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$START" "$(date +%s.%N)") s"

step "full recomputation (twice; GNU time for the command's peak memory)"
for run in 1 2; do
  /usr/bin/time -f "  peak memory %M KiB, %e s wall" "$BIN" heat recompute 2>&1 | grep -v "^\s*$" | grep -E "recomputed|peak memory"
done

# After a bulk load PostgreSQL's autovacuum works through the new rows for a
# while; measure the steady state a running street is in, not that.
if [ "$BACKEND" = postgres ]; then sql "VACUUM ANALYZE"; fi

step "the server's own peak memory: idle, and with its heat job recomputing at start"
peak() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$SERVER/status"; }
serve HONGCHA_BACKGROUND_JOBS=false
curl -fs -o /dev/null "$ORIGIN/topics"
echo "  no recomputation (jobs off), after one page: $(peak)"
stop
LOG="$WORK/server.log"
# (Started by hand: `serve` would send its own messages to the log too.)
env NO_COLOR=1 HONGCHA_HEAT_EVERY_MINUTES=60 HONGCHA_LOG=info "$BIN" serve > "$LOG" 2>&1 & SERVER=$!
for _ in $(seq 1 600); do grep -q "heat recomputed" "$LOG" && break; sleep 0.1; done
grep -q "heat recomputed" "$LOG" || { echo "the heat job did not run"; tail -5 "$LOG"; exit 1; }
echo "  heat job at start: $(grep -m1 "heat recomputed" "$LOG" | grep -o '[a-z_]*millis=[0-9]*' | paste -sd ' ' -); peak $(peak)"
stop

serve HONGCHA_BACKGROUND_JOBS=false
step "SQL statements per page: demo street → $OPINIONS more"
for p in "${PAGES[@]}"; do printf '  %-40s %3s → %3s\n' "$p" "${FEW[$p]}" "$(statements "$p")"; done
stop
serve

step "publish → heat visible (staff approve a resident's opinion; anonymous API polled)"
python3 - "$ORIGIN" <<'PY'
import http.cookiejar, json, sys, time, urllib.parse, urllib.request
origin = sys.argv[1]
def client():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def post(c, path, form):
    req = urllib.request.Request(origin + path, data=urllib.parse.urlencode(form).encode(),
                                 headers={"Origin": origin, "Accept": "application/json"})
    return c.open(req).read()
def get(c, path):
    return json.loads(c.open(urllib.request.Request(origin + path, headers={"Accept": "application/json"})).read())
resident, staff, anon = client(), client(), client()
post(resident, "/api/login", {"phone": "13800000001", "password": "bench-pass-2026", "next": "/"})
post(staff, "/api/login", {"phone": "13800000002", "password": "bench-pass-2026", "next": "/"})
community = get(anon, "/api/communities")[0]["id"]
times = []
for i in range(5):
    oid = json.loads(post(resident, "/api/submit_opinion", {
        "community_id": community, "location": "", "category": "public_safety",
        "title": f"楼道电瓶车飞线充电 {time.time_ns()}",
        "body": "楼道里有人用电瓶车拉线充电，电线从窗户挂下来，太危险了。", "idempotency_key": f"bench-{time.time_ns()}"}))
    before = {t["id"]: t["breakdown"]["residents"] for t in get(anon, "/api/v1/topics?limit=100")["topics"]}
    start = time.perf_counter()
    post(staff, "/api/moderate_opinion", {"id": oid, "decision": "approve"})
    while True:
        topic = get(resident, f"/api/opinion_topic?id={oid}")
        if topic:
            now = {t["id"]: t for t in get(anon, "/api/v1/topics?limit=100")["topics"]}
            if topic[0] in now and oid in now[topic[0]]["opinion_ids"]:
                break
        if time.perf_counter() - start > 30:
            raise SystemExit("not visible within 30 s")
        time.sleep(0.01)
    times.append(time.perf_counter() - start)
print("  publish → visible on the anonymous API: " + ", ".join(f"{t * 1000:.0f} ms" for t in times))
PY

step "wrk: 64 connections, ${DURATION}s each, $BACKEND, $OPINIONS opinions more"
# The server's start-up jobs (this month's report snapshots, the first SLA
# sweep, the outbox) run in its first seconds; let them finish, so the
# figures are the steady state rather than the start.
for p in "${PAGES[@]}"; do curl -fs -o /dev/null "$ORIGIN$p"; done
wrk -t2 -c64 -d10s "$ORIGIN${PAGES[0]}" >/dev/null
for p in "${PAGES[@]}"; do wrk_line page "$p" -H "Accept-Encoding: br"; done
