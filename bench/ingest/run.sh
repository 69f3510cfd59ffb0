#!/usr/bin/env bash
# Ingest benchmark: ingest (202 after Kafka's acks=all) against the HTTP ceiling of this machine
# (bench_ceiling: the same libmicrohttpd setup answering 202 with no Kafka, measured just before
# and just after ingest), under the same wrk load, and prints comparable figures. See
# bench/README.md.
#
#   bench/ingest/run.sh
#
# Environment (all optional):
#   BUILD_DIR    build folder holding closebridge-ingest and bench/bench_ceiling (default: build)
#   SKIP_BUILD   1: do not run deploy/build.sh "$BUILD_DIR" first
#   DURATION     seconds of each measured run (default 10)
#   WARMUP       seconds of the unmeasured run before each measured one (default 60: a fresh
#                broker's JVM spends the first seconds compiling, at twice the CPU per record)
#   CONNECTIONS  wrk connections (default 64); THREADS: wrk threads (default 2)
#   KAFKA_BOOTSTRAP_SERVERS  use this broker instead of starting one in $BUILD_DIR/bench-kafka
#   INGEST_ARGS  extra ingest flags, e.g. "--kafka linger.ms=5" (word-split)
#
# Everything listens on 127.0.0.1 only. Every wait has a deadline, and every process started here
# (broker, ingest, ceiling) is stopped on exit, by its own pid.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
duration=${DURATION:-10}
warmup=${WARMUP:-60}
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
body_file=$top/tests/data/legacy_update.json
instance_id=20931
webhook_path=/events/closeio/$(printf '%s' "$instance_id" | base64)
lua=$top/bench/ingest/post.lua

need_tools wrk kcat curl
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a whole number of seconds"
[[ $warmup =~ ^[0-9]+$ ]] || die "WARMUP must be a whole number of seconds"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
        "$top/deploy/build.sh" "$build" >/dev/null || die "the build failed"
fi
ingest_bin=$build/closebridge-ingest
ceiling_bin=$build/bench/bench_ceiling
[ -x "$ingest_bin" ] || die "$ingest_bin is missing"
[ -x "$ceiling_bin" ] || die "$ceiling_bin is missing (configure with CB_TESTS=ON)"

run_dir=$build/bench-run
kafka_dir=$build/bench-kafka
mkdir -p "$run_dir"

# --- cleanup: only what this script started, by pid -------------------------------------------
ingest_pid=
ceiling_pid=
kafka_started=0

