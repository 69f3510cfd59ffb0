#!/usr/bin/env bash
# formats KRaft log directories
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
