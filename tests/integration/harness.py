"""Integration-test harness: real closebridge binaries, a real Kafka broker, real HTTP on loopback.

Environment (set by ctest): CB_BUILD_DIR (binaries), CB_SOURCE_DIR, CB_KAFKA_DIR (the broker that
the `kafka` ctest fixture started; its address is in CB_KAFKA_DIR/bootstrap).

Every wait here polls a condition until a deadline; nothing sleeps to synchronise.
"""
import base64
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

BUILD = os.environ["CB_BUILD_DIR"]
SOURCE = os.environ["CB_SOURCE_DIR"]
KAFKA_DIR = os.environ.get("CB_KAFKA_DIR", "")
DATA = os.path.join(SOURCE, "tests", "data")
KAFKA_SH = os.path.join(SOURCE, "deploy", "kafka", "kafka.sh")
JSON = {"Content-Type": "application/json"}


def kafka_sh(cmd, kafka_dir, env=None, quiet=False):
    """deploy/kafka/kafka.sh CMD KAFKA_DIR (start, stop: a broker of a test's own), 180 s at
    most; raises when it fails."""
    subprocess.run([KAFKA_SH, cmd, kafka_dir], check=True, timeout=180, env=env,
                   stdout=subprocess.DEVNULL if quiet else None)


def bootstrap(kafka_dir=None):
    with open(os.path.join(kafka_dir or KAFKA_DIR, "bootstrap")) as f:
        return f.read().strip()


def fixture(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def b64id(instance_id, urlsafe=False, padded=True):
    text = base64.b64encode(str(instance_id).encode()).decode()
    if urlsafe:
        text = text.replace("+", "-").replace("/", "_")
    return text if padded else text.rstrip("=")


# what ASan, UBSan and TSan print when they find something (the builds of deploy/test.sh)
SANITIZER_REPORT = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                              r"WARNING: ThreadSanitizer")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout=30.0, interval=0.05):
    """Polls predicate() until it returns a truthy value, which is returned; fails after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def request(method, url, body=None, headers=None, timeout=30):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, dict(r.headers), r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, dict(e.headers), e.read())


class Server(http.server.ThreadingHTTPServer):
    """http.server's listen backlog is 5: past it, connections publish opens at once wait for
    SYN retransmits (1 s, 3 s, ...). A receiver in production listens with a deeper one."""
    request_queue_size = 1024


class Receiver:
    """A callback receiver on loopback that records every request. `plan(event_id, attempt, path)`
    decides the answer to each attempt: a status, or (status, {headers}) (default 200).
    `gate(event_id, path)`, when set, runs before answering and may block (a slow receiver);
    raising ConnectionAbortedError drops the request unanswered and unrecorded."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.plan = lambda event_id, attempt, path: 200
        self.gate = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event_id = self.headers.get("webhook-id")
                if receiver.gate:
                    try:
                        receiver.gate(event_id, self.path)
                    except ConnectionAbortedError:
                        # the gate drops this request: no answer, nothing recorded
                        self.close_connection = True
                        return
                with receiver.lock:
                    attempt = 1 + sum(1 for r in receiver.requests if r["id"] == event_id)
                    answer = receiver.plan(event_id, attempt, self.path)
                    status, headers = answer if isinstance(answer, tuple) else (answer, {})
                    receiver.requests.append({"id": event_id, "headers": dict(self.headers),
                                              "body": body, "status": status, "path": self.path,
                                              "at": time.monotonic()})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def delivered(self, event_id):
        """The requests for event_id that were answered 2xx."""
        with self.lock:
            return [r for r in self.requests if r["id"] == event_id and 200 <= r["status"] < 300]

    def attempts(self, event_id):
        with self.lock:
            return [r for r in self.requests if r["id"] == event_id]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def instance(instance_id, callback_url, **config):
    conf = {"username": "close-api-key", "password": "", "event.notification.enabled": "true",
            "event.notification.callback.url": callback_url}
    conf.update(config)
    return {"id": instance_id, "element": {"key": "closeio"}, "name": f"test-{instance_id}",
            "tags": ["test"], "configuration": conf}


