"""The compose stack of the repository, driven as a user drives it: `docker compose` on the
repository's own docker-compose.yml (unmodified, with the demo profile), HTTP through nginx on
port 8080, Kafka read with the broker image's own console consumer.

Environment: CB_SOURCE_DIR (the repository), CB_BUILD_DIR (unused here, required by harness).
Every wait polls a condition until a deadline; nothing sleeps to synchronise.
"""
import http.client
import json
import os
import re
import subprocess
import threading
import time

from harness import SOURCE, fixture, wait_for

PROJECT = "closebridge"
LB = ("127.0.0.1", 8080)
ADMIN_USER, ADMIN_ORG = "containers-user-secret", "containers-org-secret"
ADMIN = {"Authorization": f"User {ADMIN_USER}, Organization {ADMIN_ORG}",
         "Content-Type": "application/json"}
# Short enough that parked events come back within the test, long enough (about 140 s of
# failures) that none is dead-lettered while the stack is down and up again.
RETRY_SCHEDULE = "2s,20s,20s,20s,20s,20s,20s,20s"


def env():
    e = dict(os.environ)
    e.update(CLOSEBRIDGE_ADMIN_USER_SECRET=ADMIN_USER, CLOSEBRIDGE_ADMIN_ORG_SECRET=ADMIN_ORG,
             CLOSEBRIDGE_RETRY_SCHEDULE=RETRY_SCHEDULE)
    return e


def compose(*args, timeout=600, check=True):
    """Runs `docker compose --profile demo ARGS` in the repository; returns its stdout."""
    cmd = ["docker", "compose", "--project-directory", SOURCE, "--profile", "demo", *args]
    p = subprocess.run(cmd, cwd=SOURCE, env=env(), capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd[2:])} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p.stdout


def docker(*args, timeout=120):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True,
                          timeout=timeout).stdout


def containers(service):
    """Names of the running containers of service, by replica number."""
    out = compose("ps", "--format", "{{.Name}}", service)
    return sorted(out.split(), key=lambda n: int(n.rsplit("-", 1)[1]))


def inspect(name, fmt):
    return docker("inspect", "-f", fmt, name).strip()


def health(name):
    return inspect(name, "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}")


def exec_in(service, *cmd, index=1, timeout=120):
    return compose("exec", "-T", "--index", str(index), service, *cmd, timeout=timeout)


def metric(service, port, name, index=1):
    """The sum of every sample of metric name on replica index (0 when absent)."""
    text = exec_in(service, "curl", "-fsS", f"http://127.0.0.1:{port}/metrics", index=index)
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"([a-z_]+)(\{[^}]*\})? (\S+)$", line)
        if m and (m.group(1) + (m.group(2) or "")).startswith(name):
            total += float(m.group(3))
    return total


def topic_values(topics, timeout_ms=10000):
    """Every record value of the topics (a regular expression) from the beginning, read inside
    the kafka container with the broker image's console consumer, which stops timeout_ms after
    the last record: so only of topics nothing writes to for that long."""
    out = exec_in("kafka", "/opt/kafka/bin/kafka-console-consumer.sh", "--bootstrap-server",
                  "localhost:9092", "--include", topics, "--from-beginning", "--timeout-ms",
                  str(timeout_ms), timeout=300)
    return [line for line in out.splitlines() if line.strip()]


def envelope_ids(topics):
    return [json.loads(v)["id"] for v in topic_values(topics) if v.startswith("{")]


def received_ids():
    """webhook-id of every callback the demo receiver printed, in order (with repeats)."""
    out = compose("logs", "--no-log-prefix", "receiver", timeout=120)
    return re.findall(r"^webhook-id: (\S+)$", out, re.M)


def wait_received(ids, timeout):
    want = set(ids)
    return wait_for(f"{len(want)} callbacks at the receiver",
                    lambda: want <= set(received_ids()), timeout=timeout, interval=1.0)


def webhook(tag, i):
    """A distinct legacy Close webhook (its own lead id and date): its own envelope id."""
    body = json.loads(fixture("legacy_update.json"))
    body["data"]["id"] = f"lead_{tag}{i:06d}"
    body["data"]["date_updated"] = f"2026-11-{1 + i % 28:02d}T10:{i // 60 % 60:02d}:{i % 60:02d}" \
                                   f".{i % 1000:03d}000+00:00"
    return json.dumps(body).encode()


def post(conn, path, body, headers=None):
    conn.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})
    r = conn.getresponse()
    return r.status, r.read()


def load(path, bodies, clients=32, ids=None):
    """POSTs every body to path through nginx from clients keep-alive connections. Returns
    (envelope ids of the 202s, {status: count} of the rest, seconds taken). The ids go into
    the list ids when given, as they come (another thread may watch it grow)."""
    lock = threading.Lock()
    ids, others = [] if ids is None else ids, {}
    todo = list(enumerate(bodies))

    def client():
        conn = http.client.HTTPConnection(*LB, timeout=60)
        try:
            while True:
                with lock:
                    if not todo:
                        return
                    _, body = todo.pop()
                status, answer = post(conn, path, body)
                with lock:
                    if status == 202:
                        ids.extend(json.loads(answer)["ids"])
                    else:
                        others[status] = others.get(status, 0) + 1
        finally:
            conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ids, others, time.monotonic() - start
