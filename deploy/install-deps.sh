#!/usr/bin/env bash
# Installs what closebridge needs on Debian bookworm, and nothing it already has.
#
#   install-deps.sh build     compiler, CMake and the -dev packages of the libraries
#   install-deps.sh runtime   the shared libraries the two binaries link, and curl
#   install-deps.sh kafka     build + a JDK and Maven, to fetch and run Apache Kafka locally
#   install-deps.sh test      kafka + what the tests use: kcat, Python 3, Node.js, clang-format,
#                             clang with libFuzzer (tests/fuzz/run.sh), and headless Chromium
#                             with its WebDriver for the console page's tests (tests/browser)
#   install-deps.sh bench     kafka + what the benchmarks use: wrk, kcat
#
# The Dockerfile runs it too, so CI keeps the image's install steps working.
set -euo pipefail

build=(build-essential cmake pkg-config librdkafka-dev libmicrohttpd-dev libjson-c-dev
        libcurl4-openssl-dev libssl-dev libcmocka-dev libmimalloc-dev uthash-dev libsqlite3-dev)
runtime=(librdkafka1 libmicrohttpd12 libjson-c5 libcurl4 libssl3 libmimalloc2.0 libsqlite3-0 ca-certificates curl)
# libclang-rt-14-dev holds the runtime -fsanitize=fuzzer links (libclang_rt.fuzzer), which
# clang only recommends; llvm brings llvm-symbolizer, for the fuzzers' stack traces
test=(kcat python3 python3-venv curl clang-format clang libfuzzer-14-dev libclang-rt-14-dev llvm
        chromium chromium-driver)

case "${1:-}" in
build) want=("${build[@]}") ;;
runtime) want=("${runtime[@]}") ;;
kafka | test | bench)
        want=("${build[@]}")
        [ "$1" = test ] && want+=("${test[@]}")
        [ "$1" = bench ] && want+=(wrk kcat curl)
        # the Standard Webhooks verifier the tests run is the reference JavaScript library
        [ "$1" = test ] && ! command -v npm >/dev/null && want+=(nodejs npm)
        # Kafka needs Java 17+ and Maven; machines that have them from elsewhere keep theirs.
        command -v java >/dev/null || want+=(openjdk-17-jre-headless)
        command -v mvn >/dev/null || want+=(maven)
        ;;
*)
        echo "usage: install-deps.sh build|runtime|kafka|test|bench" >&2
        exit 2
        ;;
esac

missing=()
for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "install-deps.sh: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
