"""ingest against the real broker: every payload form, envelope ids, signatures, the instances
API across two ingest processes, and bad input of every kind."""
import functools
import hashlib
import hmac
import json
import socket
import time

from cloudevents.v1.kafka import KafkaMessage, from_structured

from harness import (JSON, b64id, bridged, bootstrap, fixture, instance, kcat_read, request,
                     run, wait_for)

INSTANCE = 20931
SIGNED = 777
SIG_KEY = "b9260244ef33625f9b4b26a27db08758cdd39478b852c73f2d33ab042eb8abb4"
ADMIN = {"Authorization": "User u-secret, Organization o-secret"}
ADMIN_ARGS = ["--admin-user-secret", "u-secret", "--admin-org-secret", "o-secret"]


def with_ingest(*args):
    def wrap(test):
        @functools.wraps(test)
        def wrapped():
            with bridged(lambda url: [instance(INSTANCE, url), instance(
                    SIGNED, url, **{"event.webhook.signature.key": SIG_KEY})]) as (bridge, _):
                ingest = bridge.ingest(*(ADMIN_ARGS + list(args))).ready()
                test(bridge, ingest)
                assert ingest.stop() == 0, "ingest exits 0 on SIGTERM"
        return wrapped
    return wrap


def post(ingest, body, instance_id=INSTANCE, headers=None, kind="closeio"):
    return request("POST", f"{ingest.url}/events/{kind}/{b64id(instance_id)}", body,
                   dict(JSON, **(headers or {})))


def cloudevents_on_topic(bridge, ids):
    """The records with these envelope ids, parsed by the CloudEvents SDK's Kafka binding."""
    def find():
        recs = {r["headers"].get("ce_id"): r
                for r in kcat_read(bootstrap(), bridge.topic("closeio.events"))}
        return recs if all(i in recs for i in ids) else None
    recs = wait_for("the envelopes on the topic", find)
    events = {}
    for i in ids:
        r = recs[i]
        msg = KafkaMessage({k: v.encode() for k, v in r["headers"].items()}, r["key"],
                           r["payload"].encode())
        events[i] = (r, from_structured(msg))
    return events


CASES = [  # fixture, type, eventType, objectType, objectId
    ("legacy_create.json", "io.close.lead.created", "CREATED", "leads",
     "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"),
    ("legacy_update.json", "io.close.lead.updated", "UPDATED", "leads",
     "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"),
    ("legacy_delete.json", "io.close.lead.deleted", "DELETED", "leads",
     "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"),
    ("legacy_merge.json", "io.close.lead.merged", "UPDATED", "leads",
     "lead_I7l6JEuaA09U5YDAbatU8STdLrTgRZMt1DQ7YzU7oPs"),
    ("modern_opportunity_updated.json", "io.close.opportunity.updated", "UPDATED",
     "opportunities", "oppo_7H4sjNso7FyBFaeR3RXi5PMJbilfo0c6UPCxsJtEhCO"),
    ("modern_lead_created.json", "io.close.lead.created", "CREATED", "leads",
     "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"),
    ("modern_lead_deleted.json", "io.close.lead.deleted", "DELETED", "leads",
     "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"),
    ("modern_lead_merged.json", "io.close.lead.merged", "UPDATED", "leads",
     "lead_I7l6JEuaA09U5YDAbatU8STdLrTgRZMt1DQ7YzU7oPs"),
]


