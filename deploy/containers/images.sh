#!/usr/bin/env bash
# Makes the images docker-compose.yml and the Dockerfile name on a machine that can reach
# Debian's archive and Maven Central but no image registry. Each is made only when its tag is
# not already present, so images pulled from a registry are never replaced.
#
#   images.sh            debian:bookworm-slim    debootstrap --variant=minbase bookworm, imported
#                                                with `docker import` (the Dockerfile's base)
#                        apache/kafka:4.1.1      standins/kafka: the broker jars from Maven Central
#                                                (deploy/kafka), the official image's start-up rules
#                        nginx:1.28-alpine       standins/nginx: Debian's nginx, the paths and
#                                                commands the compose file uses
#
# What each stand-in reproduces of the real image, and what not, is in its Dockerfile's header.
# Needs root (debootstrap) and a running engine (engine.sh start).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
mirror=${CB_DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() {
        echo "images.sh: $*" >&2
        exit 1
}
have() { docker image inspect "$1" >/dev/null 2>&1; }

base_image() {
        have debian:bookworm-slim && return 0
        command -v debootstrap >/dev/null || {
                apt-get update -qq
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                        debootstrap >/dev/null
        }
        local root start
        start=$(date +%s)
        root=$(mktemp -d /var/tmp/closebridge-rootfs.XXXXXX)
        trap 'rm -rf "$root"' RETURN
        debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
                { tail -20 "$root.log" >&2; rm -f "$root.log"; die "debootstrap failed"; }
        rm -f "$root.log"
        # the suites the official image lists, and no package lists or archives in the layer
        rm -f "$root/etc/apt/sources.list"
        cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
        tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
        echo "images.sh: debian:bookworm-slim from debootstrap in $(($(date +%s) - start)) s" >&2
}

standin() {
        local tag=$1 dir=$2 context=$3 start
        have "$tag" && return 0
        start=$(date +%s)
        docker build -q -f "$here/standins/$dir/Dockerfile" -t "$tag" "$context" >/dev/null ||
                die "building the $tag stand-in failed"
        echo "images.sh: $tag stand-in built in $(($(date +%s) - start)) s" >&2
}

docker info >/dev/null 2>&1 || die "no Docker engine answers (deploy/containers/engine.sh start)"
base_image
if ! have apache/kafka:4.1.1; then
        "$top/deploy/kafka/kafka.sh" fetch
        # the context is deploy/: the stand-in's files and the jars deploy/kafka fetched
        standin apache/kafka:4.1.1 kafka "$top/deploy"
fi
standin nginx:1.28-alpine nginx "$here/standins/nginx"
