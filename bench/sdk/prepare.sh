# Sourced by bench/sdk-cost, bench/wire-bytes and bench/real-apps: installs sdk/'s packages,
# builds Reel's SDK and the plain-rrweb baselines into $assets with the benchmark pages, and
# builds the Go commands in $go_pkgs (default sdkbench) into $tmp, in the background while npm
# works; the sourcing script calls go_wait before it runs them.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
assets="$tmp/assets"
mkdir -p "$assets"
command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null || { echo "Chromium not found (apt-get install chromium, or set CHROMIUM)" >&2; exit 1; }
echo "==> go build ${go_pkgs:-./bench/sdk/sdkbench} (in the background)" >&2
# shellcheck disable=SC2086 # a list of packages
(cd "$root" && go build -o "$tmp/" ${go_pkgs:-./bench/sdk/sdkbench}) &
go_pid=$!
go_wait() { wait "$go_pid" || { echo "go build failed" >&2; exit 1; }; }
echo "==> npm ci in sdk/" >&2
(cd "$root/sdk" && npm ci --no-audit --no-fund --loglevel=error >&2)
(cd "$root/sdk" && node build.mjs --out "$assets" >&2 && node "$root/bench/sdk/baseline.mjs" "$assets" >&2)
cp "$root"/bench/sdk/pages/*.html "$assets/"
