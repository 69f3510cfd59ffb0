# Shell functions both benchmarks use (sourced by bench/ingest/run.sh and bench/publish/run.sh,
# which define run_dir). Sourcing it sets top (the repository) and build (BUILD_DIR made
# absolute, default build/).

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$top/build}
case "$build" in /*) ;; *) build=$top/$build ;; esac

die() { echo "run.sh: $*" >&2; exit 1; }
note() { echo "run.sh: $*" >&2; }

# Dies unless every tool named is on PATH.
need_tools() {
        local tool
        for tool in "$@"; do
                command -v "$tool" >/dev/null || die "$tool is not installed"
        done
}

# shellcheck source=deploy/ports.sh
. "$top/deploy/ports.sh"

# Sends SIGTERM to pid, waits up to $2 seconds for it to exit, then SIGKILL.
stop_pid() {
        local pid=$1 secs=$2 i
        [ -n "$pid" ] || return 0
        kill -0 "$pid" 2>/dev/null || return 0
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < secs * 10; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
                note "pid $pid did not stop in ${secs}s: SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
}

# Prints the HTTP status of `curl ARGS...` (000 when nothing answered).
http_status() {
        curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" || true
}

# Waits until `http_status ARGS...` prints want, for at most secs seconds, while pid lives.
wait_status() {
        local want=$1 secs=$2 pid=$3 what=$4 deadline got
        shift 4
        deadline=$((SECONDS + secs))
        while ((SECONDS < deadline)); do
                got=$(http_status "$@")
                [ "$got" = "$want" ] && return 0
                kill -0 "$pid" 2>/dev/null || die "$what exited (see its log in $run_dir)"
                sleep 0.2
        done
        die "$what: no $want within ${secs}s (last status $got; see $run_dir)"
}

# Prints the peak resident set size of pid in kB (VmHWM).
peak_rss_kb() {
        awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# Prints the CPU time pid has used so far (user + system), in clock ticks; 0 when it is gone.
cpu_ticks() {
        [ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
        sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# Prints the machine's CPU counters so far as "total steal" (clock ticks, all CPUs, from
# /proc/stat). Between two readings, steal / total is the share of the CPUs that the hypervisor
# gave to other guests: on a shared host it can be half, and then no figure compares.
cpu_counters() {
        awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9; exit }' /proc/stat
}

# Prints the steal percentage between two cpu_counters readings, "total steal" each.
steal_pct() {
        awk -v a="$1" -v b="$2" 'BEGIN {
                split(a, x, " "); split(b, y, " ")
                t = y[1] - x[1]; printf "%.0f", (t > 0) ? 100 * (y[2] - x[2]) / t : 0
        }'
}

# Prints the number of records on topic: the sum of its partitions' end offsets.
topic_end_offsets() {
        local topic=$1 parts args=() p
        parts=$(kcat -b "$bootstrap" -L -t "$topic" 2>/dev/null |
                awk '$1 == "partition" { sub(",", "", $2); print $2 }')
        [ -n "$parts" ] || die "no metadata for topic $topic"
        for p in $parts; do
                args+=(-t "$topic:$p:-1")
        done
        kcat -b "$bootstrap" -Q "${args[@]}" 2>/dev/null |
                awk '$NF ~ /^[0-9]+$/ { n += $NF } END { print n + 0 }'
}

# Sets bootstrap: KAFKA_BOOTSTRAP_SERVERS when given, else a fresh broker started in kafka_dir
# (then kafka_started=1, for the caller's cleanup to stop it).
start_kafka() {
        if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
                bootstrap=$KAFKA_BOOTSTRAP_SERVERS
                note "using the broker at $bootstrap"
        else
                if [ -f "$kafka_dir/kafka.pid" ] && kill -0 "$(cat "$kafka_dir/kafka.pid")" 2>/dev/null; then
                        die "a broker already runs from $kafka_dir; stop it with deploy/kafka/kafka.sh stop $kafka_dir"
                fi
                rm -rf "${kafka_dir:?}/data"
                kafka_started=1
                "$top/deploy/kafka/kafka.sh" start "$kafka_dir"
                bootstrap=$(cat "$kafka_dir/bootstrap")
        fi
}

# Stops the broker start_kafka started, if it did, and wipes its data: each run writes some
# hundred MB of envelopes, and the next run starts afresh.
stop_kafka() {
        [ "${kafka_started:-0}" = 1 ] || return 0
        "$top/deploy/kafka/kafka.sh" stop "$kafka_dir" || true
        rm -rf "${kafka_dir:?}/data"
}

# Starts bench_ceiling ($ceiling_bin, logging to $run_dir/ceiling.log) on a free port and waits
# until it answers a POST of body_file to path with 202; sets ceiling_port and ceiling_pid.
# role, when given, says what it stands for in the log line.
start_ceiling() {
        local body_file=$1 path=$2 role=${3:-}
        ceiling_port=$(pick_port)
        "$ceiling_bin" --port "$ceiling_port" >"$run_dir/ceiling.log" 2>&1 </dev/null &
        ceiling_pid=$!
        note "bench_ceiling pid $ceiling_pid on 127.0.0.1:$ceiling_port${role:+ ($role)}"
        wait_status 202 10 "$ceiling_pid" bench_ceiling -H 'Content-Type: application/json' \
                --data-binary "@$body_file" "http://127.0.0.1:$ceiling_port$path"
}
