#!/usr/bin/env bash
# Runs every test of closebridge: installs what the tests need, fetches Apache Kafka from Maven
# Central, then builds three times (a normal build, an AddressSanitizer + UBSan build and a
# ThreadSanitizer build: tests/tsan/README.md) and runs the ctest suite of each; ctest starts a
# real Kafka broker on loopback for the integration tests, two tests at a time
# (tests/CMakeLists.txt says which may run beside which). Then the fuzz stage
# (tests/fuzz/run.sh): every libFuzzer target for 30 s here (CB_FUZZ_SECONDS; run.sh alone
# gives each 60 s), as many at once as there are cores.
# Last, the container stage (tests/containers/run.sh): a Docker engine of its own, the image
# built from the Dockerfile and the repository's docker-compose.yml run for real; it needs root,
# and fails (it is never skipped) where dockerd cannot start.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$top/deploy/install-deps.sh" test
"$top/deploy/kafka/kafka.sh" fetch
# The tests' Python packages live in a venv of their own (tests/requirements.txt).
venv=$top/build-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$top/tests/requirements.txt"
# and their Node.js packages (tests/integration/package.json: the Standard Webhooks verifier)
npm ci --prefix "$top/tests/integration" --no-audit --no-fund --silent

status=0
for variant in build build-asan build-tsan; do
        args=(-DPython3_EXECUTABLE="$venv/bin/python")
        [ "$variant" = build-asan ] && args+=(-DCB_SANITIZE=ON)
        [ "$variant" = build-tsan ] && args+=(-DCB_TSAN=ON)
        echo "== $variant" >&2
        "$top/deploy/build.sh" "$variant" "${args[@]}"
        (cd "$top/$variant" && ctest --output-on-failure -j2) || status=1
done
echo "== fuzz" >&2
CB_FUZZ_SECONDS=${CB_FUZZ_SECONDS:-30} "$top/tests/fuzz/run.sh" || status=1
echo "== containers" >&2
"$top/tests/containers/run.sh" "$venv/bin/python" || status=1
exit $status
