#!/usr/bin/env bash
# Installs isign's build and test dependencies from Debian 12 packages.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=(
  build-essential cmake pkg-config git
  libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libcxxopts-dev catch2 libsodium-dev
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
