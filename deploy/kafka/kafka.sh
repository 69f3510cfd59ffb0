#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft) on loopback for local runs and tests.
#
#   kafka.sh fetch          download the broker jars from Maven Central (once; ~/.m2 caches them)
#   kafka.sh start DIR      format DIR (unless already formatted), start the broker, wait until it
#                           serves requests; writes DIR/bootstrap (host:port) and DIR/kafka.pid.
#                           Ports are free ones picked at first start and kept in DIR/ports, so a
#                           stopped broker comes back on the same address with the same data.
#   kafka.sh stop DIR       SIGTERM the broker started in DIR (only that pid), SIGKILL after 30 s.
#
# KAFKA_PROXIED_PORT=P (start, optional): a second listener, PROXIED, on a free port of its own
# (written to DIR/proxied, host:port), advertised as 127.0.0.1:P. A TCP proxy listening on P and
# forwarding to DIR/proxied then carries every connection of the clients bootstrapped through it
# (a client reconnects to the address advertised on the listener it came in by), while clients of
# DIR/bootstrap stay direct (tests/chaos/netfault.py). Unset: one listener, as before.
#
# Data and logs stay inside DIR (callers put it under the build folder).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
libs=$here/target/kafka-libs

die() { echo "kafka.sh: $*" >&2; exit 1; }

# shellcheck source=deploy/ports.sh
. "$here/../ports.sh"
# shellcheck source=deploy/proc.sh
. "$here/../proc.sh"

fetch() {
        if [ ! -f "$libs/kafka_2.13-4.1.1.jar" ] || [ ! -f "$libs/kafka-tools-4.1.1.jar" ]; then
                mvn -B -q -f "$here/pom.xml" package || die "mvn could not fetch the Kafka jars"
        fi
}

running() { [ -f "$1/kafka.pid" ] && kill -0 "$(cat "$1/kafka.pid")" 2>/dev/null; }

start() {
        local dir=$1
        fetch
        mkdir -p "$dir/data" "$dir/logs"
        dir=$(cd "$dir" && pwd)
        running "$dir" && die "a broker already runs from $dir (pid $(cat "$dir/kafka.pid"))"
        if [ ! -f "$dir/ports" ]; then
                local port cport
                port=$(pick_port) || die "no free port found"
                cport=$(pick_port) || die "no free port found"
                [ "$port" != "$cport" ] || cport=$(pick_port) || die "no free port found"
                echo "$port $cport" >"$dir/ports"
        fi
        read -r port cport <"$dir/ports"
        port_free "$port" || die "port $port is taken"
        sed -e "s#@PORT@#$port#g;s#@CPORT@#$cport#g;s#@DATA@#$dir/data#g" \
                "$here/server.properties.in" >"$dir/server.properties"
        if [ -n "${KAFKA_PROXIED_PORT:-}" ]; then
                local xport
                if [ -f "$dir/proxied-port" ]; then
                        read -r xport <"$dir/proxied-port"
                else
                        xport=$(pick_port) || die "no free port found"
                        echo "$xport" >"$dir/proxied-port"
                fi
                # later keys win in a properties file
                cat >>"$dir/server.properties" <<EOF
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,PROXIED://127.0.0.1:$xport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,PROXIED://127.0.0.1:$KAFKA_PROXIED_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT
EOF
                echo "127.0.0.1:$xport" >"$dir/proxied"
        fi
        # The parallel collector: this broker's live heap is small and its garbage short-lived,
        # and G1 (pause goal 20 ms) cost more broker CPU per record (11-13 against 9-10 us under
        # bench/ingest) and a longer tail (p99 8-15 against 6-7 ms, alternating runs).
        local jopts=(-Xms256m -Xmx768m -XX:+UseParallelGC -Djava.awt.headless=true
                "-Dlog4j2.configurationFile=$here/log4j2.properties" "-Dkafka.logs.dir=$dir/logs")
        if [ ! -f "$dir/data/meta.properties" ]; then
                local cid
                cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
                # (a cluster id may start with "-": it goes as --cluster-id=ID, never as a
                # separate argument that argparse would take for an option)
                java "${jopts[@]}" -cp "$libs/*" kafka.tools.StorageTool format "--cluster-id=$cid" \
                        -c "$dir/server.properties" >"$dir/logs/format.out" 2>&1 ||
                        { cat "$dir/logs/format.out" >&2; die "format failed"; }
        fi
        : >"$dir/logs/kafka.out"
        setsid java "${jopts[@]}" -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
                >"$dir/logs/kafka.out" 2>&1 </dev/null &
        echo $! >"$dir/kafka.pid"
        # Ready once the broker reports STARTED (listeners accept requests); up to 90 s on a
        # busy 2-core machine.
        for _ in $(seq 360); do
                if grep -q 'BrokerServer id=1\] Transition from STARTING to STARTED' "$dir/logs/kafka.out"; then
                        echo "127.0.0.1:$port" >"$dir/bootstrap"
                        echo "kafka.sh: broker ready on 127.0.0.1:$port (pid $(cat "$dir/kafka.pid"))" >&2
                        return 0
                fi
                running "$dir" || { tail -50 "$dir/logs/kafka.out" >&2; die "broker exited during start-up"; }
                sleep 0.25
        done
        tail -50 "$dir/logs/kafka.out" >&2
        stop "$dir"
        die "broker not ready after 90 s"
}

stop() {
        local dir=$1 pid
        [ -f "$dir/kafka.pid" ] || return 0
        pid=$(cat "$dir/kafka.pid")
        stop_pid "$pid" 30
        rm -f "$dir/kafka.pid"
}

case "${1:-}" in
fetch) fetch ;;
start) [ $# -eq 2 ] || die "usage: kafka.sh start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: kafka.sh stop DIR"; stop "$2" ;;
*) die "usage: kafka.sh fetch | start DIR | stop DIR" ;;
esac
