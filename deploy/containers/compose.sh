#!/usr/bin/env bash
# Makes `docker compose` (Compose v2) work on Debian bookworm, which does not package it (its
# docker-compose 1.29 rejects the compose file's top-level `name:`).
#
#   compose.sh      when `docker compose version` fails: build Compose v2.40.3 from the Go module
#                   proxy (once per machine: the binary is kept in
#                   $XDG_CACHE_HOME/closebridge, ~/.cache/closebridge by default) and install it
#                   as the docker CLI plugin (/usr/local/lib/docker/cli-plugins/docker-compose as
#                   root, ~/.docker/cli-plugins/docker-compose otherwise)
#
# `go install github.com/docker/compose/v2/cmd@VERSION` refuses the module (its go.mod has
# exclude directives), so this builds the downloaded module the way its Makefile does. Needs Go
# 1.24 or later; the first build takes 2-4 minutes on 2 cores.
set -euo pipefail
version=v2.40.3
module=github.com/docker/compose/v2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/closebridge
cached=$cache/docker-compose-$version

die() {
        echo "compose.sh: $*" >&2
        exit 1
}

if [ "$(id -u)" -eq 0 ]; then
        plugins=/usr/local/lib/docker/cli-plugins
else
        plugins=$HOME/.docker/cli-plugins
fi
installed() { "$plugins/docker-compose" version 2>/dev/null | grep -qF "$version"; }

installed && exit 0
if [ ! -x "$cached" ]; then
        command -v go >/dev/null || die "Go is needed to build Compose $version (https://go.dev; Debian's golang-go 1.19 is too old)"
        start=$(date +%s)
        dir=$(go mod download -json "$module@$version" |
                sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
        [ -d "$dir" ] || die "go mod download $module@$version failed"
        mkdir -p "$cache"
        (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
                -ldflags "-s -w -X $module/internal.Version=$version" -o "$cached.tmp" ./cmd) ||
                die "building Compose $version failed"
        mv "$cached.tmp" "$cached"
        echo "compose.sh: built Compose $version in $(($(date +%s) - start)) s ($cached)" >&2
fi
mkdir -p "$plugins"
install -m 0755 "$cached" "$plugins/docker-compose"
installed || die "docker compose does not run after installing $plugins/docker-compose"
echo "compose.sh: docker compose $version installed in $plugins" >&2
