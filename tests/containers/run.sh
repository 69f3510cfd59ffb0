#!/usr/bin/env bash
# The container stage of deploy/test.sh: starts a Docker engine (deploy/containers/engine.sh, and
# stops it again whatever happens), installs Compose v2, makes the base image and the stand-ins
# of the third-party images where no registry can be reached (deploy/containers/images.sh),
# builds the image from the Dockerfile, and runs tests/containers/test_compose.py against the
# repository's docker-compose.yml.
#
#   run.sh PYTHON     PYTHON: the tests' venv interpreter
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
python=${1:?usage: run.sh PYTHON}
engine=$top/deploy/containers/engine.sh

"$engine" start
trap '"$engine" stop' EXIT
"$top/deploy/containers/compose.sh"
"$top/deploy/containers/images.sh"
start=$(date +%s)
docker build -q -t closebridge:latest "$top" >/dev/null
echo "containers: closebridge:latest built in $(($(date +%s) - start)) s" >&2
cd "$top/tests/containers"
CB_SOURCE_DIR=$top CB_BUILD_DIR=$top/build PYTHONPATH=$top/tests/integration \
        "$python" -u test_compose.py
