# Free loopback ports for the broker, the services and the benchmarks (sourced by
# deploy/kafka/kafka.sh and bench/lib.sh).

# 0 when nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints a port nothing listens on, below the kernel's ephemeral range: a port inside that range
# can become the local end of some outgoing connection between this check and the bind
# ("Address already in use"), which port_free cannot see. Returns 1 when none is found.
pick_port() {
        local p lo=10000 hi=32768
        read -r hi _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
        ((hi > lo + 1000)) || hi=32768
        for _ in $(seq 200); do
                p=$((lo + RANDOM % (hi - lo)))
                if port_free "$p"; then
                        echo "$p"
                        return 0
                fi
        done
        echo "ports.sh: no free port found" >&2
        return 1
}
