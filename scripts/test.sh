#!/usr/bin/env bash
# Runs every check: fmt, clippy (ssr and wasm hydrate builds separately),
# unit and black-box tests on SQLite — and on PostgreSQL when one answers on
# 127.0.0.1:5432 — then the Playwright tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_BROWSER=1 source scripts/tools.sh
# Every crate of the workspace is built once per run (a fresh clone): the
# incremental caches would only fill the disk (tens of GB over many runs).
export CARGO_INCREMENTAL=0
START=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy: server side (ssr)"
cargo clippy --workspace --all-targets --features app/ssr --locked -- -D warnings

step "clippy: browser side (hydrate, wasm32)"
cargo clippy -p app --no-default-features --features hydrate --target wasm32-unknown-unknown --locked -- -D warnings

PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  export TEST_DATABASE_URL="$PG_URL"
  step "unit + black-box tests (SQLite and PostgreSQL)"
else
  unset TEST_DATABASE_URL
  step "unit + black-box tests (SQLite; PostgreSQL not reachable)"
fi
cleanup_pg() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    for db in $(psql "$TEST_DATABASE_URL" -Atc "select datname from pg_database where datname like 'hongcha_test_%' or datname like 'hongcha_unit_%'" 2>/dev/null); do
      psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
}
trap cleanup_pg EXIT
cargo test --workspace --features app/ssr --locked

step "end-to-end: build the site"
# A site of its own, so the tests never leave a debug bundle where
# scripts/run.sh put the release one (target/site).
export LEPTOS_SITE_ROOT="target/site-e2e"
cargo leptos build --split
E2E_DIR="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HONGCHA_DATABASE_URL="sqlite://$E2E_DIR/e2e.db" HONGCHA_DATA_DIR="$E2E_DIR" \
       HONGCHA_BIND="127.0.0.1:$PORT" HONGCHA_SITE_ROOT="target/site-e2e" HONGCHA_DEMO_PASSWORD="demo-pass-2026" \
       HONGCHA_DEV_REVEAL_CODES=true OUTBOX_LOG="$E2E_DIR/outbox.log"
BIN="$CARGO_TARGET_DIR/debug/hongcha"
"$BIN" seed-demo >/dev/null
"$BIN" serve >"$E2E_DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; cleanup_pg' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
step "end-to-end: Playwright in Chromium"
(cd end2end && BASE_URL="http://127.0.0.1:$PORT" npx playwright test)

step "open data: every /api/v1 answer against its OpenAPI document (schemathesis)"
"$TOOLS/py/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing --max-examples 40 --generation-deterministic \
  --report-dir "$E2E_DIR/schemathesis"

echo
echo "all checks passed in $(( $(date +%s) - START ))s"