@with_ingest()
def test_every_payload_form_becomes_a_cloudevent_on_the_topic(bridge, ingest):
    ids = {}
    for name, *_ in CASES:
        r = post(ingest, fixture(name))
        assert r.status == 202, (name, r.status, r.body)
        ids[name] = r.json()["ids"][0]
    # a modern event of another object type, built from the docs' example
    task = json.loads(fixture("modern_opportunity_updated.json"))
    task["event"].update(id="ev_task1", object_type="task.lead", action="completed",
                         object_id="task_1")
    r = post(ingest, json.dumps(task).encode())
    assert r.status == 202
    task_id = r.json()["ids"][0]

    events = cloudevents_on_topic(bridge, list(ids.values()) + [task_id])
    for name, ce_type, event_type, object_type, object_id in CASES:
        rec, ev = events[ids[name]]
        assert rec["key"] == str(INSTANCE), name
        assert rec["headers"]["content-type"].startswith("application/cloudevents+json")
        assert ev["specversion"] == "1.0" and ev["type"] == ce_type, (name, ev["type"])
        assert ev["source"] == f"/closeio/instances/{INSTANCE}"
        assert ev["subject"].endswith("/" + object_id), (name, ev["subject"])
        assert ev["instanceid"] == str(INSTANCE) and ev["origin"] == "webhook"
        assert ev["time"].endswith("Z"), ev["time"]
        assert ev.data["eventType"] == event_type, (name, ev.data["eventType"])
        assert ev.data["objectType"] == object_type and ev.data["objectId"] == object_id, name
        assert ev.data["raw"] == json.loads(fixture(name)), name
        for attr in ("type", "source", "subject", "time"):
            assert rec["headers"]["ce_" + attr] == ev[attr]
    # modern events keep Close's id; merges keep both lead ids
    assert ids["modern_opportunity_updated.json"] == \
        "ev_2sYKRjcrA79yKxi3S4Crd7_20190115124823395000"
    merged = events[ids["modern_lead_merged.json"]][1].data
    assert merged["mergeDestinationId"] == "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"
    assert events[task_id][1]["type"] == "io.close.task.lead.completed"
    assert events[task_id][1].data["objectType"] == "tasks"
    # Close's event dates have no zone: read as UTC
    assert events[ids["modern_lead_created.json"]][1]["time"] == "2019-02-01T10:00:00.000Z"


@with_ingest()
def test_the_same_event_by_webhook_retry_and_polling_has_one_id(bridge, ingest):
    update = fixture("legacy_update.json")
    first = post(ingest, update).json()["ids"][0]
    again = post(ingest, update).json()["ids"][0]
    assert first == again
    lead = json.loads(update)["data"]
    polled = {"instance_id": INSTANCE, "objectType": "accounts",
              "accounts": [lead, dict(lead, id="lead_other",
                                      date_created=lead["date_updated"])]}
    r = post(ingest, json.dumps(polled).encode(), headers=ADMIN, kind="closeioPolling")
    assert r.status == 202, r.body
    assert r.json()["accepted"] == 2
    by_polling, other = r.json()["ids"]
    assert by_polling == first
    events = cloudevents_on_topic(bridge, [first, other])
    _, ev = events[other]
    assert ev["origin"] == "polling" and ev.data["eventType"] == "CREATED"
    # the resource as pushed, as Cloud Elements' own poller named it (webhooks: CASES above)
    assert ev.data["objectType"] == "accounts", ev.data
    assert ev.data["raw"] == {"objectType": "accounts", "accounts": [polled["accounts"][1]]}
    # a modern event sent twice (Close retrying) keeps its id too
    m1 = fixture("modern_lead_created.json")
    assert post(ingest, m1).json()["ids"] == post(ingest, m1).json()["ids"]
    # an event id with characters JSON escapes comes back intact in the 202 body
    odd = json.loads(m1)
    odd["event"]["id"] = 'ev_"quoted"\\back\u0001slash'
    r = post(ingest, json.dumps(odd).encode())
    assert r.status == 202, r.body
    (odd_id,) = r.json()["ids"]
    assert odd_id.startswith(odd["event"]["id"] + "_"), odd_id
    _, ev = cloudevents_on_topic(bridge, [odd_id])[odd_id]
    assert ev["id"] == odd_id


def close_signature(timestamp, body):
    return hmac.new(bytes.fromhex(SIG_KEY), str(timestamp).encode() + body,
                    hashlib.sha256).hexdigest()


