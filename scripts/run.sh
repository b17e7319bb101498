#!/usr/bin/env bash
# Runs the product: installs missing tools, builds the release site, creates
# and migrates ./data/hongcha.db, loads demo data if the database is empty,
# and serves on 127.0.0.1:3000 (override with HONGCHA_BIND).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

step "cargo leptos build --release --split"
cargo leptos build --release --split

BIN="$CARGO_TARGET_DIR/release/hongcha"
export HONGCHA_SITE_ROOT="${HONGCHA_SITE_ROOT:-target/site}"
step "migrate and demo data"
"$BIN" migrate
"$BIN" seed-demo --if-empty
step "serving on http://${HONGCHA_BIND:-127.0.0.1:3000}"
exec "$BIN" serve
