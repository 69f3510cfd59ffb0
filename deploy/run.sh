#!/usr/bin/env bash
# Sets up and runs closebridge on this machine: installs what it needs, builds, starts a local
# Apache Kafka broker when KAFKA_BOOTSTRAP_SERVERS is not set, declares a demo instance (id
# 20931, the seed document's example) whose callback is a demo receiver printing every callback
# here, and runs ingest, publish, the console and the receiver until Ctrl-C.
#
# Settings (environment): KAFKA_BOOTSTRAP_SERVERS (use that cluster, start none; any other
# KAFKA_* and CLOSEBRIDGE_* variable reaches both processes, see --help), INGEST_PORT (8080),
# PUBLISH_PORT (8081), CONSOLE_PORT (8082), RECEIVER_PORT (9000), BUILD_DIR (build),
# LOCAL_KAFKA_DIR (where the local broker keeps its data; BUILD_DIR/local-kafka).
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$top/build}
ingest_port=${INGEST_PORT:-8080}
publish_port=${PUBLISH_PORT:-8081}
console_port=${CONSOLE_PORT:-8082}
receiver_port=${RECEIVER_PORT:-9000}
demo=$build/demo
pids=()
local_kafka=

stop_all() {
        trap - INT TERM EXIT
        local p
        for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
        for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
        [ -z "$local_kafka" ] || "$top/deploy/kafka/kafka.sh" stop "$local_kafka"
}
trap 'stop_all; echo "run.sh: stopped everything" >&2; exit 0' INT TERM
trap stop_all EXIT

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
        "$top/deploy/install-deps.sh" kafka
else
        "$top/deploy/install-deps.sh" build
fi
"$top/deploy/build.sh" "$build"
mkdir -p "$demo"

if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
        local_kafka=${LOCAL_KAFKA_DIR:-$build/local-kafka}
        "$top/deploy/kafka/kafka.sh" start "$local_kafka"
        KAFKA_BOOTSTRAP_SERVERS=$(cat "$local_kafka/bootstrap")
fi
export KAFKA_BOOTSTRAP_SERVERS

cat >"$demo/instances.json" <<JSON
[{"id": 20931, "name": "demo", "tags": ["demo"], "element": {"key": "closeio"},
  "configuration": {"username": "<CLOSE_API_KEY>", "password": "",
    "event.notification.enabled": "true",
    "event.notification.callback.url": "http://127.0.0.1:$receiver_port/callback"}}]
JSON

wait_ready() {
        for _ in $(seq 600); do
                curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
                kill -0 "$2" 2>/dev/null || { echo "run.sh: $3 exited, see $demo/$3.log" >&2; exit 1; }
                sleep 0.1
        done
        echo "run.sh: $3 not ready after 60 s, see $demo/$3.log" >&2
        exit 1
}

"$build/closebridge-demo-receiver" --http-bind 127.0.0.1 --http-port "$receiver_port" \
        2>"$demo/receiver.log" &
pids+=($!)
# the demo receiver is on loopback, which callbacks may not reach unless allowed
"$build/closebridge-publish" --http-port "$publish_port" --log-format text \
        --allow-private-targets "${CLOSEBRIDGE_ALLOW_PRIVATE_TARGETS:-127.0.0.1/32}" \
        2>"$demo/publish.log" &
pids+=($!)
wait_ready "$publish_port" "${pids[-1]}" publish
"$build/closebridge-ingest" --http-port "$ingest_port" --log-format text \
        --instances-file "$demo/instances.json" 2>"$demo/ingest.log" &
pids+=($!)
wait_ready "$ingest_port" "${pids[-1]}" ingest
# its index is a view of the topics: deleting console-data loses nothing
"$build/closebridge-console" --http-port "$console_port" --log-format text \
        --data-dir "$demo/console-data" 2>"$demo/console.log" &
pids+=($!)
wait_ready "$console_port" "${pids[-1]}" console

cat <<MSG

closebridge is running (Kafka at $KAFKA_BOOTSTRAP_SERVERS; logs in $demo).
Webhook URL: http://127.0.0.1:$ingest_port/events/closeio/MjA5MzE=

Send it a Close webhook, from another terminal:
  curl -i -H 'Content-Type: application/json' \\
    --data-binary @$top/tests/data/legacy_update.json \\
    http://127.0.0.1:$ingest_port/events/closeio/MjA5MzE=

Where each event is and what the receiver answered (set CLOSEBRIDGE_ADMIN_USER_SECRET and
CLOSEBRIDGE_ADMIN_ORG_SECRET before run.sh; the console answers 401 without them):
  curl -H 'Authorization: User <user secret>, Organization <org secret>' \\
    http://127.0.0.1:$console_port/instances/20931/events

Each callback the demo instance receives is printed below. Ctrl-C stops everything.

MSG
# Ctrl-C reaches every process of the terminal's group at once: the processes stop on SIGINT
# with status 0 (or die of it: 130), maybe before this shell runs its trap. That is a stop, not
# a crash; anything else is a process that died on its own.
rc=0
wait -n "${pids[@]}" || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
        stop_all
        echo "run.sh: stopped everything" >&2
        exit 0
fi
echo "run.sh: a process exited with status $rc; see the logs in $demo" >&2
exit 1
