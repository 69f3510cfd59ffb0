#!/usr/bin/env bash
# lists and describes consumer groups and their offsets
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@"
