"""Connection abuse: 2,000 connections held open against ingest, half idle (connected, nothing
sent) and half sending a request one byte a second and never finishing it, reopened as fast
as ingest closes them. Meanwhile another client sends valid webhooks: every one must get 202,
quickly, and be on Kafka. Once the abusers stop reopening, ingest must close every connection
they still hold by itself, within its time limits, and still be alive and ready."""
import http.client
import json
import resource
import selectors
import socket
import threading
import time

from harness import (JSON, b64id, bootstrap, bridged, fixture, instance, kcat_read, request, run,
                     wait_for)
from prometheus_client.parser import text_string_to_metric_families

INSTANCE = 4242
ABUSERS = 2000
WEBHOOKS = 300
TIMEOUT_S = 10  # ingest's --http-idle-timeout-s here (30 by default): the test's length
PATH = f"/events/closeio/{b64id(INSTANCE)}"
# a request that never ends: its body is shorter than it says
HEADERS = (f"POST {PATH} HTTP/1.1\r\nHost: ingest\r\nContent-Type: application/json\r\n"
           "Content-Length: 100000\r\n\r\n").encode()
REQUEST = HEADERS + b'{"model": "lead", "event": "update", "data": {' + b" " * 1000


def raise_fd_limit(need):
    """Raises this process's open-files limit (ingest inherits it) to need, or fails."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        assert hard == resource.RLIM_INFINITY or hard >= need, f"RLIMIT_NOFILE hard {hard}"
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def metric(service, name):
    """The value of metric name (summed over its series) on service's /metrics."""
    text = request("GET", service.url + "/metrics").body.decode()
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == name)


class Abusers:
    """ABUSERS connections to port driven by one selector thread: even ones idle, odd ones
    trickling REQUEST a byte a second (every fourth sends the headers whole first, so that the
    body trickles). A connection ingest closes is counted (with how long it lived) and, while
    `reopen` is set, opened again."""

    def __init__(self, port):
        self.port, self.reopen, self.stop = port, threading.Event(), threading.Event()
        self.reopen.set()
        self.sel = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.closed = []  # lifetimes (s) of connections ingest closed
        self.opened = 0
        self.errors = []
        for slot in range(ABUSERS):
            self.open(slot)
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def open(self, slot):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.setblocking(False)
        sent = len(HEADERS) if slot % 4 == 3 else 0
        if sent:
            s.sendall(REQUEST[:sent])
        self.sel.register(s, selectors.EVENT_READ, {"slot": slot, "sent": sent,
                                                     "opened": time.monotonic()})
        self.opened += 1

    def held(self):
        return len(self.sel.get_map())

    def drop(self, key):
        self.sel.unregister(key.fileobj)
        key.fileobj.close()
        with self.lock:
            self.closed.append(time.monotonic() - key.data["opened"])
        if self.reopen.is_set():
            self.open(key.data["slot"])

    def loop(self):
        next_byte = time.monotonic() + 1
        try:
            while not self.stop.is_set():
                for key, _ in self.sel.select(timeout=0.2):
                    try:
                        data = key.fileobj.recv(4096)
                    except ConnectionError:
                        data = b""
                    if not data:  # ingest closed it
                        self.drop(key)
                if time.monotonic() >= next_byte:
                    next_byte += 1
                    for key in list(self.sel.get_map().values()):
                        d = key.data
                        if d["slot"] % 2 and d["sent"] < len(REQUEST):
                            try:
                                key.fileobj.send(REQUEST[d["sent"]:d["sent"] + 1])
                                d["sent"] += 1
                            except (BlockingIOError, ConnectionError):
                                pass  # closed: the select above sees it
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.errors.append(repr(e))

    def close(self):
        self.stop.set()
        self.thread.join()
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()


def webhook(n):
    event = json.loads(fixture("modern_lead_created.json"))
    event["event"].update(id=f"ev_abuse{n:05d}", object_id=f"lead_abuse{n}")
    return json.dumps(event).encode()