@with_ingest()
def test_signed_instances_need_a_valid_close_signature(bridge, ingest):
    body = fixture("modern_lead_created.json")
    now = int(time.time())
    good = {"close-sig-timestamp": str(now), "close-sig-hash": close_signature(now, body)}
    assert post(ingest, body, SIGNED, good).status == 202
    assert post(ingest, body, SIGNED).status == 401
    tampered = body.replace(b"churros", b"CHURROS")
    r = post(ingest, tampered, SIGNED, good)
    assert r.status == 401 and "does not match" in r.json()["error"]["message"], r.body
    old = now - 3600
    stale = {"close-sig-timestamp": str(old), "close-sig-hash": close_signature(old, body)}
    assert post(ingest, body, SIGNED, stale).status == 401
    # header names are case-insensitive
    upper = {"CLOSE-SIG-TIMESTAMP": str(now), "Close-Sig-Hash": close_signature(now, body)}
    assert post(ingest, body, SIGNED, upper).status == 202
    # an instance without a key takes unsigned webhooks
    assert post(ingest, body).status == 202


@with_ingest()
def test_instances_api_creates_changes_and_deletes_across_replicas(bridge, ingest):
    other = bridge.ingest(*ADMIN_ARGS).ready()
    url = ingest.url + "/instances"
    seed = {"element": {"key": "closeio"}, "name": "acme", "tags": ["acme"],
            "configuration": {"username": "CLOSE_KEY", "password": "CLOSE_PASSWORD",
                              "event.notification.enabled": "true",
                              "event.notification.callback.url": "http://127.0.0.1:9/cb"}}

    assert request("POST", url, json.dumps(seed).encode()).status == 401
    assert request("POST", url, json.dumps(seed).encode(),
                   {"Authorization": "User u-secret, Organization wrong"}).status == 401
    r = request("POST", url, json.dumps({"element": {"key": "closeio"}}).encode(), ADMIN)
    assert r.status == 400
    msg = r.json()["error"]["message"]
    assert "name" in msg and "configuration" in msg, msg

    r = request("POST", ingest.url + "/elements/api-v2/instances", json.dumps(seed).encode(),
                ADMIN)
    assert r.status == 200, r.body
    created = r.json()
    new_id = created["id"]
    assert created["token"] and created["element"]["key"] == "closeio"
    assert created["eventsEnabled"] is True
    assert created["configuration"]["username"] == "********"
    assert created["configuration"]["password"] == "********"
    secret = created["configuration"]["event.notification.secret"]
    assert secret.startswith("whsec_") and len(secret) > 30

    # the other replica, started separately, serves the new instance
    webhook = fixture("legacy_update.json")
    wait_for("the other replica to accept the new instance",
             lambda: post(other, webhook, new_id).status == 202, timeout=5)
    shown = request("GET", f"{other.url}/instances/{new_id}", headers=ADMIN).json()
    assert shown["configuration"]["event.notification.secret"] == "********"
    assert "token" not in shown and shown["name"] == "acme"
    listed = request("GET", url, headers=ADMIN).json()
    assert [i["id"] for i in listed] == sorted(i["id"] for i in listed)
    assert new_id in [i["id"] for i in listed] and INSTANCE in [i["id"] for i in listed]

    # ids are unique across replicas without a coordinator
    r2 = request("POST", other.url + "/instances", json.dumps(seed).encode(), ADMIN)
    assert r2.status == 200, (r2.status, r2.body)
    assert r2.json()["id"] != new_id

    r = request("PATCH", f"{url}/{new_id}", json.dumps(
        {"configuration": {"event.notification.callback.url": "http://127.0.0.1:10/new"}}
    ).encode(), ADMIN)
    assert r.status == 200, r.body
    assert r.json()["configuration"]["event.notification.callback.url"] == \
        "http://127.0.0.1:10/new"
    assert request("PATCH", f"{url}/{new_id}", b'{"configuration": 5}', ADMIN).status == 400
    assert request("PATCH", f"{url}/99999999", b'{}', ADMIN).status == 404

    assert request("DELETE", f"{url}/{new_id}", headers=ADMIN).status == 200
    assert request("GET", f"{url}/{new_id}", headers=ADMIN).status == 404
    assert post(ingest, webhook, new_id).status == 404
    wait_for("the other replica to drop it", lambda: post(other, webhook, new_id).status == 404,
             timeout=5)
    assert request("PUT", url, b"{}", ADMIN).status == 405
    assert other.stop() == 0