class Service:
    """One closebridge process (ingest, publish or console) with its log in the work directory. start()
    runs it again on the same port after it exited or was killed (clients keep its URL, the
    poller its transactional id), each start with a log file of its own."""

    def __init__(self, work, name, args, env, start=True):
        self.name, self.work, self.args, self.env = name, work, list(args), env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc, self.log_paths = None, []
        # when the current start was (monotonic), and how long after it ready() saw /readyz
        # answer 200 (ready() returns self, for tests that chain it)
        self.started = self.ready_s = None
        if start:
            self.start()

    @property
    def log_path(self):
        """The current start's log file."""
        return self.log_paths[-1]

    def start(self):
        """Starts the process (again: on the same port, with a new log file); returns self."""
        if self.alive():
            raise AssertionError(f"{self.name} is running already")
        n = len(self.log_paths)
        self.log_paths.append(os.path.join(self.work, f"{self.name}-{self.port}"
                                           + (f"-{n}" if n else "") + ".log"))
        full_env = dict(os.environ)
        full_env.update(self.env)
        # the process has the log file as its stdout and stderr: this side's copy can go
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [os.path.join(BUILD, f"closebridge-{self.name}"), "--http-bind", "127.0.0.1",
                 "--http-port", str(self.port), "--log-format", "text"] + self.args,
                stdout=log, stderr=subprocess.STDOUT, env=full_env)
        self.started, self.ready_s = time.monotonic(), None
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def is_ready(self):
        """Whether /readyz answers 200; fails (AssertionError) when the process has exited."""
        if not self.alive():
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n"
                                 + self.logs(current=True)[-4000:])
        try:
            return request("GET", self.url + "/readyz", timeout=2).status == 200
        except OSError:
            return False

    def ready(self, timeout=60):
        """Waits for /readyz, polled every 20 ms (ready_s is a measurement: chaos runs report
        it); returns self, with ready_s the seconds since this start."""
        wait_for(f"{self.name} to be ready", self.is_ready, timeout, 0.02)
        self.ready_s = time.monotonic() - self.started
        return self

    def metrics(self):
        """The text of /metrics; empty when it does not answer."""
        try:
            return request("GET", self.url + "/metrics", timeout=2).body.decode()
        except OSError:
            return ""

    def logs(self, current=False):
        """What the log says: of every start, one after the other (default), or of the current
        one."""
        out = []
        for path in self.log_paths[-1:] if current else self.log_paths:
            with open(path, "rb") as f:
                out.append(f.read().decode(errors="replace"))
        return "".join(out)

    def kill(self):
        """kill -9, and waits for the exit."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends sig; returns the exit status. Fails (AssertionError) when the process did not
        exit within timeout, after killing it."""
        if self.proc is None:
            return None
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"{self.name} did not stop within {timeout} s")
        return self.proc.returncode


class Bridge:
    """A test's own namespace on the shared broker: a unique topic prefix and consumer group,
    an instances file, and the processes started for it."""

    def __init__(self, instances, kafka_dir=None, extra_env=None):
        self.work = tempfile.mkdtemp(prefix="cbtest-", dir=os.path.join(BUILD, "tests"))
        self.prefix = f"t{uuid.uuid4().hex[:10]}."
        self.group = f"g{uuid.uuid4().hex[:10]}"
        self.kafka_dir = kafka_dir or KAFKA_DIR
        self.env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap(self.kafka_dir),
                    "CLOSEBRIDGE_TOPIC_PREFIX": self.prefix}
        self.env.update(extra_env or {})
        self.instances_file = os.path.join(self.work, "instances.json")
        with open(self.instances_file, "w") as f:
            json.dump(instances, f)
        self.services = []

    def topic(self, name):
        return self.prefix + name

    def ingest(self, *args, env=None):
        # the test's own poller group; a killed member gives its instances up after 6 s
        group_env = {"KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_HEARTBEAT_INTERVAL_MS": "1000"}
        s = Service(self.work, "ingest", ["--instances-file", self.instances_file,
                                          "--poller-group-id", self.group + "-poller"]
                    + list(args), {**self.env, **group_env, **(env or {})})
        self.services.append(s)
        return s

    def publish(self, *args, env=None):
        # A member killed with SIGKILL holds its partitions until its session times out: keep
        # that at the broker's minimum so tests that kill publish do not wait 45 s.
        group_env = {"KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_HEARTBEAT_INTERVAL_MS": "1000"}
        s = Service(self.work, "publish", ["--group-id", self.group,
                                           "--retry-schedule", "1s,1s,2s",
                                           "--allow-private-targets", "127.0.0.0/8,::1/128"]
                    + list(args),
                    {**self.env, **group_env, **(env or {})})
        self.services.append(s)
        return s

    def console(self, *args, data_dir=None, env=None):
        """A console with its index in data_dir (default: a directory of the bridge's own)."""
        data_dir = data_dir or os.path.join(self.work, f"console-{len(self.services)}")
        s = Service(self.work, "console", ["--data-dir", data_dir] + list(args),
                    {**self.env, **(env or {})})
        s.data_dir = data_dir
        self.services.append(s)
        return s

    def close(self, failed=False):
        """Stops every process; fails (AssertionError) when a sanitizer reported anything in a
        process's log, also of one killed or never stopped by the test."""
        reported = []
        for s in self.services:
            if s.alive():
                s.kill()
            logs = s.logs()
            hit = SANITIZER_REPORT.search(logs)
            paths = " + ".join(s.log_paths)
            if hit:
                reported.append(f"{paths} ({hit.group(0)})")
            if failed or hit:
                print(f"----- {paths}\n{logs}")
        if reported:
            raise AssertionError(f"sanitizer reports in {', '.join(reported)}")
        if not failed:
            shutil.rmtree(self.work, ignore_errors=True)


