#!/usr/bin/env bash
# Publish benchmark: how fast closebridge-publish drains a backlog of envelopes into callbacks
# (bench_ceiling as a fast keep-alive receiver), compared with the delivery ceiling of this
# machine (bench_deliver_ceiling: a bare libcurl-multi client POSTing the same kind of body to the
# same receiver at the same concurrency, measured just before and just after the backlog), and
# its end-to-end latency under a steady load, with a real broker. Prints comparable figures. See
# bench/README.md.
#
#   bench/publish/run.sh
#
# Environment (all optional):
#   BUILD_DIR    build folder holding closebridge-ingest, closebridge-publish,
#                bench/bench_ceiling and bench/bench_deliver_ceiling (default: build)
#   SKIP_BUILD   1: do not run deploy/build.sh "$BUILD_DIR" first
#   N            envelopes of the backlog, on the topic before publish starts (default 100000)
#   M            envelopes of the steady-load phase (default 20000)
#   RATE         envelopes a second of the steady-load phase (default 2000)
#   INSTANCES    instances the envelopes are spread over, ids 1..INSTANCES (default 4)
#   KAFKA_BOOTSTRAP_SERVERS  use this broker instead of starting one in
#                $BUILD_DIR/bench-publish-kafka
#   PUBLISH_ARGS extra publish flags, e.g. "--max-in-flight 512" (word-split; the delivery
#                ceiling keeps publish's default concurrency, 256 in flight, 32 connections,
#                unless CEILING_IN_FLIGHT and CEILING_HOST_CONNECTIONS say otherwise)
#   PERF         1: record publish with `perf record --call-graph dwarf` during the backlog, into
#                $BUILD_DIR/bench-publish-run/publish.perf.data (skews the figures a little)
#
# Everything listens on 127.0.0.1 only. Every wait has a deadline, and every process started here
# (broker, ingest, receiver, publish, producers) is stopped on exit, by its own pid; the delivery
# ceiling runs in the foreground, under `timeout 300`.
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
n=${N:-100000}
m=${M:-20000}
rate=${RATE:-2000}
ninst=${INSTANCES:-4}
raw_file=$top/tests/data/legacy_update.json
gen=$top/bench/publish/envelopes.py
target_rate=25000
target_cpu_us=30
target_rss_mb=32
content_type='application/cloudevents+json; charset=UTF-8'
# The delivery ceiling: publish's defaults (--max-in-flight 256, --max-host-connections 32; every
# callback goes to the one receiver, so 32 connections in all), at most 200000 POSTs. The
# instances use the default "elements" format: publish POSTs {"message":{...,"raw":...}} as
# application/json (publish/body.c), not the envelope itself.
# CEILING_IN_FLIGHT and CEILING_HOST_CONNECTIONS change them, to match a PUBLISH_ARGS that sets
# --max-in-flight or --max-host-connections.
ceiling_c=${CEILING_IN_FLIGHT:-256}
ceiling_h=${CEILING_HOST_CONNECTIONS:-32}
ceiling_n=$((n < 200000 ? n : 200000))
callback_type=application/json

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
deliver_bin=$build/bench/bench_deliver_ceiling
[ -x "$ingest_bin" ] || die "$ingest_bin is missing"
[ -x "$publish_bin" ] || die "$publish_bin is missing"
[ -x "$ceiling_bin" ] || die "$ceiling_bin is missing (configure with CB_TESTS=ON)"
[ -x "$deliver_bin" ] || die "$deliver_bin is missing (configure with CB_TESTS=ON)"