cleanup() {
        trap - EXIT INT TERM
        stop_pid "$ingest_pid" 20
        stop_pid "$ceiling_pid" 5
        stop_kafka
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits (at most secs seconds) until the end offsets of topic stop moving; prints the last sum.
settled_end_offsets() {
        local topic=$1 secs=$2 deadline prev now
        deadline=$((SECONDS + secs))
        prev=$(topic_end_offsets "$topic")
        while ((SECONDS < deadline)); do
                sleep 0.5
                now=$(topic_end_offsets "$topic")
                [ "$now" = "$prev" ] && break
                prev=$now
        done
        echo "$prev"
}

# Runs wrk for secs seconds against the webhook URL on port; output goes to file.
run_wrk() {
        local port=$1 secs=$2 file=$3
        # BENCH_BODY is read by post.lua in every wrk thread.
        BENCH_BODY=$body_file timeout $((secs + 30)) wrk -t"$threads" -c"$connections" \
                -d"${secs}s" --latency -s "$lua" "http://127.0.0.1:$port$webhook_path" >"$file" 2>&1 ||
                { cat "$file" >&2; die "wrk failed"; }
}

# Parses wrk's output in file into the array named by $2:
# requests/s, p50 ms, p90 ms, p99 ms, responses, non-2xx/3xx, socket errors.
# wrk counts a response as an error ("Non-2xx or 3xx responses") only when its status is >= 400,
# so ingest's 202 is a success.
parse_wrk() {
        local -n out=$2
        # shellcheck disable=SC2034 # out is a nameref
        read -r -a out < <(awk '
                function ms(v) {
                        if (v ~ /us$/) return v / 1000;
                        if (v ~ /ms$/) return v + 0;
                        if (v ~ /m$/) return v * 60000;
                        if (v ~ /s$/) return v * 1000;
                        return v + 0;
                }
                /Requests\/sec:/ { rps = $2 }
                / requests in / { total = $1 }
                /^ +50%/ { p50 = ms($2) }
                /^ +90%/ { p90 = ms($2) }
                /^ +99%/ { p99 = ms($2) }
                /Non-2xx or 3xx responses:/ { non2xx = $NF }
                /Socket errors:/ { gsub(",", ""); sock = $4 + $6 + $8 + $10 }
                END { printf "%s %.3f %.3f %.3f %d %d %d\n", rps, p50, p90, p99, total, non2xx, sock }
        ' "$1")
        [ "${#out[@]}" = 7 ] && [ -n "${out[0]}" ] || { cat "$1" >&2; die "cannot read wrk output $1"; }
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the HTTP ceiling, before ingest -------------------------------------------------------------
start_ceiling "$body_file" "$webhook_path"
note "ceiling: warm-up ${warmup}s, then ${duration}s measured"
((warmup == 0)) || run_wrk "$ceiling_port" "$warmup" "$run_dir/ceiling.warmup.txt"
counters0=$(cpu_counters)
run_wrk "$ceiling_port" "$duration" "$run_dir/ceiling.wrk.txt"
ceiling_steal=$(steal_pct "$counters0" "$(cpu_counters)")

# --- Kafka ---------------------------------------------------------------------------------------
start_kafka

# --- ingest --------------------------------------------------------------------------------------
prefix=bench$RANDOM$RANDOM.
topic=${prefix}closeio.events
instances=$run_dir/instances.json
cat >"$instances" <<EOF
[{"id": $instance_id, "element": {"key": "closeio"}, "name": "bench",
  "configuration": {"username": "k", "event.notification.enabled": "true",
                    "event.notification.callback.url": "http://127.0.0.1:9/x"}}]
EOF
ingest_port=$(pick_port)
# shellcheck disable=SC2086 # INGEST_ARGS is meant to be word-split
KAFKA_BOOTSTRAP_SERVERS=$bootstrap CLOSEBRIDGE_TOPIC_PREFIX=$prefix "$ingest_bin" \
        --http-bind 127.0.0.1 --http-port "$ingest_port" --instances-file "$instances" \
        --log-level warn ${INGEST_ARGS:-} >"$run_dir/ingest.log" 2>&1 </dev/null &
ingest_pid=$!
note "ingest pid $ingest_pid on 127.0.0.1:$ingest_port, topic $topic"
wait_status 200 60 "$ingest_pid" ingest "http://127.0.0.1:$ingest_port/readyz"
# Ready means the table is loaded; the instance written from the file arrives a moment later.
wait_status 202 30 "$ingest_pid" "ingest (first webhook)" -H 'Content-Type: application/json' \
        --data-binary "@$body_file" "http://127.0.0.1:$ingest_port$webhook_path"

# --- measured runs -------------------------------------------------------------------------------
note "ingest: warm-up ${warmup}s, then ${duration}s measured"
((warmup == 0)) || run_wrk "$ingest_port" "$warmup" "$run_dir/ingest.warmup.txt"
records_before=$(settled_end_offsets "$topic" 15)
kafka_pid=
[ "$kafka_started" = 0 ] || kafka_pid=$(cat "$kafka_dir/kafka.pid")
ingest_cpu0=$(cpu_ticks "$ingest_pid")
kafka_cpu0=$(cpu_ticks "$kafka_pid")
counters0=$(cpu_counters)
run_wrk "$ingest_port" "$duration" "$run_dir/ingest.wrk.txt"
ingest_steal=$(steal_pct "$counters0" "$(cpu_counters)")
ingest_cpu=$(($(cpu_ticks "$ingest_pid") - ingest_cpu0))
kafka_cpu=$(($(cpu_ticks "$kafka_pid") - kafka_cpu0))
records_after=$(settled_end_offsets "$topic" 20)
ingest_hwm_kb=$(peak_rss_kb "$ingest_pid")
kill -0 "$ingest_pid" 2>/dev/null || die "ingest exited during the run"
stop_pid "$ingest_pid" 20
ingest_pid=

# the ceiling again: the machine's speed drifts (other guests), so ingest is compared with the
# mean of the ceiling measured just before and just after it
note "ceiling (after ingest): warm-up 5s, then ${duration}s measured"
run_wrk "$ceiling_port" 5 "$run_dir/ceiling2.warmup.txt"
counters0=$(cpu_counters)
run_wrk "$ceiling_port" "$duration" "$run_dir/ceiling2.wrk.txt"
ceiling_steal2=$(steal_pct "$counters0" "$(cpu_counters)")
ceiling_hwm_kb=$(peak_rss_kb "$ceiling_pid")
stop_pid "$ceiling_pid" 5
ceiling_pid=

# --- report --------------------------------------------------------------------------------------
parse_wrk "$run_dir/ingest.wrk.txt" ing
parse_wrk "$run_dir/ceiling.wrk.txt" ceil
parse_wrk "$run_dir/ceiling2.wrk.txt" ceil2
ing_2xx=$((ing[4] - ing[5]))
ceil_2xx=$((ceil[4] - ceil[5]))
ceil2_2xx=$((ceil2[4] - ceil2[5]))
records=$((records_after - records_before))
ceil_mean=$(awk -v a="${ceil[0]}" -v b="${ceil2[0]}" 'BEGIN { printf "%.0f", (a + b) / 2 }')
ceil_drift=$(awk -v a="${ceil[0]}" -v b="${ceil2[0]}" \
        'BEGIN { printf "%+.1f", (a > 0) ? 100 * (b - a) / a : 0 }')
ratio=$(awk -v a="${ing[0]}" -v b="$ceil_mean" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }')
ratio_ok=$(awk -v r="$ratio" 'BEGIN { print (r >= 25) ? "met" : "MISSED" }')
p99_ok=$(awk -v p="${ing[3]}" 'BEGIN { print (p < 25) ? "met" : "MISSED" }')
ingest_warnings=$(grep -c . "$run_dir/ingest.log" || true)

row() {
        local name=$1 hwm_kb=$2 ok=$3
        shift 3
        printf '%-14s %11.0f %8.2f %8.2f %8.2f %9d %8d %8d %7.1f MB\n' "$name" "$1" "$2" "$3" \
                "$4" "$ok" "$5" "$6" "$(awk -v k="$hwm_kb" 'BEGIN { print k / 1024 }')"
}

echo
echo "closebridge ingest benchmark: wrk -t$threads -c$connections -d${duration}s --latency," \
        "POST $(wc -c <"$body_file") B ($(basename "$body_file"))"
echo "$(nproc) CPUs, load average before the runs: $load_before (other work on the machine skews" \
        "the figures)"
echo "CPU stolen by the hypervisor during the measured runs: ceiling $ceiling_steal % and" \
        "$ceiling_steal2 %, ingest $ingest_steal % (figures compare only at low steal)"
printf '%-14s %11s %8s %8s %8s %9s %8s %8s %10s\n' "" "requests/s" "p50 ms" "p90 ms" "p99 ms" \
        "2xx" "non-2xx" "sock err" "peak RSS"
row "ceiling before" "$ceiling_hwm_kb" "$ceil_2xx" "${ceil[0]}" "${ceil[1]}" "${ceil[2]}" "${ceil[3]}" \
        "${ceil[5]}" "${ceil[6]}"
row ingest "$ingest_hwm_kb" "$ing_2xx" "${ing[0]}" "${ing[1]}" "${ing[2]}" "${ing[3]}" \
        "${ing[5]}" "${ing[6]}"
row "ceiling after" "$ceiling_hwm_kb" "$ceil2_2xx" "${ceil2[0]}" "${ceil2[1]}" "${ceil2[2]}" "${ceil2[3]}" \
        "${ceil2[5]}" "${ceil2[6]}"
echo
echo "ingest/ceiling:  $ratio % of $ceil_mean requests/s, the mean of the ceiling before and after" \
        "ingest (after: $ceil_drift %) (target >= 25 %: $ratio_ok)"
printf 'ingest p99:      %.2f ms (target < 25 ms at %d connections: %s)\n' "${ing[3]}" "$connections" \
        "$p99_ok"
echo "ingest non-2xx:  ${ing[5]} (202 counts as success: wrk counts only statuses >= 400)"
echo "ingest peak RSS: $(awk -v k="$ingest_hwm_kb" 'BEGIN { printf "%.1f", k / 1024 }') MB (VmHWM)"
echo "records on $topic from the measured run: $records; wrk counted $ing_2xx 2xx" \
        "(requests in flight when wrk stopped are stored but not counted: up to $connections more)"
awk -v i="$ingest_cpu" -v k="$kafka_cpu" -v hz="$(getconf CLK_TCK)" -v d="$duration" \
        -v own="$kafka_started" 'BEGIN {
                printf "CPU during the measured ingest run: ingest %.1f s", i / hz
                if (own == 1)
                        printf ", broker %.1f s", k / hz
                printf " (of %d s x %d CPUs)\n", d, '"$(nproc)"'
        }'
echo "ingest log lines at --log-level warn: $ingest_warnings; wrk output and logs in $run_dir"
