#!/usr/bin/env bash
# Installs what building Hongcha needs and a fresh machine lacks, skipping
# what is already there at the right version. Sourced by run.sh and test.sh.
#   WITH_BROWSER=1  also Chromium and the end2end npm packages (tests).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HONGCHA_TOOLS:-$HOME/.cache/hongcha/tools}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hongcha/target}"
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"
mkdir -p "$TOOLS" "$CARGO_TARGET_DIR"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  step "cargo install cargo-leptos 0.3.10 (about 11 minutes, once)"
  cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi

WBG_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')"
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WBG_VERSION"; then
  step "cargo install wasm-bindgen-cli $WBG_VERSION"
  # Not --locked: its lock file names a yanked crate.
  cargo install wasm-bindgen-cli --version "$WBG_VERSION"
fi

if ! [ -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
  step "npm install binaryen@132 (wasm-opt)"
  npm install --prefix "$TOOLS" --no-audit --no-fund binaryen@132
fi

if [ "${WITH_BROWSER:-0}" = 1 ]; then
  # The open-data API is checked against its OpenAPI document by schemathesis.
  if ! "$TOOLS/py/bin/schemathesis" --version 2>/dev/null | grep -q '4\.32\.5'; then
    step "pip install schemathesis 4.32.5 (a virtual environment in $TOOLS/py)"
    python3 -m venv "$TOOLS/py"
    "$TOOLS/py/bin/pip" install -q "schemathesis==4.32.5"
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    step "apt-get install chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if ! [ -d "$ROOT/end2end/node_modules/@playwright/test" ] \
     || ! cmp -s "$ROOT/end2end/package-lock.json" "$ROOT/end2end/node_modules/.package-lock.json.copy"; then
    step "npm ci (end2end)"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.json.copy)
  fi
fi
