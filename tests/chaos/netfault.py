"""Network faults, not only process faults: the chaos run's load and checks (run.py, check.py),
with the link between publish and the broker and the link between publish and one receiver
slowed, lossy, cut and down for a while, each in turn, at random moments, through Toxiproxy on
loopback (toxiproxy.sh builds it once per machine from the Go module proxy).

- publish reaches the broker through a proxy: the broker has a second listener advertised as the
  proxy's port (deploy/kafka/kafka.sh, KAFKA_PROXIED_PORT), so every connection publish's
  clients open, also after reconnecting, goes through it; ingest and the checks stay direct.
- the callbacks of receiver r0's instances go through a second proxy.
Faults: slow (latency with jitter), lossy (Toxiproxy works on TCP streams: loss shows as what TCP
makes of it, stalls and sliced segments, plus connections reset at random), cut (nothing gets
through, connections stay open) and down (connections closed, new ones refused). Each fault ends
with the link's connections closed. After each, the run measures how long until the next
delivery.

    netfault.py [--minutes M] [--seed S]

Why Toxiproxy and not tc netem in network namespaces: it needs no kernel module (this kernel has
no sch_netem), no root and no address outside loopback, and it faults exactly one link."""
import argparse
import json
import os
import random
import subprocess
import sys
import time
import types
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Run  # noqa: E402
from world import free_port, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Toxiproxy:
    """A Toxiproxy server of the run's own, driven through its HTTP API."""

    def __init__(self, work):
        binary = subprocess.run([os.path.join(HERE, "toxiproxy.sh")], check=True, timeout=900,
                                capture_output=True).stdout.decode().strip()
        self.binary, self.port, self.proxies, self.restarts = binary, free_port(), {}, 0
        self.log = open(os.path.join(work, "toxiproxy.log"), "wb")
        self.api = f"http://127.0.0.1:{self.port}"
        self._start()

    def _start(self):
        self.proc = subprocess.Popen([self.binary, "-host", "127.0.0.1", "-port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_for("toxiproxy's API", self._up, 30, 0.05)

    def _up(self):
        try:
            return self.call("GET", "/version") is not None
        except OSError:
            return False

    def call(self, method, path, body=None, timeout=30):
        req = urllib.request.Request(self.api + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read()
        return json.loads(text) if text.strip()[:1] in (b"{", b"[") else text

    def proxy(self, name, listen_port, upstream):
        self.proxies[name] = (listen_port, upstream)
        self.call("POST", "/proxies", {"name": name, "listen": f"127.0.0.1:{listen_port}",
                                       "upstream": upstream, "enabled": True})

    def restart(self):
        """The server again, on the same ports, with its proxies and no toxic (what every
        connection through it sees: closed, as at the end of any fault)."""
        self.proc.kill()
        self.proc.wait()
        self._start()
        for name, (port, upstream) in self.proxies.items():
            self.proxy(name, port, upstream)

    def toxic(self, proxy, name, type_, attributes, stream="downstream", toxicity=1.0):
        self.call("POST", f"/proxies/{proxy}/toxics",
                  {"name": name, "type": type_, "stream": stream, "toxicity": toxicity,
                   "attributes": attributes})

    def clear(self, proxy):
        """Ends a fault: the proxy's connections are closed first (as the ends of a broken
        link find out sooner or later), then its toxics go. (Removed from live connections,
        a toxic holding data for a peer that does not read made Toxiproxy's API hang.) Even so,
        Toxiproxy's removal of a latency toxic can hang for good (a DELETE answered 503 after
        25 s, and every later call on that proxy too: seen in CI); when the toxics are not gone
        within 15 s, the server is restarted with its proxies and no toxic, which ends the
        fault the same way (the other link's connections are closed too)."""
        self.enable(proxy, False)

        def cleared():
            try:
                left = self.call("GET", f"/proxies/{proxy}/toxics", timeout=5) or []
                for t in left:
                    self.call("DELETE", f"/proxies/{proxy}/toxics/{t['name']}", timeout=5)
                return not left
            except OSError:   # a removal not done in time (503, time-out): asked again
                return False
        try:
            wait_for(f"the toxics of {proxy} removed", cleared, 15, 0.2)
        except AssertionError:
            self.restarts += 1
            self.restart()

    def enable(self, proxy, on):
        self.call("POST", f"/proxies/{proxy}", {"enabled": on})

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


def both(tp, proxy, name, type_, attributes, toxicity=1.0):
    for stream in ("upstream", "downstream"):
        tp.toxic(proxy, f"{name}-{stream}", type_, attributes, stream, toxicity)


FAULTS = {
    "slow": lambda tp, p, rnd: both(tp, p, "slow", "latency",
                                    {"latency": rnd.randint(200, 800), "jitter": 300}),
    "lossy": lambda tp, p, rnd: (
        both(tp, p, "stall", "latency", {"latency": 20, "jitter": 600}),
        both(tp, p, "slice", "slicer", {"average_size": 64, "size_variation": 48,
                                        "delay": 200}),
        tp.toxic(p, "reset", "reset_peer", {"timeout": rnd.randint(500, 3000)},
                 "downstream", 0.3)),
    # nothing gets through, connections stay open (closed when the cut ends)
    "cut": lambda tp, p, rnd: both(tp, p, "cut", "timeout", {"timeout": 0}),
    "down": lambda tp, p, rnd: tp.enable(p, False),
}


def deliveries_after(receivers, t):
    return [q for r in receivers for q in r.answered()
            if q["at"] > t and 200 <= q.get("status", 0) < 300]


def effects(run, figures, kport, r0):
    """The faults reached the links they were meant for: publish's broker connections went
    through the proxy and broke there, and attempts to r0 met the link down."""
    text = run.publish.logs()
    broken = sum(1 for line in text.splitlines() if f"127.0.0.1:{kport}" in line and any(
        w in line for w in ("Disconnected", "refused", "timed out", "reset", "failed")))
    figures["publish-broker connections broken (publish's log)"] = broken
    if not broken:
        run.violation("no connection of publish to the broker broke: the faults missed the link")
    if run.broker.bootstrap() in text:
        run.violation("publish reached the broker directly, not through the proxy")
    r0_instances = {i for i, r in run.receivers_of.items() if r is r0}
    # r0 itself never refuses a connection in this run: only the proxy's "down" does
    failed = sum(1 for log in run.topics.log.values() for a in log
                 if a["instanceId"] in r0_instances and "connect" in (a["error"] or "").lower()
                 and a["outcome"] != "breaker-open")
    figures["attempts to r0 refused by the cut link"] = failed
    if not failed:
        run.violation("no attempt to r0 failed: the faults missed the publish-receiver link")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=1.5)
    ap.add_argument("--seed", type=int, default=random.SystemRandom().randrange(10 ** 6))
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    seconds = args.minutes * 60
    kport, rport = free_port(), free_port()
    run = Run("netfault", args.seed, clients=args.clients, proxied_port=kport)
    run.log(f"netfault: seed {args.seed}, {args.minutes} minutes of load with faults")
    tp = None
    faults = 0
    try:
        tp = Toxiproxy(run.work)
        run.time("broker start", run.broker.start())
        tp.proxy("kafka", kport, run.broker.proxied())
        r0 = run.receivers[0]
        tp.proxy("receiver", rport, f"127.0.0.1:{r0.port}")
        targets = [types.SimpleNamespace(url=f"http://127.0.0.1:{rport}/callback")] + \
            run.receivers[1:]
        run.setup(targets, {rport: r0}, publish_bootstrap=f"127.0.0.1:{kport}")
        run.clients.start()
        run.feeder.start()
        begin = time.monotonic()
        links = {"kafka": "publish-broker", "receiver": "publish-receiver r0"}
        plan = []
        while len(plan) < max(8, int(seconds / 12)):
            batch = [(p, f) for p in links for f in FAULTS]
            run.rnd.shuffle(batch)
            plan += batch
        plan = plan[:max(8, int(seconds / 12))]
        for i, (proxy, fault) in enumerate(plan):
            left = seconds - (time.monotonic() - begin)
            time.sleep(max(0.0, run.rnd.uniform(0.2, 0.8) * left / (2 * (len(plan) - i))))
            # from blips to more than publish's session (10 s)
            length = run.rnd.uniform(4, 14)
            start = time.time()
            FAULTS[fault](tp, proxy, run.rnd)
            run.log(f"{links[proxy]}: {fault} for {length:.0f} s")
            time.sleep(length)   # chaos: how long the fault lasts
            tp.clear(proxy)
            tp.enable(proxy, True)
            ended = time.time()
            run.disruptions.append((start, ended))
            if proxy == "receiver":
                r0.mark_outage(start, ended)
            faults += 1
            watched = [r0] if proxy == "receiver" else run.receivers
            try:
                wait_for(f"a delivery after {fault} of {links[proxy]}",
                         lambda: deliveries_after(watched, ended), 120, 0.05)
                took = min(q["at"] for q in deliveries_after(watched, ended)) - ended
                run.time(f"first delivery after a fault of {links[proxy]}", took)
            except AssertionError as e:
                run.violation(f"{e}: publish did not recover from the fault")
        time.sleep(max(0.0, seconds - (time.monotonic() - begin)))   # the rest of the load
        run.drain()
        figures = run.finish()
        effects(run, figures, kport, r0)
        figures["Toxiproxy restarts (a toxic's removal hung)"] = tp.restarts
    except Exception as e:   # a failure of the run itself: report it, clean up
        run.abort(e)
        figures = {}
    finally:
        if tp:
            tp.close()
    sys.exit(run.report(figures, [("network faults", faults)]))


if __name__ == "__main__":
    main()