def raw_http(port, data, read=True, timeout=10):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if not read:
            return b""
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)


@with_ingest("--max-body-bytes", "4096", "--http-idle-timeout-s", "2")
def test_bad_input_gets_the_right_status_and_the_service_keeps_serving(bridge, ingest):
    good = fixture("legacy_update.json")
    cases = [
        (b'{"model": "lead", "event": "upd', JSON, 400, "malformed"),
        (b'{"model": "lead"} trailing', JSON, 400, "malformed JSON"),
        (b'[1, 2, 3]', JSON, 400, "JSON object"),
        (b'"just a string"', JSON, 400, "JSON object"),
        (b'{"hello": "world"}', JSON, 400, "unknown payload shape"),
        (b'{"model": "lead", "event": "update", "data": {}}', JSON, 400, "data.id"),
        (b'', JSON, 400, "empty"),
        (good, {"Content-Type": "text/plain"}, 415, "JSON"),
        (good, {"Content-Type": "application/x-www-form-urlencoded"}, 415, "JSON"),
        (b'x' * 5000, JSON, 413, "over the limit"),
    ]
    for body, headers, status, words in cases:
        r = request("POST", f"{ingest.url}/events/closeio/{b64id(INSTANCE)}", body, headers)
        assert r.status == status, (body[:40], r.status, r.body)
        err = r.json()["error"]
        assert err["status"] == status and words in err["message"], (body[:40], err)
    for path, status in [(f"/events/closeio/{b64id(424242)}", 404),
                         ("/events/closeio/%%%", 404), ("/events/closeio/", 404),
                         (f"/events/closeio/{b64id(INSTANCE)}/extra", 404),
                         ("/events/closeio/MDEy", 404), ("/nowhere", 404)]:
        assert request("POST", ingest.url + path, good, JSON).status == status, path
    assert request("GET", f"{ingest.url}/events/closeio/{b64id(INSTANCE)}").status == 405
    assert request("DELETE", f"{ingest.url}/events/closeio/{b64id(INSTANCE)}").status == 405

    # a chunked body over the limit, without Content-Length
    chunk = b"x" * 3000
    raw = (f"POST /events/closeio/{b64id(INSTANCE)} HTTP/1.1\r\nHost: x\r\n"
           "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
           "Connection: close\r\n\r\n").encode()
    raw += b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    answer = raw_http(ingest.port, raw)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]

    # a client that sends half a request and stalls neither blocks others nor stays forever
    with socket.create_connection(("127.0.0.1", ingest.port)) as slow:
        slow.sendall(b"POST /events/closeio/MjA5MzE= HTTP/1.1\r\nHost: x\r\nContent-Len")
        for _ in range(5):
            assert post(ingest, good).status == 202
        slow.settimeout(10)
        started = time.monotonic()
        assert slow.recv(100) == b"", "the idle connection is closed"
        assert time.monotonic() - started < 9

    # garbage that is not HTTP at all
    raw_http(ingest.port, b"\x00\x01\x02 nonsense\r\n\r\n")
    assert post(ingest, good).status == 202
    assert request("GET", ingest.url + "/healthz").status == 200


if __name__ == "__main__":
    run([test_every_payload_form_becomes_a_cloudevent_on_the_topic,
         test_the_same_event_by_webhook_retry_and_polling_has_one_id,
         test_signed_instances_need_a_valid_close_signature,
         test_instances_api_creates_changes_and_deletes_across_replicas,
         test_bad_input_gets_the_right_status_and_the_service_keeps_serving])
