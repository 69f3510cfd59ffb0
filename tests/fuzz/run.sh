#!/usr/bin/env bash
# Fuzzes every target of tests/fuzz for real, with clang's libFuzzer, for a fixed time each: the
# fuzz stage of deploy/test.sh.
#
#   tests/fuzz/run.sh [BUILD_DIR]                     default BUILD_DIR: build-fuzz
#
# Configures BUILD_DIR with clang and -DCB_FUZZ=ON (everything instrumented for coverage, with
# ASan and UBSan), builds the fuzz_<name> binaries, one for each tests/fuzz/fuzz_<name>.c, and
# runs each (or those CB_FUZZ_TARGETS names, e.g. "instance merge_patch") for CB_FUZZ_SECONDS
# (default 60), CB_FUZZ_JOBS (default nproc) at once, from its seed corpus
# tests/fuzz/corpus/<name>/ with tests/fuzz/<name>.dict when there is one. What a run finds
# goes to BUILD_DIR/fuzz/<name>/: new inputs to corpus/ (kept, so the next run goes on from
# there; tests/fuzz/corpus is never written), the log to fuzz.log, and the input of a crash,
# leak, time-out (CB_FUZZ_TIMEOUT seconds on one input, default 10) or out-of-memory
# (CB_FUZZ_RSS_MB, default 2048) to a crash-/leak-/timeout-/oom- file there. Prints one line per
# target: executions, executions a second, corpus size, coverage and the result.
# Exits 1 when any target failed, naming the input that broke it; 2 on a usage error.
# A failure's input is replayed with the target alone:  BUILD_DIR/tests/fuzz/fuzz_<name> FILE
# and, fixed, goes into tests/fuzz/corpus/<name>/ named after the bug.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=${1:-build-fuzz}
case "$dir" in /*) ;; *) dir=$top/$dir ;; esac
seconds=${CB_FUZZ_SECONDS:-60}
jobs=${CB_FUZZ_JOBS:-$(nproc)}
timeout=${CB_FUZZ_TIMEOUT:-10}
rss_mb=${CB_FUZZ_RSS_MB:-2048}
for n in "$seconds" "$jobs" "$timeout" "$rss_mb"; do
        [[ "$n" =~ ^[1-9][0-9]*$ ]] || {
                echo "run.sh: CB_FUZZ_SECONDS, _JOBS, _TIMEOUT and _RSS_MB take positive integers" >&2
                exit 2
        }
done
command -v clang >/dev/null || {
        echo "run.sh: clang is missing (deploy/install-deps.sh test installs it)" >&2
        exit 2
}

names=()
for src in "$top"/tests/fuzz/fuzz_*.c; do
        n=${src##*/fuzz_}
        names+=("${n%.c}")
done
if [ -n "${CB_FUZZ_TARGETS:-}" ]; then
        read -r -a names <<<"$CB_FUZZ_TARGETS"
        for n in "${names[@]}"; do
                [ -f "$top/tests/fuzz/fuzz_$n.c" ] || {
                        echo "run.sh: no target $n (tests/fuzz/fuzz_$n.c)" >&2
                        exit 2
                }
        done
fi
start=$SECONDS

echo "fuzz: building ${#names[@]} targets in $dir" >&2
# mimalloc would replace the allocator ASan checks; the services are not fuzzed anyway
CC=clang cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCB_FUZZ=ON \
        -DCB_MIMALLOC=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" --target "${names[@]/#/fuzz_}"

# Runs target $1 and writes its exit status to its rc file.
fuzz_one() {
        local name=$1 work=$dir/fuzz/$1 args=() rc=0
        mkdir -p "$work/corpus"
        rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work/rc"
        [ -f "$top/tests/fuzz/$name.dict" ] && args+=("-dict=$top/tests/fuzz/$name.dict")
        # the outer limit only catches a libFuzzer that stopped keeping its own time
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                timeout -k 10 $((seconds * 2 + 120)) \
                "$dir/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout="$timeout" \
                -rss_limit_mb="$rss_mb" -print_final_stats=1 -artifact_prefix="$work/" \
                "${args[@]}" "$work/corpus" "$top/tests/fuzz/corpus/$name" \
                >"$work/fuzz.log" 2>&1 || rc=$?
        echo "$rc" >"$work/rc"
}

echo "fuzz: ${#names[@]} targets, $seconds s each, $jobs at once" >&2
for name in "${names[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
                wait -n || true
        done
        echo "fuzz: $name" >&2
        fuzz_one "$name" &
done
wait

# The value of libFuzzer's final statistic $2 in log $1 (print_final_stats), or "?".
stat() {
        sed -n "s/^stat::$2: *//p" "$1" | tail -n 1 | grep . || echo "?"
}

status=0
printf '%-12s %12s %9s %8s %7s  %s\n' target execs exec/s corpus cov result
for name in "${names[@]}"; do
        work=$dir/fuzz/$name
        log=$work/fuzz.log
        rc=$(cat "$work/rc" 2>/dev/null || echo "?")
        # the last status line: "#123 DONE cov: 456 ft: 789 corp: 12/345b ..."
        last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
        cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
        corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
        artifact=$(ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null |
                head -n 1 || true)
        if [ "$rc" = 0 ] && [ -z "$artifact" ]; then
                result=ok
        else
                status=1
                result="FAILED (exit $rc): ${artifact:-no input kept}; log $log"
        fi
        printf '%-12s %12s %9s %8s %7s  %s\n' "$name" "$(stat "$log" number_of_executed_units)" \
                "$(stat "$log" average_exec_per_sec)" "${corp:-?}" "${cov:-?}" "$result"
done
echo "fuzz: done in $((SECONDS - start)) s" >&2
exit $status
