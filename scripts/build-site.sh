#!/usr/bin/env bash
# Builds the browser bundle (wasm + JS glue) into target/site/pkg, then the `hookyard` binary,
# which embeds it. Plain cargo + wasm-bindgen: minutes on a fresh machine, where installing
# cargo-leptos would take 20-30 (see README). `cargo leptos build` produces the same site.
#
#   scripts/build-site.sh            release build (what `hookyard serve` ships)
#   scripts/build-site.sh --debug    faster, larger bundle, for development
#   scripts/build-site.sh --debug --bundle-only   only the bundle (the tests build the binary)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=wasm-release
server_profile=release
if [[ "${1:-}" == "--debug" ]]; then
  profile=dev
  server_profile=dev
fi
wasm_dir=$([[ $profile == dev ]] && echo debug || echo "$profile")
server_dir=$([[ $server_profile == dev ]] && echo debug || echo "$server_profile")

echo "==> building the browser bundle (profile $profile)"
cargo build -p hookyard-frontend --lib --target wasm32-unknown-unknown --profile "$profile"

pkg=target/site/pkg
mkdir -p "$pkg"
wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name hookyard \
  "target/wasm32-unknown-unknown/$wasm_dir/hookyard_frontend.wasm"
wasm_opt=$(command -v wasm-opt || ls end2end/node_modules/.bin/wasm-opt 2>/dev/null || true)
if [[ $profile != dev && -n $wasm_opt ]]; then
  echo "==> optimising the bundle with $wasm_opt"
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals "$pkg/hookyard_bg.wasm" -o "$pkg/hookyard_bg.wasm"
fi
cp style/main.css "$pkg/hookyard.css"
ls -l "$pkg"
[[ "${2:-}" == "--bundle-only" ]] && exit 0

echo "==> building the hookyard binary (profile $server_profile, assets embedded)"
cargo build -p hookyard --bin hookyard --profile "$server_profile"
echo "==> built target/$server_dir/hookyard"
