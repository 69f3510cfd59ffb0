#!/usr/bin/env bash
# Configures and builds closebridge with CMake.
#
#   build.sh [BUILD_DIR] [extra cmake arguments...]     default BUILD_DIR: build
#
# e.g. `build.sh build-asan -DCB_SANITIZE=ON`, or `build.sh /out -DCB_TESTS=OFF` (Dockerfile).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-build}
shift || true
case "$dir" in /*) ;; *) dir=$top/$dir ;; esac
cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