run_dir=$build/bench-publish-run
kafka_dir=$build/bench-publish-kafka
mkdir -p "$run_dir"
rm -f "$run_dir"/*.ids "$run_dir"/*.txt "$run_dir"/*.log "$run_dir"/*.lines "$run_dir"/*.data \
        "$run_dir/ceiling-body.json"

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

# Writes to file the callback body publish makes of the envelope line ("INSTANCE_ID:ENVELOPE")
# for instance 1 (bench-1, no tags) in the "elements" format: publish/body.c's elements_body,
# the same members in the same order, compact like json-c's output.
write_callback_body() {
        python3 - "$1" >"$2" <<'EOF'
import json, sys
inst, _, text = sys.argv[1].partition(":")
env = json.loads(text)
data = env["data"]
event = {"elementKey": "closeio"}
event.update((k, data[k]) for k in ("eventType", "objectType", "objectId", "date"))
msg = {"elementKey": "closeio", "instanceId": int(inst), "instance_id": int(inst),
       "instanceName": "bench-%s" % inst, "instanceTags": [], "eventId": env["id"],
       "events": [event], "raw": data["raw"]}
sys.stdout.write(json.dumps({"message": msg}, separators=(",", ":")))
EOF
}

# Runs bench_deliver_ceiling against instance 1's callback URL (output in $run_dir/$1.txt, its
# stderr in $run_dir/$1.log) and sets the array named by $2 to its figures: deliveries/s, ok,
# failed, seconds, CPU seconds, then the receiver's and the broker's CPU ticks meanwhile. Failed
# POSTs (exit 1) are reported, not fatal.
run_deliver_ceiling() {
        local name=$1 rc=0 receiver0 broker0
        local -n res=$2
        receiver0=$(cpu_ticks "$ceiling_pid")
        broker0=$(cpu_ticks "$kafka_pid")
        timeout 300 "$deliver_bin" --url "$ceiling_url" --body "$run_dir/ceiling-body.json" \
                --content-type "$callback_type" --count "$ceiling_n" --concurrency "$ceiling_c" \
                --max-host-connections "$ceiling_h" >"$run_dir/$name.txt" 2>"$run_dir/$name.log" ||
                rc=$?
        if ((rc > 1)); then
                cat "$run_dir/$name.log" >&2
                die "bench_deliver_ceiling failed (exit $rc; see $run_dir/$name.log)"
        fi
        # shellcheck disable=SC2034 # res is a nameref
        read -r -a res < <(sed -E 's/[a-z_]+=//g' "$run_dir/$name.txt")
        [ "${#res[@]}" = 5 ] || die "cannot read $run_dir/$name.txt"
        res+=("$(($(cpu_ticks "$ceiling_pid") - receiver0))")
        res+=("$(($(cpu_ticks "$kafka_pid") - broker0))")
        ((res[2] == 0)) ||
                note "delivery ceiling ($name): ${res[2]} POSTs failed (see $run_dir/$name.log)"
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
write_callback_body "$(head -n 1 "$run_dir/backlog.lines")" "$run_dir/ceiling-body.json" ||
        die "cannot build the delivery ceiling's body"
timeout 300 kcat -b "$bootstrap" -P -t "$topic_events" -K: -H "content-type=$content_type" \
        -X linger.ms=5 -X enable.idempotence=true -l "$run_dir/backlog.lines" ||
        die "kcat could not write the backlog"
rm -f "$run_dir/backlog.lines"
wait_records "$topic_events" "$n" 60
note "backlog on the topic: $n envelopes of about $env_bytes bytes (key:value)"

# --- the delivery ceiling, before publish --------------------------------------------------------
# The callback URL of instance 1. The ceiling's POSTs reach only bench_ceiling, which counts
# nothing: publish's figures come from its /metrics and its attempts log, which only it writes.
ceiling_url=http://127.0.0.1:$ceiling_port/cb-1
ceiling_body_bytes=$(wc -c <"$run_dir/ceiling-body.json")
note "delivery ceiling (before publish): $ceiling_n POSTs of $ceiling_body_bytes B to $ceiling_url"
run_deliver_ceiling deliver-ceiling-before dc1

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

# --- the delivery ceiling, after the backlog -----------------------------------------------------
# Right after the backlog, for the machine's speed drifts; publish idles meanwhile (its backlog
# figures are taken), and the steady load starts only when the ceiling is done.
note "delivery ceiling (after the backlog): $ceiling_n POSTs"
run_deliver_ceiling deliver-ceiling-after dc2

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
# the delivery ceiling: publish against the mean of the runs just before and just after it
ceiling_mean=$(awk -v a="${dc1[0]}" -v b="${dc2[0]}" 'BEGIN { printf "%.0f", (a + b) / 2 }')
ceiling_share=$(awk -v r="$rate_backlog" -v c="$ceiling_mean" \
        'BEGIN { printf "%.1f", (c > 0) ? 100 * r / c : 0 }')
ceiling_drift=$(awk -v a="${dc1[0]}" -v b="${dc2[0]}" \
        'BEGIN { printf "%+.1f", (a > 0) ? 100 * (b - a) / a : 0 }')
us_per() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.1f", (n > 0) ? s * 1e6 / n : 0 }'; }
ceiling_us1=$(us_per "${dc1[4]}" "${dc1[1]}")
ceiling_us2=$(us_per "${dc2[4]}" "${dc2[1]}")
publish_us=$(us_per "$(awk -v t="$publish_cpu" -v hz="$hz" 'BEGIN { print t / hz }')" \
        "$((backlog_delivered - d0))")
cpu_ok=$(awk -v u="$publish_us" -v t="$target_cpu_us" 'BEGIN { print (u <= t) ? "MET" : "MISSED" }')
rss_ok=$(awk -v k="$publish_hwm_kb" -v t="$target_rss_mb" \
        'BEGIN { print (k / 1024 <= t) ? "MET" : "MISSED" }')
e2e_ok="targets p50 <= 2 ms, p99 <= 10 ms at 2000/s: $(awk -v a="$p50" -v b="$p99" \
        'BEGIN { print (a <= 2 && b <= 10) ? "MET" : "MISSED" }')"
((rate == 2000)) || e2e_ok="the targets, p50 <= 2 ms and p99 <= 10 ms, are for RATE=2000"
ceiling_note=
[ -z "${PUBLISH_ARGS:-}" ] ||
        ceiling_note="; publish's default concurrency: PUBLISH_ARGS are not followed"
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
echo "ceiling:     libcurl multi $(printf %.0f "${dc1[0]}")/s before," \
        "$(printf %.0f "${dc2[0]}")/s after (same receiver, concurrency $ceiling_c, host" \
        "connections $ceiling_h); publish = $ceiling_share % of their mean"
echo "             $ceiling_n POSTs of $ceiling_body_bytes B ($callback_type) each time, after:" \
        "$ceiling_drift %; failed ${dc1[2]} and ${dc2[2]}; CPU per delivery $ceiling_us1 us" \
        "and $ceiling_us2 us (bench_deliver_ceiling's own)$ceiling_note"
echo "             CPU during the ceiling runs: receiver $(secs "${dc1[5]}") s and" \
        "$(secs "${dc2[5]}") s$([ "$kafka_started" = 1 ] && echo ", broker $(secs "${dc1[6]}") s" \
        "and $(secs "${dc2[6]}") s") (of $(printf %.1f "${dc1[3]}") s and" \
        "$(printf %.1f "${dc2[3]}") s x $ncpu CPUs)"
echo "e2e latency: p50 $p50 ms, p90 $p90 ms, p99 $p99 ms, max $pmax ms ($a_matched envelopes at" \
        "${offered:-?}/s offered; \"at\" of the delivery minus the record's Kafka timestamp;" \
        "$e2e_ok)"
echo "peak RSS:    publish $(mb "$publish_hwm_kb") MB (VmHWM at the end; target <= $target_rss_mb" \
        "MB: $rss_ok)"
echo "CPU during the backlog: publish $(secs "$publish_cpu") s$([ "$kafka_started" = 1 ] &&
        echo ", broker $(secs "$kafka_cpu") s"), receiver $(secs "$ceiling_cpu") s (of" \
        "$(awk -v ms="$backlog_ms" 'BEGIN { printf "%.1f", ms / 1000 }') s x $ncpu CPUs)"
echo "             publish threads: $thread_split"
echo "             publish CPU per delivery: $publish_us us (target <= $target_cpu_us us: $cpu_ok)"
echo "in flight during the backlog (polled): mean $(awk -v s="$in_flight_sum" -v p="$polls" \
        'BEGIN { printf "%.0f", (p > 0) ? s / p : 0 }'), max $in_flight_max"
echo "delivered:   backlog $backlog_delivered of $n, total $total_delivered of $((n + m));" \
        "other outcomes $total_other; attempts log: $a_records records, $a_d1 + $a_d2 envelopes" \
        "delivered, $a_dup duplicates, $a_other not delivered: $check"
echo "publish log lines at --log-level warn: $publish_warnings; logs in $run_dir"
