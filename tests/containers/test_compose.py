"""The container stage: the image and the repository's docker-compose.yml, run for real in a
Docker engine (tests/containers/run.sh starts it, builds the image and the stand-ins).

In order, on one stack: up and healthy; the README's demo webhook through nginx, and the console
showing it delivered; three ingest and
two publish replicas under a load of distinct webhooks, each delivered once; an instance and
events parked on a retry topic surviving `down` and `up`; a publish container killed with
SIGKILL mid-backlog; `down -v` leaving nothing behind. Each prints its figures."""
import base64
import json
import os
import subprocess
import threading
import time

from harness import fixture, request, run, wait_for
from stack import (ADMIN, LB, compose, containers, docker, envelope_ids, health, inspect, load,
                   metric, received_ids, wait_received, webhook)

BASE = f"http://{LB[0]}:{LB[1]}"
DEMO_PATH = "/events/closeio/MjA5MzE="
SERVICES = ["kafka", "ingest", "ingest-lb", "publish", "console", "demo-instances", "receiver"]


def b64(instance_id):
    return base64.b64encode(str(instance_id).encode()).decode()


def test_stack_comes_up_healthy_as_uid_10001():
    size = int(inspect("closebridge:latest", "{{.Size}}"))
    start = time.monotonic()
    compose("up", "-d", "--wait", "--wait-timeout", "300")
    took = time.monotonic() - start
    for service in SERVICES:
        for name in containers(service):
            assert health(name) == "healthy", f"{name}: {health(name)}"
    for service in ("ingest", "publish", "console", "receiver"):
        name = containers(service)[0]
        pid = inspect(name, "{{.State.Pid}}")
        uid = subprocess.run(["ps", "-o", "uid=", "-p", pid], capture_output=True, text=True,
                             check=True).stdout.strip()
        assert uid == "10001", f"{name} runs as uid {uid}"
    # the receiver has no health check of its own in the compose file: this is the image's
    receiver = containers("receiver")[0]
    assert inspect(receiver, "{{json .Config.Healthcheck}}") == \
        inspect("closebridge:latest", "{{json .Config.Healthcheck}}")
    print(f"image closebridge:latest {size / 1e6:.0f} MB; up -d --wait to every service healthy "
          f"in {took:.1f} s")


def test_image_healthcheck_fails_when_nothing_answers():
    # the same image and check, pointed at a port nothing listens on, must turn unhealthy
    name = "closebridge-healthcheck-probe"
    docker("run", "-d", "--rm", "--name", name, "-e", "CLOSEBRIDGE_HTTP_PORT=9999",
           "--health-interval", "1s", "--health-retries", "1", "--health-start-period", "1s",
           "closebridge:latest", "closebridge-demo-receiver", "--http-port", "9000")
    try:
        wait_for("the probe container unhealthy", lambda: health(name) == "unhealthy", 60, 0.5)
    finally:
        docker("rm", "-f", name)


def test_demo_webhook_through_nginx_reaches_the_receiver():
    r = request("POST", BASE + DEMO_PATH, fixture("legacy_update.json"),
                {"Content-Type": "application/json"})
    assert r.status == 202, (r.status, r.body)
    env_id = json.loads(r.body)["ids"][0]
    wait_received([env_id], timeout=60)
    logs = compose("logs", "--no-log-prefix", "receiver")
    assert '"message":{"elementKey":"closeio"' in logs.split(f"webhook-id: {env_id}", 1)[1]
    # the console, behind the same nginx, says where it is and what the receiver answered
    event = BASE + f"/instances/20931/events/{env_id}"

    def delivered():
        r = request("GET", event, headers=ADMIN)
        return r.status == 200 and json.loads(r.body)["status"] == "delivered"
    wait_for("the console to show the demo event delivered", delivered, 60, 0.5)
    shown = json.loads(request("GET", event, headers=ADMIN).body)
    assert [d["status"] for d in shown["deliveries"]] == [200], shown
    assert shown["envelope"]["id"] == env_id
    # and its web page, from the console's binary, through nginx too
    page = request("GET", BASE + "/console/")
    assert page.status == 200 and b"app.js" in page.body, (page.status, page.body[:200])
    assert "script-src 'self'" in page.headers.get("Content-Security-Policy", ""), page.headers
    summary = json.loads(request("GET", BASE + "/console/api/instances", headers=ADMIN).body)
    assert "20931" in [i["id"] for i in summary], summary


def ingest_replicas_seen():
    for _ in range(30):
        request("GET", BASE + "/healthz")
    return all(metric("ingest", 8080, 'closebridge_http_requests_total{route="healthz"', i) > 0
               for i in (1, 2, 3))


def test_three_ingest_and_two_publish_deliver_every_accepted_webhook_once():
    compose("up", "-d", "--wait", "--wait-timeout", "300", "--scale", "ingest=3",
            "--scale", "publish=2")
    assert len(containers("ingest")) == 3 and len(containers("publish")) == 2
    # nginx re-resolves `ingest` every 10 s: wait until it sends to all three
    wait_for("nginx to reach the three ingest replicas", ingest_replicas_seen, 60, 0.5)
    n = 3000
    ids, others, took = load(DEMO_PATH, [webhook("scale", i) for i in range(n)])
    assert not others and len(ids) == n and len(set(ids)) == n, (len(ids), others)
    per_replica = [metric("ingest", 8080, 'closebridge_http_requests_total{route="webhook",'
                          'code="202"', i) for i in (1, 2, 3)]
    assert all(c > 0 for c in per_replica), per_replica
    on_topic = set(envelope_ids(r"closeio\.events"))
    missing = set(ids) - on_topic
    assert not missing, f"{len(missing)} acknowledged webhooks are not on closeio.events"
    wait_received(ids, timeout=180)
    seen = received_ids()
    counts = {i: 0 for i in ids}
    for i in seen:
        if i in counts:
            counts[i] += 1
    twice = {i: c for i, c in counts.items() if c != 1}
    assert not twice, f"{len(twice)} delivered other than once, e.g. {list(twice.items())[:5]}"
    print(f"{n} webhooks through nginx to 3 ingest replicas ({', '.join(map(str, map(int, per_replica)))}"
          f" each) at {n / took:.0f} requests/s; all on closeio.events; {n} delivered by 2 "
          f"publish replicas, each once")


