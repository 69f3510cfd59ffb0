#!/usr/bin/env bash
# kafka-server-start.sh server.properties: runs the broker in the foreground. The official
# script's default heap is 1 GiB; KAFKA_HEAP_OPTS overrides it.
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
