#!/usr/bin/env bash
# Sets up everything the tests need and runs every test: unit, integration on SQLite and on a
# real PostgreSQL, and the browser tests in Chromium. Exits non-zero on the first failure.
#
# PostgreSQL: uses HOOKYARD_TEST_POSTGRES_URL if set, else starts a throwaway cluster on a
# free port under /tmp and removes it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# A from-scratch build gains nothing from incremental state, which only costs disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
start=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(($(date +%s) - start))" "$*"; }

step "setup"
scripts/setup.sh --test
# The test build needs about 6.5 GB of disk (see .cargo/config.toml); say so up front when it
# is short, rather than leaving a linker to die of it halfway.
free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
echo "free disk: $((free_kb / 1024 / 1024)) GiB"
((free_kb > 8 * 1024 * 1024)) || echo "warning: less than 8 GiB free here; the build may run out of disk" >&2

if [[ -z "${HOOKYARD_TEST_POSTGRES_URL:-}" ]]; then
  step "starting a throwaway PostgreSQL cluster"
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pgdata=$(mktemp -d /tmp/hookyard-pg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg=()
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$pgdata"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w start \
    -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" >/dev/null
  trap '"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1; rm -rf "$pgdata"' EXIT
  export HOOKYARD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
fi
# Never let the PostgreSQL half of the suite be skipped here.
export HOOKYARD_REQUIRE_POSTGRES=1

# The browser bundle first: the server binary the tests build embeds it.
step "building the browser bundle"
scripts/build-site.sh --debug --bundle-only

step "unit and integration tests (SQLite and PostgreSQL)"
# Also builds target/debug/hookyard (embedding the bundle), which the browser tests run.
cargo test -p hookyard-core -p hookyard
cargo test -p hookyard-app --features ssr

step "JSON API against its OpenAPI document (schemathesis)"
scripts/api-check.sh

step "browser tests (Playwright, Debian Chromium)"
(cd end2end && npx playwright test)

step "all tests passed"
