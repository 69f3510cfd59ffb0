"""Size limits (docs/limits.md): every body ingest takes by size fits every topic its event
travels through, and an event no topic can take gets 413, never a 503 that Close would retry
for 72 hours."""
import contextlib
import json
import socket

from fake_close import FakeClose
from harness import (b64id, bootstrap, bridged, bridged_with, fixture, instance, kcat_read,
                     request, run, wait_for)
from test_poller import event, polling_instance

INSTANCE = 31337
LIMIT = 1048576  # ingest's default --max-body-bytes


def one_instance(url):
    return [instance(INSTANCE, url)]


def legacy_body(size):
    """A legacy create webhook of exactly size bytes (its description padded), with text that
    JSON escapes, so an envelope that re-encoded it would differ."""
    event = json.loads(fixture("legacy_create.json"))
    tail = 'ü "quoted" \\ tab\t'
    event["data"]["description"] = tail
    pad = size - len(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode())
    assert pad > 0
    event["data"]["description"] = "x" * pad + tail
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(body) == size, len(body)
    return body


def post(ingest, body):
    return request("POST", f"{ingest.url}/events/closeio/{b64id(INSTANCE)}", body,
                   {"Content-Type": "application/json"}, timeout=60)


def post_over_limit(ingest, body):
    """The status ingest answers to body, which is over its limit: ingest may answer as soon as
    it reads Content-Length and close while the body is still being sent."""
    host, port = ingest.url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(f"POST /events/closeio/{b64id(INSTANCE)} HTTP/1.1\r\nHost: x\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                  .encode())
        try:
            s.sendall(body)
        except OSError:
            pass  # closed early, after the answer
        answer = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def test_the_largest_body_the_limit_allows_is_accepted_delivered_and_intact():
    with bridged(one_instance) as (bridge, receiver):
        # the first attempt fails, so the event also travels through a retry topic
        receiver.plan = lambda event_id, attempt, path: 500 if attempt == 1 else 200
        ingest = bridge.ingest().ready()
        publish = bridge.publish().ready()
        body = legacy_body(LIMIT)
        r = post(ingest, body)
        assert r.status == 202, (r.status, r.body)
        event_id = r.json()["ids"][0]
        assert post_over_limit(ingest, body + b" ") == 413  # one byte over

        delivered = wait_for("the large event delivered",
                             lambda: receiver.delivered(event_id), timeout=60)
        assert len(receiver.attempts(event_id)) == 2, receiver.attempts(event_id)
        msg = json.loads(delivered[0]["body"])["message"]
        assert msg["raw"] == json.loads(body)
        # on closeio.events the body is there byte for byte
        recs = [rec for rec in kcat_read(bootstrap(), bridge.topic("closeio.events"))
                if rec["headers"].get("ce_id") == event_id]
        assert len(recs) == 1
        assert body.decode() in recs[0]["payload"]
        assert "Message size too large" not in ingest.logs() + publish.logs()
        assert publish.stop() == 0 and ingest.stop() == 0


def test_topics_that_take_less_than_the_limit_get_413_and_a_warning_never_503():
    with bridged(one_instance) as (bridge, receiver):
        # publish comes first and makes closeio.events with room for 300,000-byte records
        publish = bridge.publish("--topic-max-message-bytes", "300000").ready()
        ingest = bridge.ingest().ready()
        assert "webhooks over about" in ingest.logs(), ingest.logs()
        record_max = 300000 - 16384

        small = post(ingest, legacy_body(200000))
        assert small.status == 202, (small.status, small.body)
        # under the body limit ingest lowered to what the topic takes, but its envelope is not
        near = post(ingest, legacy_body(record_max - 100))
        assert near.status == 413, (near.status, near.body)
        assert "envelope" in near.json()["error"]["message"], near.body
        assert post_over_limit(ingest, legacy_body(record_max + 1)) == 413

        event_id = small.json()["ids"][0]
        wait_for("the event that fits delivered", lambda: receiver.delivered(event_id))
        assert publish.stop() == 0 and ingest.stop() == 0


def test_a_polled_event_too_large_for_the_topics_goes_without_its_body():
    """The poller has no client to answer 413 to: an Event Log entry whose envelope the topics
    cannot take is published without data.raw (not lost, not retried for ever), and the
    entries after it as they are."""
    with bridged_with([FakeClose(["K1"])],
                      lambda fake: [polling_instance(101, fake.base, "K1")]) as (bridge, fake):
        bridge.publish("--topic-max-message-bytes", "300000").ready().stop()
        big = event(1)
        big["data"]["description"] = "x" * 400000
        fake.add("K1", event(0))
        fake.add("K1", big)
        fake.add("K1", event(2))
        ingest = bridge.ingest("--poll-overlap-s", "3").ready()

        def polled():
            recs = [r for r in kcat_read(bootstrap(), bridge.topic("closeio.events"))
                    if r["headers"].get("ce_origin") == "polling"]
            return recs if len(recs) >= 3 else None
        recs = wait_for("the three polled events", polled, timeout=60)
        assert len(recs) == 3, [r["headers"]["ce_id"] for r in recs]
        data = [json.loads(r["payload"])["data"] for r in recs]
        raws = {d["objectId"]: d["raw"] for d in data}
        assert raws["lead_1"] is None
        assert raws["lead_0"] is not None and raws["lead_2"] is not None
        assert "published without data.raw" in ingest.logs()
        assert ingest.stop() == 0


if __name__ == "__main__":
    run([test_the_largest_body_the_limit_allows_is_accepted_delivered_and_intact,
         test_topics_that_take_less_than_the_limit_get_413_and_a_warning_never_503,
         test_a_polled_event_too_large_for_the_topics_goes_without_its_body])
