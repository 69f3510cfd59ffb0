"""The pieces a chaos run is made of, on loopback: a broker of its own, receivers whose answers
follow each event's fate (and that can go down), webhook clients that send until acknowledged, as
Close does, and a feeder of a fake Close Event Log. ingest and publish are harness.Service, which
can be killed and started again on the same port. Waits poll a condition with a deadline
(harness.wait_for)."""
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "..", "integration"))
# by hand: the source tree this file is in, and CB_BUILD_DIR (default: its build folder)
os.environ.setdefault("CB_SOURCE_DIR", os.path.normpath(os.path.join(_here, "..", "..")))
os.environ.setdefault("CB_BUILD_DIR", os.path.join(os.environ["CB_SOURCE_DIR"], "build"))
from fake_close import close_date  # noqa: E402
from harness import (JSON, Server, b64id, bootstrap, fixture, free_port, instance,  # noqa: E402
                     kafka_sh, request, wait_for)
import http.server  # noqa: E402


# Retry ladder of publish in chaos runs (a short one, so every event reaches a final state within
# the run) and the time limit of one attempt; the fates below are made to fit them.
LADDER = "1s,1s,2s,2s,3s"
STEPS = 5
DELIVERY_TIMEOUT_S = 3


class Broker:
    """A Kafka broker of the run's own (deploy/kafka/kafka.sh in dir), stopped and started at
    will; proxied_port adds a listener advertised as that port (for a proxy in front of it)."""

    def __init__(self, dir, proxied_port=None):
        self.dir, self.proxied_port = dir, proxied_port
        subprocess.run(["rm", "-rf", dir], check=True)

    def _sh(self, cmd):
        env = dict(os.environ)
        if self.proxied_port:
            env["KAFKA_PROXIED_PORT"] = str(self.proxied_port)
        kafka_sh(cmd, self.dir, env=env, quiet=True)

    def start(self):
        started = time.monotonic()
        self._sh("start")
        return time.monotonic() - started

    def stop(self):
        self._sh("stop")

    def running(self):
        return os.path.exists(os.path.join(self.dir, "kafka.pid"))

    def bootstrap(self):
        return bootstrap(self.dir)

    def proxied(self):
        with open(os.path.join(self.dir, "proxied")) as f:
            return f.read().strip()


# ---- fates: what a receiver answers to each event, from the event's id alone ----

def fate(seed, event_id):
    """(kind, k): ok (2xx, at times slowly), flaky (k failures, then 2xx), fail (never 2xx:
    dead-lettered once the ladder is used up) or gone (k failures, then 410: dead-lettered)."""
    r = random.Random(f"{seed}/{event_id}")
    x = r.random()
    if x < 0.60:
        return "ok", 0
    if x < 0.82:
        return "flaky", r.choice((1, 2))
    if x < 0.90:
        return "fail", STEPS + 1
    return "gone", r.choice((0, 1))


def answer(seed, event_id, n):
    """The answer to the n-th request for event_id: ("status", code, headers, delay_s),
    ("hang", seconds) (held past publish's time limit, then dropped) or ("drop",) (the
    connection closed unanswered)."""
    kind, k = fate(seed, event_id)
    r = random.Random(f"{seed}/{event_id}/{n}")
    if n > k and kind in ("ok", "flaky"):
        return ("status", 200, {}, r.uniform(0.2, 0.8) if r.random() < 0.2 else 0)
    if n > k and kind == "gone":
        return ("status", 410, {}, 0)
    x = r.random()
    if x < 0.40:
        return ("status", 500, {}, 0)
    if x < 0.60:
        return ("status", 503, {"Retry-After": "1"}, 0)
    if x < 0.70:
        return ("status", 429, {"Retry-After": "2"}, 0)
    if x < 0.82:
        return ("hang", DELIVERY_TIMEOUT_S + 1.5)
    return ("drop",)


