#!/usr/bin/env bash
# Builds isign and runs every test (unit and end-to-end against a real docker-registry).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# Tests on explicitly: a build dir configured without them must not pass by running nothing.
BUILD_TARGETS= scripts/build.sh -DISIGN_BUILD_TESTS=ON "$@"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)"