def send_webhooks(port, results):
    """WEBHOOKS valid webhooks, each on a new connection as Close sends them: (status, id,
    seconds) into results."""
    for n in range(WEBHOOKS):
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("POST", PATH, webhook(n), JSON)
            r = conn.getresponse()
            body = r.read()
            results.append((r.status, json.loads(body)["ids"][0] if r.status == 202 else body,
                            time.monotonic() - started))
        except OSError as e:
            results.append((repr(e), None, time.monotonic() - started))
        finally:
            conn.close()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def test_valid_webhooks_get_202_while_2000_connections_abuse_ingest():
    raise_fd_limit(ABUSERS * 2 + 1024)
    with bridged(lambda url: [instance(INSTANCE, url)]) as (bridge, _):
        ingest = bridge.ingest("--http-idle-timeout-s", str(TIMEOUT_S)).ready()
        port = int(ingest.url.rsplit(":", 1)[1])
        abusers = Abusers(port)
        try:
            wait_for("ingest to hold every abusive connection",
                     lambda: metric(ingest, "closebridge_http_connections") >= ABUSERS)
            results = []
            started = time.monotonic()
            send_webhooks(port, results)
            # the abuse goes on past ingest's time limit, so connections are closed and
            # reopened while webhooks come in
            wait_for("a time limit's worth of abuse",
                     lambda: time.monotonic() - started > TIMEOUT_S * 1.5, timeout=60)
            send_webhooks(port, results)
            abusers.reopen.clear()
            held_at_end = abusers.held()
            wait_for("ingest to close every abusive connection", lambda: abusers.held() == 0,
                     timeout=TIMEOUT_S * 2 + 15)
        finally:
            abusers.close()
        cut = metric(ingest, "closebridge_http_slow_requests_total")
        assert not abusers.errors, abusers.errors
        statuses = [status for status, _, _ in results]
        assert statuses == [202] * len(results), \
            f"answers other than 202: {sorted(set(map(str, statuses)))}"
        latencies = [t for _, _, t in results]
        p99, worst = percentile(latencies, 0.99), max(latencies)
        print(f"{len(results)} webhooks among {ABUSERS} abusive connections "
              f"({abusers.opened} opened, {len(abusers.closed)} closed by ingest): "
              f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"max {worst * 1000:.1f} ms; ingest closed abusive connections after "
              f"{min(abusers.closed):.1f}..{max(abusers.closed):.1f} s, {cut:.0f} of them for "
              f"a request that did not arrive in time, the others idle", flush=True)
        assert worst < 5, f"a valid webhook waited {worst:.1f} s"
        # the abuse went on through a round of closing and reopening (one or two may have
        # been between the two when it stopped)
        assert abusers.opened >= 2 * ABUSERS and held_at_end >= ABUSERS - 10, \
            (abusers.opened, held_at_end)
        # the trickling half cannot be idle: only the request time limit ends them
        assert cut >= len(abusers.closed) // 2, (cut, len(abusers.closed))
        assert min(abusers.closed) >= TIMEOUT_S - 1, "closed before ingest's time limit"
        assert max(abusers.closed) <= TIMEOUT_S * 2 + 5, "held past ingest's time limits"
        on_topic = {r["headers"].get("ce_id") for r in
                    kcat_read(bootstrap(), bridge.topic("closeio.events"))}
        missing = {i for _, i, _ in results} - on_topic
        assert not missing, f"{len(missing)} accepted webhooks missing from the topic"
        assert ingest.proc.poll() is None, ingest.logs()[-2000:]
        assert request("GET", ingest.url + "/readyz").status == 200
        wait_for("ingest's connection gauge back down",
                 lambda: metric(ingest, "closebridge_http_connections") <= 2)
        assert ingest.stop() == 0


if __name__ == "__main__":
    run([test_valid_webhooks_get_202_while_2000_connections_abuse_ingest])
