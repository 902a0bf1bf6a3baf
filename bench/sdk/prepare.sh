# Sourced by bench/sdk-cost and bench/wire-bytes: installs sdk/'s packages, builds Reel's SDK
# and the plain-rrweb baselines into $assets with the benchmark pages, and builds sdkbench.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
assets="$tmp/assets"
mkdir -p "$assets"
command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null || { echo "Chromium not found (apt-get install chromium, or set CHROMIUM)" >&2; exit 1; }
echo "==> npm ci in sdk/" >&2
(cd "$root/sdk" && npm ci --no-audit --no-fund --loglevel=error >&2)
(cd "$root/sdk" && node build.mjs --out "$assets" >&2 && node "$root/bench/sdk/baseline.mjs" "$assets" >&2)
cp "$root"/bench/sdk/pages/*.html "$assets/"
echo "==> go build sdkbench" >&2
(cd "$root" && go build -o "$tmp/sdkbench" ./bench/sdk/sdkbench)
