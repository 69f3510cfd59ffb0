#!/usr/bin/env bash
# Publish benchmark: how fast closebridge-publish drains a backlog of envelopes into callbacks
# (bench_ceiling as a fast keep-alive receiver), and its end-to-end latency under a steady load,
# with a real broker. Prints comparable figures. See bench/README.md.
#
#   bench/publish/run.sh
#
# Environment (all optional):
#   BUILD_DIR    build folder holding closebridge-ingest, closebridge-publish and
#                bench/bench_ceiling (default: build)
#   SKIP_BUILD   1: do not run deploy/build.sh "$BUILD_DIR" first
#   N            envelopes of the backlog, on the topic before publish starts (default 100000)
#   M            envelopes of the steady-load phase (default 20000)
#   RATE         envelopes a second of the steady-load phase (default 2000)
#   INSTANCES    instances the envelopes are spread over, ids 1..INSTANCES (default 4)
#   KAFKA_BOOTSTRAP_SERVERS  use this broker instead of starting one in
#                $BUILD_DIR/bench-publish-kafka
#   PUBLISH_ARGS extra publish flags, e.g. "--max-in-flight 512" (word-split)
#   PERF         1: record publish with `perf record --call-graph dwarf` during the backlog, into
#                $BUILD_DIR/bench-publish-run/publish.perf.data (skews the figures a little)
#
# Everything listens on 127.0.0.1 only. Every wait has a deadline, and every process started here
# (broker, ingest, receiver, publish, producers) is stopped on exit, by its own pid.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
n=${N:-100000}
m=${M:-20000}
rate=${RATE:-2000}
ninst=${INSTANCES:-4}
raw_file=$top/tests/data/legacy_update.json
gen=$top/bench/publish/envelopes.py
target_rate=10000
content_type='application/cloudevents+json; charset=UTF-8'

need_tools kcat curl python3
[ "${PERF:-0}" != 1 ] || command -v perf >/dev/null || die "PERF=1 needs perf"
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a whole number > 0"
[[ $m =~ ^[1-9][0-9]*$ ]] || die "M must be a whole number > 0"
[[ $rate =~ ^[1-9][0-9]*$ ]] || die "RATE must be a whole number > 0"
[[ $ninst =~ ^[1-9][0-9]*$ ]] && ((ninst <= 1000)) || die "INSTANCES must be 1..1000"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
        "$top/deploy/build.sh" "$build" >/dev/null || die "the build failed"
fi
ingest_bin=$build/closebridge-ingest
publish_bin=$build/closebridge-publish
ceiling_bin=$build/bench/bench_ceiling
[ -x "$ingest_bin" ] || die "$ingest_bin is missing"
[ -x "$publish_bin" ] || die "$publish_bin is missing"
[ -x "$ceiling_bin" ] || die "$ceiling_bin is missing (configure with CB_TESTS=ON)"

run_dir=$build/bench-publish-run
kafka_dir=$build/bench-publish-kafka
mkdir -p "$run_dir"
rm -f "$run_dir"/*.ids "$run_dir"/*.txt "$run_dir"/*.log "$run_dir"/*.lines "$run_dir"/*.data

# --- cleanup: only what this script started, by pid -------------------------------------------
ingest_pid=
publish_pid=
ceiling_pid=
producer_pid=
perf_pid=
kafka_started=0

# perf record writes its file on SIGINT.
stop_perf() {
        local i
        [ -n "$perf_pid" ] || return 0
        kill -INT "$perf_pid" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do
                kill -0 "$perf_pid" 2>/dev/null || break
                sleep 0.1
        done
        stop_pid "$perf_pid" 5
        perf_pid=
}

cleanup() {
        trap - EXIT INT TERM
        stop_perf
        stop_pid "$producer_pid" 5
        stop_pid "$publish_pid" 30
        stop_pid "$ingest_pid" 20
        stop_pid "$ceiling_pid" 5
        rm -f "$run_dir/backlog.lines"
        stop_kafka
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints "tid comm ticks" for every thread of pid (comm without spaces: librdkafka's rdk:...).
thread_ticks() {
        local f
        for f in /proc/"$1"/task/*/stat; do
                [ -r "$f" ] || continue
                sed -E 's/^([0-9]+) \(([^)]*)\) /\1 \2 /' "$f" 2>/dev/null |
                        awk '{ gsub(" ", "_", $2); print $1, $2, $14 + $15 }'
        done
}

# Prints milliseconds since the epoch.
now_ms() {
        local t=${EPOCHREALTIME/./}
        echo $((t / 1000))
}

