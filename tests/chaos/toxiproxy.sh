#!/usr/bin/env bash
# Prints the path of a Toxiproxy server binary (tests/chaos/netfault.py runs it on loopback),
# building it first when missing: `go install` of github.com/Shopify/toxiproxy/v2/cmd/server at a
# fixed version from the Go module proxy as configured on this machine, once per machine, into
# $XDG_CACHE_HOME/closebridge (~/.cache/closebridge by default), as deploy/containers/compose.sh
# does for Compose. The first build takes about a minute on 2 cores.
set -euo pipefail
version=v2.12.0
module=github.com/Shopify/toxiproxy/v2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/closebridge
cached=$cache/toxiproxy-server-$version

die() {
        echo "toxiproxy.sh: $*" >&2
        exit 1
}

if [ ! -x "$cached" ]; then
        command -v go >/dev/null || die "Go is needed to build Toxiproxy $version (https://go.dev)"
        start=$(date +%s)
        mkdir -p "$cache"
        tmp=$(mktemp -d "$cache/toxiproxy-build.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        GOBIN=$tmp CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "$module/cmd/server@$version" >&2 ||
                die "go install $module/cmd/server@$version failed"
        mv "$tmp/server" "$cached"
        echo "toxiproxy.sh: built Toxiproxy $version in $(($(date +%s) - start)) s ($cached)" >&2
fi
"$cached" -version >/dev/null 2>&1 || die "$cached does not run"
echo "$cached"
