#!/usr/bin/env bash
# Hookyard's benchmark: builds release binaries and measures the PRODUCT.md targets on this
# machine. Takes about 12 minutes. PostgreSQL: HOOKYARD_BENCH_POSTGRES_URL (an empty database
# per run is created from it), else a throwaway cluster with default (durable) settings.
#
#   scripts/bench.sh            full runs (60 s ingest)
#   SECONDS_PER_RUN=15 scripts/bench.sh   shorter
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs=${SECONDS_PER_RUN:-60}

scripts/setup.sh --test >/dev/null
scripts/build-site.sh >/dev/null
cargo build --release -p hookyard --bins -q
bench=target/release/hookyard-bench
# PostgreSQL refuses to start without a master key; one per run is enough here.
export HOOKYARD_SECRET_KEY="${HOOKYARD_SECRET_KEY:-$(target/release/hookyard generate-master-key)}"

if [[ -z "${HOOKYARD_BENCH_POSTGRES_URL:-}" ]]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pgdata=$(mktemp -d /tmp/hookyard-benchpg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg=()
  if [[ $(id -u) -eq 0 ]]; then chown postgres "$pgdata"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w start \
    -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
  trap '"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1; rm -rf "$pgdata"' EXIT
  HOOKYARD_BENCH_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
fi
fresh_pg() {
  local name="bench_$1_$$"
  psql -q "$HOOKYARD_BENCH_POSTGRES_URL" -c "CREATE DATABASE $name" >/dev/null
  echo "${HOOKYARD_BENCH_POSTGRES_URL%/*}/$name"
}

echo "Hookyard benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
$bench fsync --dir data
echo
$bench ingest --seconds "$secs" --clients 128
echo
$bench ingest --seconds "$((secs / 2))" --clients 64 --rate 5000
echo
$bench ingest --seconds "$secs" --clients 128 --database-url "$(fresh_pg ingest)"
echo
$bench deliver --events 50000
echo
$bench deliver --events 50000 --database-url "$(fresh_pg deliver)"
echo
$bench pages --events "${PAGE_EVENTS:-1000000}"
echo
$bench pages --events "${PAGE_EVENTS:-1000000}" --database-url "$(fresh_pg pages)"
echo
js=$(gzip -9 -c target/site/pkg/hookyard.js | wc -c)
wasm=$(gzip -9 -c target/site/pkg/hookyard_bg.wasm | wc -c)
echo "browser bundle: wasm $((wasm / 1024)) KB + js $((js / 1024)) KB gzip = $(((wasm + js) / 1024)) KB (target <= 500 KB)"
