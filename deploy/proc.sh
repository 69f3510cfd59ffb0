# Stopping a process we started, by its pid (sourced by deploy/kafka/kafka.sh and
# deploy/containers/engine.sh).

# stop_pid PID SECONDS: SIGTERM, then SIGKILL when PID still runs after SECONDS. Returns at once
# when PID is not running.
stop_pid() {
        local pid=$1 i
        kill -0 "$pid" 2>/dev/null || return 0
        kill -TERM "$pid"
        for ((i = 0; i < $2 * 4; i++)); do
                kill -0 "$pid" 2>/dev/null || return 0
                sleep 0.25
        done
        kill -KILL "$pid" 2>/dev/null || true
}
