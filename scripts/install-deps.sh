#!/usr/bin/env bash
# Installs isign's build and test dependencies from Debian 12 packages.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=(
  build-essential cmake pkg-config git ccache
  libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libcxxopts-dev catch2 libsodium-dev
  libboost-dev # isign serve: Boost.Beast and Asio (header-only), HTTP/1.1 and TLS
  docker-registry apache2-utils openssl ca-certificates curl skopeo
  clang libclang-rt-14-dev llvm # scripts/fuzz.sh: clang 14, libFuzzer + sanitizer runtimes, symbolizer
  clang-format-14 # scripts/check-format.sh (.ci/run's checks)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's docker-registry package starts a system service on :5000; isign's tests and demo start
# their own instances on free ports and do not need it.

# tests/interop: sigstore-js, an independent bundle verifier and referrer writer, pinned by
# tests/interop/package-lock.json. Its packages need Node ^20.17 or >= 22.9, newer than Debian 12's
# nodejs (18): install a newer nodejs first (NodeSource's bundles npm and conflicts with Debian's
# npm package, so apt is asked for nodejs and npm only when there is no npm at all).
if ! command -v npm >/dev/null 2>&1; then
  echo "installing: nodejs npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
              process.exit(a === 20 ? (b >= 17 ? 0 : 1) : a === 22 ? (b >= 9 ? 0 : 1) : a > 22 ? 0 : 1)'; then
  echo "install-deps: tests/interop needs Node ^20.17 or >= 22.9, found $(node --version)" >&2
  exit 1
fi
interop="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/interop"
stamp="$interop/node_modules/.isign-lock-sha256"
lock_sum="$(sha256sum "$interop/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
  echo "installing: tests/interop node modules (npm ci)"
  npm ci --prefix "$interop" --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi
