# Shared by the benchmarks that run the release server on a fresh database
# (source it after setting BACKEND and NAME_PREFIX): installs what is
# missing and wrk, builds the release site, picks a port, creates the
# database (a file, or a PostgreSQL database dropped afterwards), exports
# the server's settings, and gives `serve` / `stop` and `$ORIGIN`.
# `BENCH_BUILT=1` skips the build when one is there.
source scripts/tools.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

BIN="$CARGO_TARGET_DIR/release/hongcha"
# `BENCH_BUILT=1` runs the release build already there (cargo-leptos runs
# wasm-opt over every chunk again each time: minutes per run).
if [ "${BENCH_BUILT:-}" = 1 ] && [ -x "$BIN" ] && [ -d target/site/pkg ]; then
  step "using the release build already there ($BIN)"
else
  step "cargo leptos build --release --split"
  cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split
fi

WORK="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
case "$BACKEND" in
  sqlite) DB_URL="sqlite://$WORK/bench.db" ;;
  postgres)
    PG="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    NAME="${NAME_PREFIX}_$$"
    psql "$PG" -qc "CREATE DATABASE $NAME"
    DB_URL="${PG%/*}/$NAME" ;;
  *) echo "usage: $0 sqlite|postgres …"; exit 2 ;;
esac
export HONGCHA_DATABASE_URL="$DB_URL" HONGCHA_DATA_DIR="$WORK" HONGCHA_BIND="127.0.0.1:$PORT" \
       HONGCHA_SITE_ROOT="target/site" HONGCHA_DEMO_PASSWORD="bench-pass-2026" HONGCHA_LOG=warn \
       HONGCHA_LIMIT_LOGIN_PER_IP=100000 HONGCHA_LIMIT_LOGIN_PER_ACCOUNT=100000 HONGCHA_HEAT_EVERY_MINUTES=0
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && { kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; }
  if [ "$BACKEND" = postgres ]; then psql "$PG" -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
ORIGIN="http://127.0.0.1:$PORT"
# `serve [VAR=value …]`: the server with those settings added; counting
# statements wants `serve HONGCHA_BACKGROUND_JOBS=false`, so that nothing but
# the measured request runs SQL meanwhile.
serve() {
  env "$@" "$BIN" serve & SERVER=$!
  for _ in $(seq 1 600); do curl -fs "$ORIGIN/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start"; exit 1
}
stop() { kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=""; }
# `measure PATH [curl options…]`: the fewest SQL statements and the best
# time (ms) of five GETs of PATH, as "statements ms". /healthz reports the
# statements run so far, its own ping included, hence the 1 taken off.
health_statements() {
  curl -fs "$ORIGIN/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["statements"])'
}
measure() {
  local path="$1" best_n=999999 best_t=999 before after n t
  shift
  for _ in 1 2 3 4 5; do
    before=$(health_statements) || { echo "measure: /healthz failed" >&2; exit 1; }
    t=$(curl -fs -o /dev/null -w '%{time_total}' "$@" "$ORIGIN$path") \
      || { echo "measure: GET $path failed" >&2; exit 1; }
    after=$(health_statements) || { echo "measure: /healthz failed" >&2; exit 1; }
    n=$(( after - before - 1 ))
    [ "$n" -lt "$best_n" ] && best_n=$n
    best_t=$(python3 -c "print(min($best_t, $t))")
  done
  echo "$best_n $(python3 -c "print(round($best_t*1000))")"
}
# `wrk_line LABEL PATH [wrk options…]`: 64 connections for $DURATION
# seconds, printed as one line (req/s, p50, p99, any errors).
wrk_line() {
  local label="$1" path="$2" out
  shift 2
  out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "$@" "$ORIGIN$path")
  printf '  %-9s %-52s %10s req/s  p50 %8s  p99 %8s  %s\n' "$label" "$path" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
    "$(awk '$1 == "99%" {print $2}' <<<"$out")" \
    "$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | paste -sd ';' - || true)"
}
# Runs SQL on the bench database.
sql() {
  if [ "$BACKEND" = postgres ]; then
    psql "$DB_URL" -qc "$1"
  else
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' "$WORK/bench.db" "$1"
  fi
}
