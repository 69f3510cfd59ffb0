#!/usr/bin/env bash
# Starts and stops a Docker engine for closebridge's container stage, and leaves the host as it
# found it.
#
#   engine.sh start     install Debian's docker.io when missing (and nftables, to undo its
#                       tables), note the host's network state, start dockerd, wait until it
#                       answers; writes $CB_ENGINE_STATE/dockerd.pid
#   engine.sh stop      SIGTERM that dockerd by its pid (SIGKILL after 60 s), then undo what it
#                       changed: net.ipv4.ip_forward and the bridge-netfilter sysctls, the nft
#                       tables it created (ip nat, ip filter, ...), the links it created (docker0,
#                       br-*, veth*) and the netns mounts under /run/docker
#
# When a Docker engine already answers on the default socket, `start` uses it and `stop` leaves
# it alone (it is someone else's). Images, volumes and the build cache stay in /var/lib/docker:
# like ~/.m2 for the broker's jars, they are a cache that makes the next run quicker; `docker
# system prune -a --volumes` empties it.
#
# Needs root (dockerd does). A machine where dockerd cannot start gets one line that says why,
# and exit 1: the container stage fails, it is never skipped.
set -euo pipefail

state=${CB_ENGINE_STATE:-/run/closebridge-engine}
# shellcheck source=deploy/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/../proc.sh"

die() {
        echo "engine.sh: $*" >&2
        exit 1
}

sysctls=(net/ipv4/ip_forward net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables)

links() { ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort; }
nft_tables() { nft list tables 2>/dev/null | sort; }
answers() { timeout 5 docker info >/dev/null 2>&1; }

install_engine() {
        local want=() p
        command -v dockerd >/dev/null || want+=(docker.io)
        command -v nft >/dev/null || want+=(nftables)
        command -v ip >/dev/null || want+=(iproute2)
        [ ${#want[@]} -eq 0 ] && return 0
        echo "engine.sh: installing ${want[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                "${want[@]}" >/dev/null
        for p in dockerd nft ip; do
                command -v "$p" >/dev/null || die "$p is still missing after apt-get install"
        done
}

start() {
        [ "$(id -u)" -eq 0 ] || die "cannot start dockerd: the container stage needs root (uid is $(id -u))"
        mkdir -p "$state"
        if [ -f "$state/dockerd.pid" ] && kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null; then
                echo "engine.sh: dockerd already started (pid $(cat "$state/dockerd.pid"))" >&2
                return 0
        fi
        rm -f "$state/dockerd.pid"
        if answers; then
                echo "engine.sh: using the Docker engine that already runs" >&2
                : >"$state/borrowed"
                return 0
        fi
        rm -f "$state/borrowed"
        install_engine
        # What the host looks like before dockerd touches it, for stop.
        local s
        : >"$state/sysctls"
        for s in "${sysctls[@]}"; do
                [ -f "/proc/sys/$s" ] && echo "$s $(cat "/proc/sys/$s")" >>"$state/sysctls"
        done
        links >"$state/links"
        nft_tables >"$state/nft"
        [ -d /run/docker ] && : >"$state/had-run-docker" || rm -f "$state/had-run-docker"

        dockerd >"$state/dockerd.log" 2>&1 </dev/null &
        echo $! >"$state/dockerd.pid"
        for _ in $(seq 120); do
                answers && {
                        echo "engine.sh: dockerd $(docker version -f '{{.Server.Version}}') ready (pid $(cat "$state/dockerd.pid"))" >&2
                        return 0
                }
                kill -0 "$(cat "$state/dockerd.pid")" 2>/dev/null || {
                        tail -20 "$state/dockerd.log" >&2
                        stop
                        die "cannot start dockerd: it exited during start-up (log above)"
                }
                sleep 0.5
        done
        tail -20 "$state/dockerd.log" >&2
        stop
        die "cannot start dockerd: no answer on /var/run/docker.sock after 60 s"
}

stop() {
        [ -f "$state/borrowed" ] && { rm -f "$state/borrowed"; return 0; }
        [ -f "$state/dockerd.pid" ] || return 0
        local pid s v l t
        pid=$(cat "$state/dockerd.pid")
        stop_pid "$pid" 60
        # dockerd's own containerd exits with it; so do the shims of stopped containers.
        pkill -TERM -f '^containerd --config /var/run/docker/containerd/' 2>/dev/null || true
        rm -f "$state/dockerd.pid"

        if [ -f "$state/sysctls" ]; then
                while read -r s v; do
                        [ "$(cat "/proc/sys/$s")" = "$v" ] || echo "$v" >"/proc/sys/$s"
                done <"$state/sysctls"
        fi
        if [ -f "$state/nft" ]; then
                nft_tables | comm -13 "$state/nft" - | while read -r _ t; do
                        # "table ip nat" -> family ip, name nat
                        nft delete table $t
                done
        fi
        if [ -f "$state/links" ]; then
                links | comm -13 "$state/links" - | while read -r l; do
                        ip link delete "$l" 2>/dev/null || true
                done
        fi
        # network namespaces dockerd bind-mounted (/run/docker/netns/default, ...)
        awk '$2 ~ "^/run/docker/" || $2 ~ "^/var/run/docker/" {print $2}' /proc/mounts | sort -r |
                while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
        [ -f "$state/had-run-docker" ] || rm -rf /run/docker
        rm -f "$state/sysctls" "$state/links" "$state/nft" "$state/had-run-docker"
        echo "engine.sh: dockerd stopped, host network state restored" >&2
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: engine.sh start | stop" ;;
esac