class ChaosReceiver:
    """A callback receiver on a fixed loopback port answering each event by its fate. Records
    every request: {id, n, kind, status, path, at (epoch s), took (s)}. down() closes the
    listening socket and every open connection; up() listens again on the same port."""

    def __init__(self, name, seed):
        self.name, self.seed = name, seed
        self.requests, self.counts = [], {}
        self.lock = threading.Lock()
        self.conns = set()
        self.is_down, self.outages = False, []   # outages: [start, end] epoch s
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/callback"
        self.server = None
        self.up()

    def _handler(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.conns.add(self.connection)

            def finish(self):
                with receiver.lock:
                    receiver.conns.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_POST(self):
                started = time.time()
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event_id = self.headers.get("webhook-id")
                with receiver.lock:
                    if receiver.is_down:
                        self.close_connection = True
                        return
                    n = receiver.counts[event_id] = receiver.counts.get(event_id, 0) + 1
                rec = {"id": event_id, "n": n, "path": self.path, "at": started}
                what = answer(receiver.seed, event_id, n)
                rec["kind"] = what[0]
                if what[0] == "status":
                    rec["status"] = what[1]
                    if what[3]:
                        time.sleep(what[3])
                elif what[0] == "hang":
                    time.sleep(what[1])
                rec["took"] = time.time() - started
                with receiver.lock:
                    receiver.requests.append(rec)
                if what[0] != "status":
                    self.close_connection = True
                    return
                self.send_response(what[1])
                for name, value in what[2].items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def up(self):
        self.server = QuietServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        with self.lock:
            self.is_down = False
            if self.outages and self.outages[-1][1] is None:
                self.outages[-1][1] = time.time()

    def down(self):
        with self.lock:
            self.is_down = True
            self.outages.append([time.time(), None])
            conns = list(self.conns)
        self.server.shutdown()
        self.server.server_close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def mark_outage(self, start, end):
        """A fault outside the receiver (its network link) counts as an outage too."""
        with self.lock:
            self.outages.append([start, end])

    def answered(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        if not self.is_down:
            self.down()


# ---- load: webhook clients and the Event Log feeder ----

class QuietServer(Server):
    def handle_error(self, request, client_address):
        pass   # a connection cut by down() or by publish's time-out is part of the run


def webhook_body(event_id, object_id, date):
    body = json.loads(fixture("modern_lead_created.json"))
    body["event"].update(id=event_id, object_id=object_id, lead_id=object_id,
                         date_updated=date, action="updated")
    return json.dumps(body).encode()


class Clients:
    """n clients, each sending distinct webhooks one at a time to random instances, each again
    (after Retry-After or a short pause) until it is answered 2xx, as Close does. acked maps
    envelope id -> (instance id, epoch s); answers counts statuses and errors."""

    def __init__(self, ingest_url, instance_ids, n, seed, pause=0.1):
        self.url, self.instance_ids, self.pause = ingest_url, instance_ids, pause
        self.acked, self.answers = {}, {}
        self.lock = threading.Lock()
        self.stopping, self.deadline = threading.Event(), None
        self.unacked = []   # webhooks given up on at the deadline (a violation)
        self.threads = [threading.Thread(target=self._run, args=(c, random.Random(f"{seed}c{c}")),
                                         daemon=True) for c in range(n)]
        self.tag = f"{seed}"

    def start(self):
        for t in self.threads:
            t.start()

    def _count(self, what):
        with self.lock:
            self.answers[what] = self.answers.get(what, 0) + 1

    def _run(self, c, rnd):
        n = 0
        while not self.stopping.is_set():
            iid = rnd.choice(self.instance_ids)
            ev = f"ev_chaos{self.tag}c{c}n{n:07d}"
            body = webhook_body(ev, f"lead_c{c}o{n % 50}", close_date(time.time()))
            url = f"{self.url}/events/closeio/{b64id(iid)}"
            while True:
                try:
                    r = request("POST", url, body, JSON, timeout=15)
                    self._count(r.status)
                    if r.status == 202:
                        with self.lock:
                            self.acked[r.json()["ids"][0]] = (iid, time.time())
                        break
                    wait = float(r.headers.get("Retry-After", 1)) if r.status == 503 else 0.5
                except OSError as e:
                    self._count(type(e).__name__)
                    wait = rnd.uniform(0.1, 0.5)
                if self.deadline and time.monotonic() > self.deadline:
                    with self.lock:
                        self.unacked.append(ev)
                    return
                time.sleep(wait)   # a client's back-off between sends, not a wait for a state
            n += 1
            time.sleep(rnd.uniform(0, 2 * self.pause))

    def stop(self, timeout=180):
        """Stops sending new webhooks; waits until each one begun is acknowledged."""
        self.deadline = time.monotonic() + timeout
        self.stopping.set()
        for t in self.threads:
            t.join(timeout + 30)


class Feeder:
    """Adds an entry to a fake Close Event Log every `every` seconds, to a random API key."""

    def __init__(self, fake, keys, seed, every=0.25):
        self.fake, self.keys, self.every = fake, keys, every
        self.fed = []   # (key, Close event id)
        self.rnd = random.Random(f"{seed}feed")
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.tag = f"{seed}"

    def start(self):
        self.thread.start()

    def _run(self):
        base = json.loads(fixture("modern_lead_created.json"))["event"]
        while not self.stopping.is_set():
            n = len(self.fed)
            key = self.rnd.choice(self.keys)
            date = close_date(time.time())
            e = dict(base, id=f"ev_log{self.tag}n{n:06d}", object_id=f"lead_l{n}",
                     lead_id=f"lead_l{n}", date_created=date, date_updated=date)
            self.fake.add(key, e)
            self.fed.append((key, e["id"]))
            self.stopping.wait(self.every)

    def stop(self):
        self.stopping.set()
        self.thread.join()


def instances(receivers, fake):
    """The run's instances: webhook instances 1-6 over the receivers (6 in CloudEvents format),
    7 with notifications off (its events are skipped), polling instances 11 (key K1) and 12 (K2)
    reading the fake Event Log."""
    r = receivers
    out = [instance(i, r[(i - 1) // 2 % len(r)].url) for i in range(1, 6)]
    out.append(instance(6, r[-1].url, **{"event.notification.format": "cloudevents"}))
    out.append(instance(7, r[0].url.replace("/callback", "/skipped"),
                        **{"event.notification.enabled": "false"}))
    since = close_date(time.time() - 60)
    for iid, key, rec in ((11, "K1", r[1 % len(r)]), (12, "K2", r[2 % len(r)])):
        out.append(instance(iid, rec.url, **{
            "event.vendor.type": "polling", "event.poller.refresh_interval": "0.02",
            "base.url": fake.base, "username": key, "event.poller.since": since}))
    return out


WEBHOOK_INSTANCES = [1, 2, 3, 4, 5, 6, 7]
SKIPPED_INSTANCES = {"7"}
POLL_KEYS = ["K1", "K2"]


def receiver_of(insts, receivers, aliases=None):
    """instance id (text) -> the receiver its callback URL points at (None: skipped); aliases:
    port -> receiver, for a proxy in front of one."""
    by_port = {rec.port: rec for rec in receivers}
    by_port.update(aliases or {})
    out = {}
    for inst in insts:
        url = inst["configuration"]["event.notification.callback.url"]
        port = int(url.split(":")[2].split("/")[0])
        out[str(inst["id"])] = None if str(inst["id"]) in SKIPPED_INSTANCES else by_port.get(port)
    return out


def first_attempt(proc, timeout=120):
    """Waits until proc (a harness.Service) made its first delivery attempt; returns the seconds
    since its start."""
    import re
    pat = re.compile(r"^closebridge_delivery_attempts_total\{[^}]*\} [1-9]", re.M)
    wait_for(f"a delivery attempt by the restarted {proc.name}",
             lambda: pat.search(proc.metrics()) or (not proc.alive() and (_ for _ in ()).throw(
                 AssertionError(f"{proc.name} exited:\n{proc.logs(current=True)[-4000:]}"))),
             timeout, 0.02)
    return time.monotonic() - proc.started
