"""Operations: /metrics parsed by an independent Prometheus parser with counters that move,
/readyz following Kafka's reachability, and SIGTERM under load for both processes. Uses a broker
of its own for the readiness test, which stops it."""
import contextlib
import http.client
import json
import os
import subprocess
import threading

from prometheus_client.parser import text_string_to_metric_families

from harness import (BUILD, JSON, b64id, bridged, bootstrap, fixture, instance, kafka_sh,
                     kcat_read, request, run, wait_for)



def metrics(service):
    """{(name, frozenset(labels)): value} of the service's /metrics, parsed by prometheus_client."""
    text = request("GET", service.url + "/metrics").body.decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(m, name, **labels):
    return m.get((name, frozenset(labels.items())), 0)


def modern(n):
    event = json.loads(fixture("modern_lead_created.json"))
    event["event"].update(id=f"ev_ops{n:06d}", object_id=f"lead_ops{n}")
    return json.dumps(event).encode()


def test_metrics_parse_and_their_counters_move():
    with bridged(lambda url: [instance(5, url)]) as (bridge, receiver):
        ingest = bridge.ingest().ready()
        publish = bridge.publish().ready()
        i0, p0 = metrics(ingest), metrics(publish)
        ids = [request("POST", f"{ingest.url}/events/closeio/{b64id(5)}", modern(n), JSON)
               .json()["ids"][0] for n in range(3)]
        request("POST", f"{ingest.url}/events/closeio/{b64id(5)}", b"{", JSON)
        wait_for("the deliveries", lambda: all(receiver.delivered(i) for i in ids))
        wait_for("publish's counters", lambda: value(metrics(publish),
                 "closebridge_deliveries_total", outcome="delivered") >= 3)
        i1, p1 = metrics(ingest), metrics(publish)

        def moved(before, after, name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        assert moved(i0, i1, "closebridge_http_requests_total", route="webhook", code="202") == 3
        assert moved(i0, i1, "closebridge_http_requests_total", route="webhook", code="400") == 1
        assert moved(i0, i1, "closebridge_envelopes_total", result="acknowledged") == 3
        assert moved(i0, i1, "closebridge_produce_ack_seconds_count") == 3
        assert value(i1, "closebridge_produce_ack_seconds_bucket", le="+Inf") >= 3
        assert moved(p0, p1, "closebridge_deliveries_total", outcome="delivered") == 3
        assert moved(p0, p1, "closebridge_delivery_attempts_total", result="2xx") == 3
        assert moved(p0, p1, "closebridge_delivery_duration_seconds_count") == 3
        assert ("closebridge_circuit_breakers_open", frozenset()) in p1
        # consumer lag per partition, from librdkafka's statistics (each second, once committed)
        lag = wait_for("publish's consumer lag", lambda: [
            (k, v) for k, v in metrics(publish).items()
            if k[0] == "closebridge_consumer_lag" and ("client", "closebridge-publish") in k[1]])
        assert all(v >= 0 for _, v in lag), lag
        assert ingest.stop() == 0 and publish.stop() == 0


KAFKA_DIR = os.path.join(BUILD, "kafka-ops")


def kafka(cmd):
    kafka_sh(cmd, KAFKA_DIR)


def readyz(service):
    try:
        return request("GET", service.url + "/readyz", timeout=5).status
    except OSError:
        return None


@contextlib.contextmanager
def stopping_kafka():
    """Stops this module's own broker on the way out."""
    try:
        yield
    finally:
        kafka("stop")


def test_readyz_follows_kafka():
    subprocess.run(["rm", "-rf", KAFKA_DIR], check=True)
    kafka("start")
    with stopping_kafka(), \
            bridged(lambda url: [instance(6, url)], kafka_dir=KAFKA_DIR) as (bridge, _):
        kafka("stop")
        # started without a broker: alive, not ready, and says why
        publish = bridge.publish()
        wait_for("publish's health server", lambda: readyz(publish) == 503)
        assert request("GET", publish.url + "/healthz").status == 200
        assert b"Kafka" in request("GET", publish.url + "/readyz").body
        kafka("start")
        wait_for("publish ready once the broker is up", lambda: readyz(publish) == 200,
                 timeout=60)
        ingest = bridge.ingest().ready()
        kafka("stop")
        wait_for("both not ready while the broker is down",
                 lambda: readyz(ingest) == 503 and readyz(publish) == 503)
        kafka("start")
        wait_for("both ready again", lambda: readyz(ingest) == 200 and readyz(publish) == 200,
                 timeout=60)
        assert ingest.stop() == 0 and publish.stop() == 0


def test_sigterm_under_load_loses_nothing_and_delivers_nothing_twice():
    with bridged(lambda url: [instance(7, url)]) as (bridge, receiver):
        receiver.gate = lambda event_id, path: threading.Event().wait(0.005)
        ingest = bridge.ingest().ready()
        publish = bridge.publish().ready()
        accepted, other, stop, lock = [], [], threading.Event(), threading.Lock()
        counter = iter(range(10 ** 6))

        def load():
            # records what came back; the main thread asserts (an assert here would only end
            # this thread)
            while not stop.is_set():
                with lock:
                    n = next(counter)
                try:
                    r = request("POST", f"{ingest.url}/events/closeio/{b64id(7)}", modern(n),
                                JSON, timeout=30)
                    with lock:
                        if r.status == 202:
                            accepted.append(r.json()["ids"][0])
                        else:
                            other.append(r.status)
                except OSError:
                    pass  # refused once ingest stopped listening
                except Exception as e:  # noqa: BLE001 - reported by the main thread
                    with lock:
                        other.append(repr(e))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        wait_for("load under way", lambda: len(accepted) >= 100 and len(receiver.requests) >= 20)
        # publish stops mid-delivery: attempts in flight finish, what is final is committed
        assert publish.stop() == 0
        # ingest stops mid-load: whatever got a 202 is on the topic
        assert ingest.stop() == 0
        stop.set()
        for t in threads:
            t.join()
        assert set(other) <= {503}, f"answers other than 202 and 503: {set(other)}"
        on_topic = {r["headers"].get("ce_id") for r in
                    kcat_read(bootstrap(), bridge.topic("closeio.events"))}
        missing = set(accepted) - on_topic
        assert not missing, f"{len(missing)} accepted envelopes missing from the topic"
        before = [r["id"] for r in receiver.requests if r["status"] == 200]
        publish = bridge.publish().ready()
        wait_for("every accepted event delivered",
                 lambda: all(receiver.delivered(i) for i in accepted), timeout=90)
        delivered = [r["id"] for r in receiver.requests if r["status"] == 200]
        again = len(delivered) - len(set(delivered))
        print(f"SIGTERM under load: {len(accepted)} accepted, all on the topic; "
              f"{len(set(before))} delivered before the restart, {again} delivered twice")
        assert again == 0, f"{again} events delivered twice after a graceful stop"
        assert publish.stop() == 0


def test_sigterm_with_keep_alive_clients_answers_every_request_and_exits_0():
    """Clients that keep their connection open go on sending after ingest stopped listening.
    Each request still gets an answer (202 stored, or 503 with Retry-After and the connection
    closed), none is left waiting, and ingest exits 0 rather than aborting in libmicrohttpd with
    connections still suspended."""
    with bridged(lambda url: [instance(7, url)]) as (bridge, _):
        ingest = bridge.ingest().ready()
        port = int(ingest.url.rsplit(":", 1)[1])
        accepted, answers, stop, lock = [], [], threading.Event(), threading.Lock()
        counter = iter(range(10 ** 6))

        def load():
            conn = None
            while not stop.is_set():
                with lock:
                    n = next(counter)
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("POST", f"/events/closeio/{b64id(7)}", modern(n), JSON)
                    r = conn.getresponse()
                    body = r.read()
                except OSError:
                    # refused once ingest stopped listening, or the connection it closed
                    if conn is not None:
                        conn.close()
                    conn = None
                    if stop.wait(0.01):
                        break
                    continue
                with lock:
                    answers.append((r.status, r.getheader("Retry-After"),
                                    r.getheader("Connection")))
                    if r.status == 202:
                        accepted.append(json.loads(body)["ids"][0])
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            if conn is not None:
                conn.close()

        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        wait_for("load under way", lambda: len(accepted) >= 200)
        code = ingest.stop(timeout=30)
        stop.set()
        for t in threads:
            t.join()
        assert code == 0, f"ingest exited {code} on SIGTERM: {ingest.logs()[-2000:]}"
        statuses = {status for status, _, _ in answers}
        assert statuses <= {202, 503}, f"answers other than 202 and 503: {statuses}"
        for status, retry_after, connection in answers:
            if status == 503:
                assert retry_after and connection and connection.lower() == "close"
        on_topic = {r["headers"].get("ce_id") for r in
                    kcat_read(bootstrap(), bridge.topic("closeio.events"))}
        missing = set(accepted) - on_topic
        assert not missing, f"{len(missing)} accepted envelopes missing from the topic"
        print(f"SIGTERM with keep-alive clients: {len(accepted)} accepted, all on the topic; "
              f"{sum(1 for a in answers if a[0] == 503)} answered 503 while stopping")


if __name__ == "__main__":
    run([test_metrics_parse_and_their_counters_move,
         test_readyz_follows_kafka,
         test_sigterm_under_load_loses_nothing_and_delivers_nothing_twice,
         test_sigterm_with_keep_alive_clients_answers_every_request_and_exits_0])