@contextlib.contextmanager
def bridged_with(servers, instances_of, kafka_dir=None):
    """A Bridge holding the instances instances_of(*servers) returns, as (bridge, *servers);
    servers are what the instances point at (Receivers, a FakeClose: anything with close()).
    On the way out the processes are stopped (their logs printed when the block failed) and
    every server closed, also when making the Bridge failed."""
    bridge = None
    failed = True
    try:
        bridge = Bridge(instances_of(*servers), kafka_dir=kafka_dir)
        yield (bridge, *servers)
        failed = False
    finally:
        try:
            if bridge:
                bridge.close(failed)
        finally:
            for server in servers:
                server.close()


def bridged(instances_of, kafka_dir=None):
    """A Receiver and a Bridge holding the instances instances_of(receiver.url) returns, as
    (bridge, receiver), inside bridged_with."""
    return bridged_with([Receiver()], lambda receiver: instances_of(receiver.url), kafka_dir)


def with_bridge(instances_of, kafka_dir=None):
    """Decorator: runs test(bridge, receiver) inside bridged(...)."""
    def wrap(test):
        @functools.wraps(test)
        def wrapped():
            with bridged(instances_of, kafka_dir) as (bridge, receiver):
                test(bridge, receiver)
        return wrapped
    return wrap


def verify_standard_webhooks(items):
    """Checks (secret, headers, body) items with the reference Standard Webhooks library (npm
    standardwebhooks, run by Node); returns one "ok" or "fail: ..." per item."""
    lines = "".join(json.dumps({"secret": s, "headers": h, "body": b.decode()}) + "\n"
                    for s, h, b in items)
    out = subprocess.run(["node", os.path.join(SOURCE, "tests", "integration",
                                               "verify_standardwebhooks.js")],
                         input=lines.encode(), capture_output=True, check=True, timeout=60)
    return out.stdout.decode().splitlines()


def kcat_read(broker, topic, timeout=60):
    """Every record of topic, read from the beginning with kcat (an independent client)."""
    out = subprocess.run(["kcat", "-b", broker, "-C", "-t", topic, "-o", "beginning", "-e",
                          "-q", "-J"], capture_output=True, timeout=timeout, check=True)
    records = []
    for line in out.stdout.decode().splitlines():
        rec = json.loads(line)
        hdrs = rec.get("headers") or []
        rec["headers"] = dict(zip(hdrs[0::2], hdrs[1::2]))
        records.append(rec)
    return records


def run(tests):
    """Runs tests (functions) in order, prints one line each and a closing count; exits 1 on any
    failure."""
    import sys
    import traceback
    # a test function the module defines but does not list would never run, and never fail
    main = sys.modules["__main__"]
    unlisted = sorted(name for name, f in vars(main).items()
                      if name.startswith("test_") and callable(f) and f not in tests)
    if unlisted:
        print(f"FAIL defined but not run: {', '.join(unlisted)}", flush=True)
        sys.exit(1)
    passed = failed = 0
    for test in tests:
        try:
            test()
            passed += 1
            print(f"PASS {test.__name__}", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {test.__name__}", flush=True)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def run_in_world(make_world, instances_of, tests):
    """Runs tests (as run does) in one world: a bridge with one Receiver and the instances of
    instances_of(receiver) (bridged_with), on which make_world(bridge, receiver) starts the
    processes first. The processes' logs are printed when a test failed."""
    import sys
    code = 0
    with bridged_with([Receiver()], instances_of) as (bridge, receiver):
        make_world(bridge, receiver)
        try:
            run(tests)
        except SystemExit as e:
            code = e.code
        if code:
            raise SystemExit(code)  # inside the block: the processes' logs are printed
    sys.exit(0)


def post_all(url, items, connections=8):
    """POSTs (instance id, body) items as webhooks to ingest at url on `connections` keep-alive
    connections at once; asserts each got 202 and returns their envelope ids in order."""
    import http.client
    import urllib.parse
    from concurrent.futures import ThreadPoolExecutor
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    local = threading.local()

    def one(item):
        inst, body = item
        if not hasattr(local, "c"):
            local.c = http.client.HTTPConnection(host, int(port), timeout=30)
        local.c.request("POST", f"/events/closeio/{b64id(inst)}", body,
                        {"Content-Type": "application/json"})
        r = local.c.getresponse()
        data = r.read()
        assert r.status == 202, (r.status, data)
        return json.loads(data)["ids"][0]
    with ThreadPoolExecutor(connections) as pool:
        return list(pool.map(one, items))
