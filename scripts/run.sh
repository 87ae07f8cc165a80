#!/usr/bin/env bash
# Sets up, builds and starts Hookyard on SQLite at http://127.0.0.1:3000 (data in ./data/).
# Extra arguments go to `hookyard serve`, e.g. `scripts/run.sh --bind 0.0.0.0:3000`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-site.sh
export DATABASE_URL="${DATABASE_URL:-sqlite://data/hookyard.db}"
hy=target/release/hookyard
# The dashboard needs an admin to sign in with: make one the first time, and say so once.
if ! "$hy" user list | grep -qE '[[:space:]]admin[[:space:]]+active'; then
  password=$(head -c 15 /dev/urandom | base64 | tr '+/' '-_')
  printf '%s\n' "$password" | "$hy" user add --email admin@localhost --role admin >/dev/null
  cat <<EOF

  First start: an admin account was created. Sign in at http://127.0.0.1:3000/login with

      email     admin@localhost
      password  $password

  It is shown this once. Add people and change roles on the Users & tokens page.

EOF
fi
exec "$hy" serve "$@"
