#!/usr/bin/env bash
# The long versions of the reliability suite (scripts/test.sh runs the bounded ones).
#
#   scripts/reliability.sh crash   [--rounds 20] [--load-ms 3000] [--clients 32] [--repeat N]
#   scripts/reliability.sh faults  [--outage-secs 10] [--rounds 3] [--events 50] [--repeat N]
#   scripts/reliability.sh hostile [--repeat N]
#   scripts/reliability.sh fuzz    [--seconds 300] [TARGET...]    (nightly + cargo-fuzz)
#   scripts/reliability.sh fuzz-stable [--mutations 1000000]      (stable, no coverage guidance)
#
# crash, faults and hostile run on SQLite and PostgreSQL: HOOKYARD_TEST_POSTGRES_URL if set,
# else a throwaway cluster under /tmp (as scripts/test.sh does). --repeat N runs the test N
# times in a row and stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[[ $# -ge 1 ]] || usage
what=$1
shift
repeat=1
seconds=300
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) export HOOKYARD_CRASH_ROUNDS=$2 HOOKYARD_OUTAGE_ROUNDS=$2; shift 2 ;;
    --load-ms) export HOOKYARD_CRASH_LOAD_MS=$2; shift 2 ;;
    --clients) export HOOKYARD_CRASH_CLIENTS=$2; shift 2 ;;
    --outage-secs) export HOOKYARD_OUTAGE_SECS=$2; shift 2 ;;
    --events) export HOOKYARD_FAULT_EVENTS=$2; shift 2 ;;
    --mutations) export HOOKYARD_FUZZ_MUTATIONS=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) targets+=("$1"); shift ;;
  esac
done

with_postgres() {
  if [[ -z "${HOOKYARD_TEST_POSTGRES_URL:-}" ]]; then
    # The same throwaway cluster as scripts/test.sh.
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
  export HOOKYARD_REQUIRE_POSTGRES=1
}

run_test() { # test file (server/tests/NAME.rs)
  with_postgres
  cargo test -p hookyard --test "$1" --no-run
  for i in $(seq 1 "$repeat"); do
    echo "==> $1: run $i of $repeat"
    cargo test -p hookyard --test "$1" -- --nocapture --test-threads 1
  done
  echo "==> $1: $repeat run(s) passed"
}

case $what in
  crash) run_test crash ;;
  faults) run_test faults ;;
  hostile) run_test hostile ;;
  fuzz-stable) cargo test -p hookyard --test fuzz_corpus -- --nocapture ;;
  fuzz)
    if ! cargo +nightly --version >/dev/null 2>&1; then
      echo "cargo fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2
      exit 1
    fi
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    [[ ${#targets[@]} -gt 0 ]] || mapfile -t targets < <(cd fuzz/fuzz_targets && ls *.rs | sed 's/\.rs$//')
    for t in "${targets[@]}"; do
      echo "==> fuzzing $t for $seconds s"
      # No sanitizer: the code under test is safe Rust, where ASan finds nothing and halves
      # the speed; debug assertions (-a) catch integer overflow.
      cargo +nightly fuzz run -s none -a "$t" -- -max_total_time="$seconds" -print_final_stats=1
    done
    ;;
  *) usage ;;
esac