def test_instance_and_parked_events_survive_down_and_up():
    seed = {"name": "durable", "element": {"key": "closeio"},
            "configuration": {"username": "CLOSE_KEY", "password": "",
                              "event.notification.enabled": "true",
                              "event.notification.callback.url": "http://receiver:9000/durable"}}
    r = request("POST", BASE + "/instances", json.dumps(seed).encode(), ADMIN)
    assert r.status == 200, (r.status, r.body)
    inst = r.json()["id"]
    path = f"/events/closeio/{b64(inst)}"
    # the new instance reaches every replica through closeio.instances
    wait_for("the new instance served", lambda: request(
        "POST", BASE + path, webhook("probe", 0), {"Content-Type": "application/json"}
    ).status == 202, 30, 0.2)
    compose("stop", "receiver")
    ids, others, _ = load(path, [webhook("parked", i) for i in range(50)], clients=4)
    assert not others and len(ids) == 50, others
    # parked: each failed at least once and was moved on to a retry topic
    # (a retry, or a breaker-open once the receiver failed often enough)
    moved = lambda: sum(metric("publish", 8081, f'closebridge_deliveries_total{{outcome="{o}"', i)
                        for o in ("retry", "breaker-open")
                        for i in range(1, len(containers("publish")) + 1))
    before = moved()
    wait_for("50 events moved to a retry topic", lambda: moved() - before >= 50, 60, 0.5)
    start = time.monotonic()
    compose("down", timeout=300)
    assert not compose("ps", "-a", "-q").split()
    # the broker alone first: nothing consumes the retry topics while they are read
    compose("up", "-d", "--wait", "--wait-timeout", "300", "kafka")
    parked = set(envelope_ids(r"closeio\.events\.retry\..*"))
    assert set(ids) <= parked, f"{len(set(ids) - parked)} of 50 parked events lost in down/up"
    compose("up", "-d", "--wait", "--wait-timeout", "300")
    up_again = time.monotonic() - start
    r = request("GET", f"{BASE}/instances/{inst}", headers=ADMIN)
    assert r.status == 200, f"instance {inst} lost across down/up: {r.status} {r.body}"
    assert r.json()["configuration"]["event.notification.callback.url"] == \
        "http://receiver:9000/durable"
    wait_received(ids, timeout=120)
    print(f"down and up in {up_again:.1f} s: instance {inst} still served, 50 parked events "
          f"delivered after the receiver came back")


def test_publish_killed_mid_stream_delivers_everything_after_its_restart():
    name = containers("publish")[0]
    restarts = int(inspect(name, "{{.RestartCount}}"))
    n, ids, result = 2000, [], {}
    sender = threading.Thread(target=lambda: result.update(
        zip(("ids", "others", "took"), load(DEMO_PATH, [webhook("kill", i) for i in range(n)],
                                            ids=ids))))
    sender.start()
    try:
        wait_for("half the webhooks accepted", lambda: len(ids) >= n // 2, 120, 0.01)
        # SIGKILL to the container's process, while webhooks still arrive and callbacks go out:
        # a crash, which the restart policy answers (`docker kill` is a manual stop to dockerd
        # 20.10, which the policy leaves stopped)
        os.kill(int(inspect(name, "{{.State.Pid}}")), 9)
        killed = time.monotonic()
    finally:
        sender.join()
    assert not result["others"] and len(ids) == n, result["others"]
    want = set(ids)
    wait_for("publish restarted by its restart policy", lambda: int(
        inspect(name, "{{.RestartCount}}")) > restarts and inspect(
        name, "{{.State.Running}}") == "true", 60, 0.2)
    wait_received(ids, timeout=240)
    took = time.monotonic() - killed
    seen = [i for i in received_ids() if i in want]
    print(f"publish SIGKILLed after {n // 2} of {n} webhooks were accepted; restarted by the "
          f"policy; all {n} delivered {took:.1f} s after the kill, {len(seen) - n} twice")


def test_down_v_leaves_nothing():
    compose("down", "-v", "--timeout", "30", timeout=300)
    assert not compose("ps", "-a", "-q").split()
    volumes = docker("volume", "ls", "-q", "--filter", "label=com.docker.compose.project=closebridge")
    assert not volumes.split(), volumes
    networks = docker("network", "ls", "-q", "--filter", "label=com.docker.compose.project=closebridge")
    assert not networks.split(), networks


if __name__ == "__main__":
    try:
        run([test_stack_comes_up_healthy_as_uid_10001,
             test_image_healthcheck_fails_when_nothing_answers,
             test_demo_webhook_through_nginx_reaches_the_receiver,
             test_three_ingest_and_two_publish_deliver_every_accepted_webhook_once,
             test_instance_and_parked_events_survive_down_and_up,
             test_publish_killed_mid_stream_delivers_everything_after_its_restart,
             test_down_v_leaves_nothing])
    finally:
        # whatever failed, leave no container or volume behind
        compose("down", "-v", "--timeout", "10", check=False)
