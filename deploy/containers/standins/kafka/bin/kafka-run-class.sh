#!/usr/bin/env bash
# kafka-run-class.sh CLASS ARGS...: runs a class of the distribution with its jars, as Kafka's
# own script does (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS and KAFKA_LOG4J_OPTS
# are honoured). The broker logs with config/log4j2.properties, the tools with
# config/tools-log4j2.properties.
set -euo pipefail
home=/opt/kafka
class=$1
shift
if [ -z "${KAFKA_LOG4J_OPTS:-}" ]; then
        log=$home/config/tools-log4j2.properties
        [ "$class" = kafka.Kafka ] && log=$home/config/log4j2.properties
        KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$log"
fi
# shellcheck disable=SC2086 # the *_OPTS variables are lists of JVM options
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseParallelGC -Djava.awt.headless=true} \
        ${KAFKA_OPTS:-} $KAFKA_LOG4J_OPTS -cp "$home/libs/*" "$class" "$@"
