#!/usr/bin/env bash
# Installs what building and testing Hookyard needs, and nothing that is already there.
# Idempotent: a second run only checks. Prints what it installs.
#
#   scripts/setup.sh          what building and running needs (wasm target, wasm-bindgen CLI)
#   scripts/setup.sh --test   also what the tests need (Chromium, PostgreSQL, npm packages)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130 # must equal the wasm-bindgen version in Cargo.lock
want_test=false
[[ "${1:-}" == "--test" ]] && want_test=true

say() { printf '==> %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust (rustup) first" >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "installing the Rust wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
  # Not --locked: its lockfile pins a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

$want_test || exit 0

apt_missing=()
command -v chromium >/dev/null || apt_missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_missing+=(postgresql)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_missing+=(python3-venv)
if ((${#apt_missing[@]})); then
  say "installing Debian packages: ${apt_missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  # Debian starts a system cluster on install; the tests use their own throwaway one.
fi

if [[ ! -d end2end/node_modules/@playwright/test ]] \
  || [[ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
  say "installing npm packages for the browser tests and independent client checks"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# schemathesis (PyPI) checks the JSON API against its OpenAPI document (scripts/api-check.sh).
SCHEMATHESIS_VERSION=4.32.5
if [[ "$(end2end/.venv/bin/st --version 2>/dev/null || true)" != *"$SCHEMATHESIS_VERSION" ]]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into end2end/.venv"
  python3 -m venv end2end/.venv
  end2end/.venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
