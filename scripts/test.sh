#!/usr/bin/env bash
# Builds isign and runs every test (unit and end-to-end against a real docker-registry).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
scripts/build.sh "$@"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)"
