#!/usr/bin/env bash
# Hookyard's benchmark: builds release binaries and measures the PRODUCT.md targets on this
# machine. Takes about 15 minutes. PostgreSQL: HOOKYARD_BENCH_POSTGRES_URL (an empty database
# per run is created from it), else a throwaway cluster with default (durable) settings.
# Each run's full output comes first; the last block is the table of BENCHMARKS.md (every
# figure next to its target, with the disk's fsync baseline and the machine's load).
#
#   scripts/bench.sh                      full runs (60 s ingest, 1,000,000 stored events)
#   SECONDS_PER_RUN=15 PAGE_EVENTS=100000 scripts/bench.sh   shorter
#   scripts/bench.sh --no-build           measure the binaries already in target/release
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
secs=${SECONDS_PER_RUN:-60}
page_events=${PAGE_EVENTS:-1000000}
target_dir=${CARGO_TARGET_DIR:-target}

if [[ "${1:-}" != "--no-build" ]]; then
  scripts/setup.sh --test >/dev/null
  scripts/build-site.sh >/dev/null
  cargo build --release -p hookyard --bins -q
fi
bench=$target_dir/release/hookyard-bench
pkg=$target_dir/site/pkg
# PostgreSQL refuses to start without a master key; one per run is enough here.
export HOOKYARD_SECRET_KEY="${HOOKYARD_SECRET_KEY:-$("$target_dir/release/hookyard" generate-master-key)}"

