#!/usr/bin/env bash
# Console index benchmark: how fast the console's SQLite index (console/index.h) takes the
# records of N events in the follower's batches, how big it gets on disk, and the latency of the
# API's five most common queries on a read-only connection, beside a ceiling measured in the same
# run (bare SQLite inserting the same rows, same schema and pragmas). Prints comparable figures.
# See bench/README.md.
#
#   bench/console/run.sh
#
# Environment (all optional):
#   BUILD_DIR    build folder holding bench/bench_console_index (default: build)
#   SKIP_BUILD   1: do not run deploy/build.sh "$BUILD_DIR" first
#   N            events to index (default 1000000; about 3.07 records each)
#   RUNS         runs of each query (default 500)
#
# No Kafka, no network: the program makes the records itself. Its databases go to a fresh
# temporary folder (on TMPDIR's file system, default /tmp), removed on exit; at the default N
# they take about a GB for the run.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
n=${N:-1000000}
runs=${RUNS:-500}

[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a whole number > 0"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a whole number > 0"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
        "$top/deploy/build.sh" "$build" >/dev/null || die "the build failed"
fi
bench_bin=$build/bench/bench_console_index
[ -x "$bench_bin" ] || die "$bench_bin is missing (configure with CB_TESTS=ON)"

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/closebridge-bench-console.XXXXXX")
bench_pid=

cleanup() {
        trap - EXIT INT TERM
        stop_pid "$bench_pid" 10
        rm -rf "${run_dir:?}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

note "indexing $n events into $run_dir (progress below; figures at the end)"
start=$SECONDS
"$bench_bin" -n "$n" -r "$runs" -d "$run_dir" >"$run_dir/report.txt" </dev/null &
bench_pid=$!
wait "$bench_pid" || die "bench_console_index failed (exit $?)"
bench_pid=
echo
cat "$run_dir/report.txt"
echo "(the whole run took $((SECONDS - start)) s)"