# Waits (at most secs seconds) until topic holds at least want records.
wait_records() {
        local topic=$1 want=$2 secs=$3 deadline got=0
        deadline=$((SECONDS + secs))
        while ((SECONDS < deadline)); do
                got=$(topic_end_offsets "$topic")
                ((got >= want)) && return 0
                sleep 0.5
        done
        die "$topic holds $got records, not $want, after ${secs}s"
}

# Prints publish's /metrics as "delivered other in_flight" (other: every other outcome).
publish_counts() {
        curl -s --max-time 2 "http://127.0.0.1:$publish_port/metrics" 2>/dev/null | awk '
                /^closebridge_deliveries_total\{outcome="delivered"\}/ { d = $2 }
                /^closebridge_deliveries_total\{/ && !/outcome="delivered"/ { o += $2 }
                /^closebridge_deliveries_in_flight/ { f = $2 }
                END { printf "%d %d %d\n", d, o, f }'
}

# Reads every record of topic from the start to its end into file with kcat format fmt.
read_topic() {
        local topic=$1 fmt=$2 file=$3
        timeout 300 kcat -b "$bootstrap" -C -t "$topic" -o beginning -e -q -f "$fmt" >"$file" ||
                die "cannot read $topic"
}

hz=$(getconf CLK_TCK)
ncpu=$(nproc)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Kafka ---------------------------------------------------------------------------------------
start_kafka
kafka_pid=
[ "$kafka_started" = 0 ] || kafka_pid=$(cat "$kafka_dir/kafka.pid")

# --- the receiver --------------------------------------------------------------------------------
start_ceiling "$raw_file" /cb-0 "the callbacks' receiver"

# --- instances and topics, through ingest --------------------------------------------------------
prefix=benchpub$RANDOM$RANDOM.
topic_events=${prefix}closeio.events
topic_instances=${prefix}closeio.instances
topic_deliveries=${prefix}closeio.deliveries
instances=$run_dir/instances.json
python3 - "$ninst" "$ceiling_port" >"$instances" <<'EOF'
import json, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
print(json.dumps([{"id": i, "element": {"key": "closeio"}, "name": "bench-%d" % i,
                   "configuration": {"username": "k", "event.notification.enabled": "true",
                                     "event.notification.callback.url":
                                         "http://127.0.0.1:%d/cb-%d" % (port, i)}}
                  for i in range(1, n + 1)], indent=1))
EOF
ingest_port=$(pick_port)
KAFKA_BOOTSTRAP_SERVERS=$bootstrap CLOSEBRIDGE_TOPIC_PREFIX=$prefix "$ingest_bin" \
        --http-bind 127.0.0.1 --http-port "$ingest_port" --instances-file "$instances" \
        --log-level warn >"$run_dir/ingest.log" 2>&1 </dev/null &
ingest_pid=$!
note "ingest pid $ingest_pid declares $ninst instances under the topic prefix $prefix"
wait_status 200 60 "$ingest_pid" ingest "http://127.0.0.1:$ingest_port/readyz"
wait_records "$topic_instances" "$ninst" 30
stop_pid "$ingest_pid" 20
ingest_pid=

# --- the backlog ---------------------------------------------------------------------------------
note "writing $n envelopes over $ninst instances to $topic_events"
python3 "$gen" gen --count "$n" --phase 1 --instances "$ninst" --raw "$raw_file" \
        --ids "$run_dir/backlog.ids" >"$run_dir/backlog.lines"
env_bytes=$(($(wc -c <"$run_dir/backlog.lines") / n))
timeout 300 kcat -b "$bootstrap" -P -t "$topic_events" -K: -H "content-type=$content_type" \
        -X linger.ms=5 -X enable.idempotence=true -l "$run_dir/backlog.lines" ||
        die "kcat could not write the backlog"
rm -f "$run_dir/backlog.lines"
wait_records "$topic_events" "$n" 60
note "backlog on the topic: $n envelopes of about $env_bytes bytes (key:value)"

# --- publish: the backlog ------------------------------------------------------------------------
publish_port=$(pick_port)
group=bench-publish-$RANDOM$RANDOM
# shellcheck disable=SC2086 # PUBLISH_ARGS is meant to be word-split
KAFKA_BOOTSTRAP_SERVERS=$bootstrap CLOSEBRIDGE_TOPIC_PREFIX=$prefix "$publish_bin" \
        --http-bind 127.0.0.1 --http-port "$publish_port" --group-id "$group" \
        --allow-private-targets 127.0.0.0/8 --log-level warn ${PUBLISH_ARGS:-} \
        >"$run_dir/publish.log" 2>&1 </dev/null &
publish_pid=$!
publish_pid_saved=$publish_pid
note "publish pid $publish_pid on 127.0.0.1:$publish_port, group $group"
wait_status 200 60 "$publish_pid" publish "http://127.0.0.1:$publish_port/readyz"

# Polls /metrics every 100 ms: the clock starts at the first delivery and stops once N are in.
deadline=$((SECONDS + 60 + n / 500))
t0=
delivered=0
while :; do
        ((SECONDS < deadline)) || die "publish delivered only $delivered of $n in time (see $run_dir)"
        kill -0 "$publish_pid" 2>/dev/null || die "publish exited (see $run_dir/publish.log)"
        read -r delivered other in_flight < <(publish_counts)
        if [ -z "$t0" ] && ((delivered > 0)); then
                t0=$(now_ms)
                d0=$delivered
                publish_cpu0=$(cpu_ticks "$publish_pid")
                kafka_cpu0=$(cpu_ticks "$kafka_pid")
                ceiling_cpu0=$(cpu_ticks "$ceiling_pid")
                thread_ticks "$publish_pid" >"$run_dir/threads0.txt"
                polls=0
                in_flight_sum=0
                in_flight_max=0
                note "first delivery seen; draining the backlog"
                if [ "${PERF:-0}" = 1 ]; then
                        perf record -q -F 299 --call-graph dwarf,8192 -p "$publish_pid" \
                                -o "$run_dir/publish.perf.data" >"$run_dir/perf.log" 2>&1 </dev/null &
                        perf_pid=$!
                fi
        elif [ -n "$t0" ]; then
                polls=$((polls + 1))
                in_flight_sum=$((in_flight_sum + in_flight))
                ((in_flight <= in_flight_max)) || in_flight_max=$in_flight
        fi
        if ((delivered + other >= n)); then
                t1=$(now_ms)
                break
        fi
        sleep 0.1
done
publish_cpu=$(($(cpu_ticks "$publish_pid") - publish_cpu0))
stop_perf
kafka_cpu=$(($(cpu_ticks "$kafka_pid") - kafka_cpu0))
ceiling_cpu=$(($(cpu_ticks "$ceiling_pid") - ceiling_cpu0))
thread_ticks "$publish_pid" >"$run_dir/threads1.txt"
backlog_delivered=$delivered
backlog_ms=$((t1 - t0))
# d0 were delivered when the clock started; the first poll sees them within 100 ms
rate_backlog=$(awk -v d="$delivered" -v d0="$d0" -v ms="$backlog_ms" \
        'BEGIN { printf "%.0f", (ms > 0) ? (d - d0) * 1000 / ms : 0 }')

# --- publish: a steady load ----------------------------------------------------------------------
note "steady load: $m envelopes at $rate/s"
t2=$(now_ms)
python3 "$gen" gen --count "$m" --phase 2 --instances "$ninst" --raw "$raw_file" \
        --ids "$run_dir/steady.ids" --rate "$rate" 2>"$run_dir/steady.gen.log" |
        kcat -b "$bootstrap" -P -t "$topic_events" -K: -H "content-type=$content_type" \
                -X linger.ms=1 -X enable.idempotence=true 2>"$run_dir/steady.kcat.log" &
producer_pid=$!
deadline=$((SECONDS + 60 + m / rate * 2))
while :; do
        ((SECONDS < deadline)) || die "publish delivered only $delivered of $((n + m)) in time"
        kill -0 "$publish_pid" 2>/dev/null || die "publish exited (see $run_dir/publish.log)"
        if [ -n "$producer_pid" ] && ! kill -0 "$producer_pid" 2>/dev/null; then
                wait "$producer_pid" || die "the steady-load producer failed (see $run_dir/steady.*.log)"
                producer_pid=
        fi
        read -r delivered other in_flight < <(publish_counts)
        ((delivered + other >= n + m)) && break
        sleep 0.2
done
if [ -n "$producer_pid" ]; then
        wait "$producer_pid" || die "the steady-load producer failed (see $run_dir/steady.*.log)"
        producer_pid=
fi
offered=$(sed -n 's/.*(\([0-9]*\)\/s).*/\1/p' "$run_dir/steady.gen.log")
total_delivered=$delivered
total_other=$other
publish_hwm_kb=$(peak_rss_kb "$publish_pid")
kill -0 "$publish_pid" 2>/dev/null || die "publish exited during the run"
stop_pid "$publish_pid" 30
publish_pid=
publish_warnings=$(grep -c . "$run_dir/publish.log" || true)

# --- the topics ----------------------------------------------------------------------------------
note "reading $topic_events and $topic_deliveries"
# Only the steady phase's envelopes are needed: start at its first timestamp (less 1 s).
timeout 300 kcat -b "$bootstrap" -C -t "$topic_events" -o "s@$((t2 - 1000))" -e -q \
        -f '%T\t%s\n' >"$run_dir/events.lines" || die "cannot read $topic_events"
read_topic "$topic_deliveries" '%s\n' "$run_dir/deliveries.lines"
read -r a_d1 a_first a_last a_d2 a_matched p50 p90 p99 pmax a_records a_dup a_other < <(
        python3 "$gen" analyse --events "$run_dir/events.lines" \
                --deliveries "$run_dir/deliveries.lines" \
                --ids1 "$run_dir/backlog.ids" --ids2 "$run_dir/steady.ids")
[ -n "${pmax:-}" ] || die "cannot analyse the topics"

# --- report --------------------------------------------------------------------------------------
rate_ok=$(awk -v r="$rate_backlog" -v t="$target_rate" 'BEGIN { print (r >= t) ? "MET" : "MISSED" }')
rate_log=$(awk -v d="$a_d1" -v a="$a_first" -v b="$a_last" \
        'BEGIN { printf "%.0f", (b > a) ? (d - 1) * 1000 / (b - a) : 0 }')
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
secs() { awk -v t="$1" -v hz="$hz" 'BEGIN { printf "%.1f", t / hz }'; }
# threads: main (tid = pid) runs the consumer loop; rdk:* are librdkafka's; of the other
# unnamed ones the delivery engine is the busiest (the health server and table idle)
thread_split=$(awk -v pid="$publish_pid_saved" -v hz="$hz" '
        NR == FNR { t0[$1] = $3; next }
        {
                d = $3 - t0[$1]
                if ($1 == pid) main += d
                else if ($2 ~ /^rdk:/) rdk += d
                else if (d > other) { rest += other; other = d } else rest += d
        }
        END { printf "main (consumer loop) %.1f s, delivery engine %.1f s, librdkafka threads %.1f s, others %.1f s",
                main / hz, other / hz, rdk / hz, rest / hz }' \
        "$run_dir/threads0.txt" "$run_dir/threads1.txt")
check=MISMATCH
((backlog_delivered == n && total_delivered == n + m && a_d1 == n && a_d2 == m && a_dup == 0)) &&
        check=ok

echo
echo "closebridge publish benchmark: $n envelopes backlog, then $m at $rate/s;" \
        "$ninst instances, ~$env_bytes B envelopes, receiver bench_ceiling (202, keep-alive)"
echo "$ncpu CPUs, load average before the run: $load_before (other work on the machine skews" \
        "the figures)"
echo
echo "backlog:     $rate_backlog deliveries/s ($((backlog_delivered - d0)) in $(awk -v ms="$backlog_ms" \
        'BEGIN { printf "%.2f", ms / 1000 }') s, /metrics polled every 100 ms; target >= $target_rate/s: $rate_ok)"
echo "             attempts log: $rate_log deliveries/s from the first \"at\" to the last"
echo "e2e latency: p50 $p50 ms, p90 $p90 ms, p99 $p99 ms, max $pmax ms ($a_matched envelopes at" \
        "${offered:-?}/s offered; \"at\" of the delivery minus the record's Kafka timestamp)"
echo "peak RSS:    publish $(mb "$publish_hwm_kb") MB (VmHWM at the end)"
echo "CPU during the backlog: publish $(secs "$publish_cpu") s$([ "$kafka_started" = 1 ] &&
        echo ", broker $(secs "$kafka_cpu") s"), receiver $(secs "$ceiling_cpu") s (of" \
        "$(awk -v ms="$backlog_ms" 'BEGIN { printf "%.1f", ms / 1000 }') s x $ncpu CPUs)"
echo "             publish threads: $thread_split"
echo "in flight during the backlog (polled): mean $(awk -v s="$in_flight_sum" -v p="$polls" \
        'BEGIN { printf "%.0f", (p > 0) ? s / p : 0 }'), max $in_flight_max"
echo "delivered:   backlog $backlog_delivered of $n, total $total_delivered of $((n + m));" \
        "other outcomes $total_other; attempts log: $a_records records, $a_d1 + $a_d2 envelopes" \
        "delivered, $a_dup duplicates, $a_other not delivered: $check"
echo "publish log lines at --log-level warn: $publish_warnings; logs in $run_dir"