out=$(mktemp -d /tmp/hookyard-bench-out.XXXXXX)
cleanup() { rm -rf "$out"; }
trap cleanup EXIT
if [[ -z "${HOOKYARD_BENCH_POSTGRES_URL:-}" ]]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pgdata=$(mktemp -d /tmp/hookyard-benchpg.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  as_pg=()
  if [[ $(id -u) -eq 0 ]]; then chown postgres "$pgdata"; as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w start \
    -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
  cleanup() {
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1
    rm -rf "$pgdata" "$out"
  }
  HOOKYARD_BENCH_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
fi
fresh_pg() {
  local name="bench_$1_$$"
  psql -q "$HOOKYARD_BENCH_POSTGRES_URL" -c "CREATE DATABASE $name" >/dev/null
  echo "${HOOKYARD_BENCH_POSTGRES_URL%/*}/$name"
}
drop_pg() { psql -q "$HOOKYARD_BENCH_POSTGRES_URL" -c "DROP DATABASE IF EXISTS bench_$1_$$" >/dev/null; }
# One run: its output is shown and kept for the table, with the load average before it.
run() {
  local name=$1
  shift
  echo "[$(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)]"
  echo "load $(cut -d' ' -f1 /proc/loadavg)" >"$out/$name"
  "$@" 2>/dev/null | tee -a "$out/$name"
  echo
}

started=$(date -u '+%Y-%m-%d %H:%M UTC')
machine="$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM, Linux $(uname -r)"
echo "Hookyard benchmark — $started, $machine"
run fsync "$bench" fsync --dir data
run ingest_sqlite "$bench" ingest --seconds "$secs" --clients 128
run ingest_half "$bench" ingest --seconds "$((secs / 2))" --clients 64 --rate 5000
run ingest_pg "$bench" ingest --seconds "$secs" --clients 128 --database-url "$(fresh_pg ingest)"
drop_pg ingest
run deliver_sqlite "$bench" deliver --events 50000
run deliver_pg "$bench" deliver --events 50000 --database-url "$(fresh_pg deliver)"
drop_pg deliver
run pages_sqlite "$bench" pages --events "$page_events"
run pages_pg "$bench" pages --events "$page_events" --database-url "$(fresh_pg pages)"
drop_pg pages
js=$(gzip -9 -c "$pkg/hookyard.js" | wc -c)
wasm=$(gzip -9 -c "$pkg/hookyard_bg.wasm" | wc -c)

# ---- the table -------------------------------------------------------------------------------
# field FILE PATTERN N: the Nth whitespace-separated word after PATTERN on its first line.
field() { grep -m1 -- "$2" "$out/$1" | sed "s/.*$2//" | awk -v n="$3" '{print $n}' | tr -d '(,'; }
load() { awk '/^load/{print $2; exit}' "$out/$1"; }
verdict() { awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN{ok = d == "ge" ? v >= t : v <= t; print ok ? "met" : "**missed**"}'; }
# The worst p99 of the Events page's indexed filters, and a named payload-search case.
pages_p99() { grep 'target p99 <= 20 ms' "$out/$1" | sed 's/.*p99 *\([0-9.]*\) ms.*/\1/' | sort -g | tail -n 1; }
search_p99() { grep "$2" "$out/$1" | sed 's/.*p99 *\([0-9.]*\) ms.*/\1/'; }

fsync=$(field fsync 'data): ' 1)
sq_rate=$(field ingest_sqlite 'acknowledged (2xx)' 2)
sq_p99=$(field ingest_sqlite ' p99 ' 1)
sq_rss=$(field ingest_sqlite 'peak RSS' 1)
sq_exact=$(grep -c '= acknowledged' "$out/ingest_sqlite" || true)
half_rate=$(field ingest_half 'acknowledged (2xx)' 2)
half_p99=$(field ingest_half ' p99 ' 1)
pg_rate=$(field ingest_pg 'acknowledged (2xx)' 2)
pg_p99=$(field ingest_pg ' p99 ' 1)
pg_rss=$(field ingest_pg 'peak RSS' 1)
dl_sq=$(field deliver_sqlite 's (' 1)
dl_pg=$(field deliver_pg 's (' 1)
page_sq=$(pages_p99 pages_sqlite)
page_pg=$(pages_p99 pages_pg)
search_sq=$(search_p99 pages_sqlite 'payload search, 24 h window')
search_pg=$(search_p99 pages_pg 'payload search, 24 h window')
bundle=$(((wasm + js) / 1024))
half_ok=$(awk -v r="$half_rate" -v p="$half_p99" 'BEGIN{print (r >= 4900 && p <= 25) ? "met" : "**missed**"}')
rss_max=$(printf '%s\n%s\n' "$sq_rss" "$pg_rss" | sort -g | tail -n 1)

cat <<EOF

## Results — $started

Machine: $machine. Disk fsync baseline (\`hookyard-bench fsync\`, write+fdatasync of 4 KiB in
\`data/\`): **$fsync/s**. Load average (1 min) before each run in brackets.
Command: \`scripts/bench.sh\` (SECONDS_PER_RUN=$secs, PAGE_EVENTS=$page_events).

| what | target (PRODUCT.md) | measured | |
|---|---|---|---|
| ingest, SQLite, $secs s, 128 clients | ≥ 10,000 events/s | $sq_rate events/s, p99 $sq_p99 ms$([[ $sq_exact -gt 0 ]] && echo ", stored = acknowledged") [$(load ingest_sqlite)] | $(verdict "$sq_rate" 10000 ge) |
| ingest, SQLite, held at 5,000/s | p99 ≤ 25 ms | $half_rate events/s, p99 $half_p99 ms [$(load ingest_half)] | $half_ok |
| ingest, PostgreSQL, $secs s, 128 clients | ≥ 5,000 events/s | $pg_rate events/s, p99 $pg_p99 ms [$(load ingest_pg)] | $(verdict "$pg_rate" 5000 ge) |
| delivery to a local handler, SQLite, 50,000 | ≥ 5,000 deliveries/s | $dl_sq deliveries/s [$(load deliver_sqlite)] | $(verdict "$dl_sq" 5000 ge) |
| delivery to a local handler, PostgreSQL, 50,000 | ≥ 5,000 deliveries/s | $dl_pg deliveries/s [$(load deliver_pg)] | $(verdict "$dl_pg" 5000 ge) |
| Events page, $page_events events, SQLite, worst indexed filter | server time p99 ≤ 20 ms | p99 $page_sq ms [$(load pages_sqlite)] | $(verdict "$page_sq" 20 le) |
| Events page, $page_events events, PostgreSQL, worst indexed filter | server time p99 ≤ 20 ms | p99 $page_pg ms [$(load pages_pg)] | $(verdict "$page_pg" 20 le) |
| payload search, $page_events events, 24 h window, SQLite | ≤ 200 ms | p99 $search_sq ms | $(verdict "$search_sq" 200 le) |
| payload search, $page_events events, 24 h window, PostgreSQL | ≤ 200 ms | p99 $search_pg ms | $(verdict "$search_pg" 200 le) |
| wasm + js shipped to the browser | ≤ 500 KB gzip | $bundle KB ($((wasm / 1024)) KB wasm + $((js / 1024)) KB js) | $(verdict "$bundle" 500 le) |
| server memory under the ingest benchmark | ≤ 150 MB RSS | $rss_max MB peak (SQLite $sq_rss, PostgreSQL $pg_rss) | $(verdict "$rss_max" 150 le) |
| kill -9 during load | every 2xx event present exactly once | not part of this run: \`scripts/reliability.sh crash\` (server/tests/crash.rs) | see BENCHMARKS.md |
EOF
