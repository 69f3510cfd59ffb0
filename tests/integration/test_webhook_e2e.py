"""End to end: a Close webhook into ingest, the envelope on Kafka (read back with kcat), and
the callback delivered by publish to a receiver on loopback, exactly once."""
import json
import signal

from harness import (b64id, with_bridge, bootstrap, fixture, request, instance, kcat_read, run,
                     wait_for)

INSTANCE = 20931


def post_webhook(ingest, payload, path_id=None, prefix=""):
    return request("POST", f"{ingest.url}{prefix}/events/closeio/{path_id or b64id(INSTANCE)}",
                payload, {"Content-Type": "application/json"})


def envelope_records(bridge, event_id):
    return [r for r in kcat_read(bootstrap(), bridge.topic("closeio.events"))
            if r["headers"].get("ce_id") == event_id]


def one_instance(url):
    return [instance(INSTANCE, url)]


@with_bridge(one_instance)
def test_legacy_webhook_reaches_kafka_and_the_callback_once(bridge, receiver):
    ingest = bridge.ingest().ready()
    publish = bridge.publish().ready()
    payload = fixture("legacy_update.json")

    r = post_webhook(ingest, payload)
    assert r.status == 202, (r.status, r.body)
    event_id = r.json()["ids"][0]

    # On Kafka, read by an independent client: key, ce_ headers and body.
    records = wait_for("the envelope on closeio.events", lambda: envelope_records(bridge, event_id))
    assert len(records) == 1, records
    rec = records[0]
    assert rec["key"] == str(INSTANCE)
    h = rec["headers"]
    assert h["content-type"] == "application/cloudevents+json; charset=UTF-8"
    assert h["ce_specversion"] == "1.0"
    assert h["ce_type"] == "io.close.lead.updated"
    assert h["ce_source"] == f"/closeio/instances/{INSTANCE}"
    assert h["ce_subject"] == "lead/lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"
    assert h["ce_time"] == "2017-05-18T21:55:26.451Z"
    assert h["ce_instanceid"] == str(INSTANCE)
    assert h["ce_origin"] == "webhook"
    env = json.loads(rec["payload"])
    assert env["specversion"] == "1.0" and env["id"] == event_id
    assert env["type"] == h["ce_type"] and env["time"] == h["ce_time"]
    assert env["data"]["eventType"] == "UPDATED"
    assert env["data"]["objectType"] == "leads"
    assert env["data"]["objectId"] == "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"
    assert env["data"]["raw"] == json.loads(payload)

    # At the receiver: the Cloud Elements message with that event.
    wait_for("the callback", lambda: receiver.delivered(event_id))
    # A second event on the same instance (same partition, delivered in order) is the barrier
    # after which a duplicate of the first would have shown up.
    barrier = post_webhook(ingest, fixture("legacy_delete.json")).json()["ids"][0]
    wait_for("the barrier callback", lambda: receiver.delivered(barrier))
    calls = receiver.attempts(event_id)
    assert len(calls) == 1, calls
    msg = json.loads(calls[0]["body"])["message"]
    assert calls[0]["headers"]["Content-Type"] == "application/json"
    assert msg["eventId"] == event_id and msg["instanceId"] == INSTANCE
    assert msg["events"][0]["eventType"] == "UPDATED"
    assert msg["raw"] == json.loads(payload)
    assert publish.stop() == 0
    assert ingest.stop() == 0


@with_bridge(one_instance)
def test_every_instance_id_form_and_bad_input_get_the_right_status(bridge, receiver):
    ingest = bridge.ingest().ready()
    payload = fixture("legacy_create.json")
    for path_id, prefix in [(b64id(INSTANCE), ""), (b64id(INSTANCE, padded=False), ""),
                            (b64id(INSTANCE, urlsafe=True, padded=False), ""),
                            (b64id(INSTANCE), "/elements/api-v2")]:
        r = post_webhook(ingest, payload, path_id, prefix)
        assert r.status == 202, (path_id, prefix, r.status, r.body)
    assert post_webhook(ingest, payload, b64id(424242)).status == 404
    assert post_webhook(ingest, payload, "not*base64").status == 404
    r = post_webhook(ingest, b'{"model": "lead", "event": ')
    assert r.status == 400 and "malformed JSON" in r.json()["error"]["message"], r.body
    assert post_webhook(ingest, b'{"hello": "world"}').status == 400
    assert request("GET", f"{ingest.url}/events/closeio/{b64id(INSTANCE)}").status == 405
    assert request("POST", f"{ingest.url}/events/closeio/{b64id(INSTANCE)}", payload,
                {"Content-Type": "text/plain"}).status == 415
    assert request("GET", f"{ingest.url}/nowhere").status == 404
    # still serving after all of it
    assert post_webhook(ingest, payload).status == 202
    assert ingest.stop() == 0


@with_bridge(one_instance)
def test_an_event_killed_mid_failure_is_still_delivered(bridge, receiver):
    ingest = bridge.ingest().ready()
    publish = bridge.publish().ready()
    failing = {"now": True}  # set before the event exists, so its first attempt fails too
    receiver.plan = lambda event_id, attempt, path: 500 if failing["now"] else 200

    first = post_webhook(ingest, fixture("legacy_create.json")).json()["ids"][0]
    wait_for("failed attempts", lambda: len(receiver.attempts(first)) >= 2)
    # Killed while the event has only failed: no offset may have passed it without it being
    # safely on a retry topic, so it is delivered after the restart (at least once).
    publish.stop(signal.SIGKILL)
    failing["now"] = False
    publish = bridge.publish().ready()
    wait_for("delivery after restart", lambda: receiver.delivered(first))
    assert publish.stop() == 0
    assert ingest.stop() == 0


@with_bridge(one_instance)
def test_a_graceful_restart_does_not_deliver_again(bridge, receiver):
    ingest = bridge.ingest().ready()
    publish = bridge.publish().ready()
    first = post_webhook(ingest, fixture("legacy_create.json")).json()["ids"][0]
    wait_for("the delivery", lambda: receiver.delivered(first))
    assert publish.stop() == 0  # drains and commits
    publish = bridge.publish().ready()
    barrier = post_webhook(ingest, fixture("legacy_delete.json")).json()["ids"][0]
    wait_for("the barrier callback", lambda: receiver.delivered(barrier))
    assert len(receiver.attempts(first)) == 1, receiver.attempts(first)
    assert publish.stop() == 0
    assert ingest.stop() == 0


if __name__ == "__main__":
    run([test_legacy_webhook_reaches_kafka_and_the_callback_once,
         test_every_instance_id_form_and_bad_input_get_the_right_status,
         test_an_event_killed_mid_failure_is_still_delivered,
         test_a_graceful_restart_does_not_deliver_again])
