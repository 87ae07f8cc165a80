#!/usr/bin/env bash
# Sets up, builds and starts Hookyard on SQLite at http://127.0.0.1:3000 (data in ./data/).
# Extra arguments go to `hookyard serve`, e.g. `scripts/run.sh --bind 0.0.0.0:3000`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-site.sh
export DATABASE_URL="${DATABASE_URL:-sqlite://data/hookyard.db}"
exec target/release/hookyard serve "$@"
