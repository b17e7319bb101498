#!/usr/bin/env bash
# Time to a usable, hydrated page on a slow phone (150 ms, 1.6 Mbit/s down,
# CPU 4× slower — Lighthouse's mobile profile), on the release build with the
# demo data: the home page on a first visit, the opinion form as a signed-in
# resident on a cold and on a warm phone. Fails above PHONE_BUDGET_MS (3000).
#   bash scripts/bench-phone.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_BROWSER=1 source scripts/tools.sh
step "cargo leptos build --release --split"
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split
BIN="$CARGO_TARGET_DIR/release/hongcha"
WORK="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HONGCHA_DATABASE_URL="sqlite://$WORK/phone.db" HONGCHA_DATA_DIR="$WORK" HONGCHA_BIND="127.0.0.1:$PORT" \
       HONGCHA_SITE_ROOT="target/site" HONGCHA_DEMO_PASSWORD="phone-pass-2026" HONGCHA_LOG=warn
"$BIN" seed-demo >/dev/null
"$BIN" serve & SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
ls -l target/site/pkg | awk '/hongcha/ {printf "  %-28s %9d bytes\n", $9, $5}'
step "Playwright: phone profile"
(cd end2end && BASE_URL="http://127.0.0.1:$PORT" DEMO_PASSWORD="phone-pass-2026" \
  PHONE_BUDGET_MS="${PHONE_BUDGET_MS:-3000}" npx playwright test tests/phone.spec.ts)
