"""closebridge-console against the real broker, ingest, publish and receivers on loopback: each
event's state as it moves (delivered, retried then delivered, dead after the ladder, 410,
skipped), its attempts and envelope, the filters and pages of the events API, tenant tokens,
bad parameters, and an index rebuilt from Kafka after its database is deleted."""
import http.client
import json
import os
import shutil
import sqlite3
import time

from harness import (JSON, b64id, bootstrap, fixture, instance, kcat_read, request,
                     run_in_world, wait_for)

ADMIN_ARGS = ["--admin-user-secret", "u-secret", "--admin-org-secret", "o-secret"]
ADMIN = {"Authorization": "User u-secret, Organization o-secret"}
OK, FLAKY, FAILING, GONE, DISABLED = 1, 2, 3, 4, 5
W = None  # the world every test shares (main)
HEALED = set()  # receiver paths that answer 200 from now on


def instances_of(receiver):
    base = receiver.url.rsplit("/", 1)[0]
    disabled = instance(DISABLED, base + "/ok")
    disabled["disabled"] = True
    return [instance(OK, base + "/ok"), instance(FLAKY, base + "/flaky"),
            instance(FAILING, base + "/failing"), instance(GONE, base + "/gone"), disabled]


def plan(event_id, attempt, path):
    if path in HEALED:
        return 200
    if path == "/flaky":
        return 503 if attempt <= 2 else 200
    if path == "/failing":
        return 500
    if path == "/gone":
        return 410
    return 200


def modern(ev_id, object_id, date="2019-02-01T10:00:00.000000", object_type=None):
    event = json.loads(fixture("modern_lead_created.json"))
    event["event"].update(id=ev_id, object_id=object_id, lead_id=object_id, date_updated=date)
    if object_type:
        event["event"]["object_type"] = object_type
    return json.dumps(event).encode()


def post(instance_id, body):
    r = request("POST", f"{W.ingest.url}/events/closeio/{b64id(instance_id)}", body, JSON)
    assert r.status == 202, (r.status, r.body)
    return r.json()["ids"][0]


def api(path, headers=ADMIN, console=None):
    return request("GET", (console or W.console).url + path, headers=headers)


def event_of(instance_id, env_id, console=None):
    r = api(f"/instances/{instance_id}/events/{env_id}", console=console)
    return r.json() if r.status == 200 else None


def wait_state(instance_id, env_id, state, timeout=60):
    last = [None]

    def reached():
        last[0] = event_of(instance_id, env_id)
        return last[0] is not None and last[0]["status"] == state
    try:
        wait_for(f"event {env_id} of {instance_id} to be {state}", reached, timeout)
    except AssertionError as e:
        raise AssertionError(f"{e}; last seen: {json.dumps(last[0])}") from None
    return last[0]


class World:
    def __init__(self, bridge, receiver):
        global W
        W = self
        self.bridge, self.receiver = bridge, receiver
        receiver.plan = plan
        self.ingest = bridge.ingest(*ADMIN_ARGS).ready()
        # one receiver for every instance: its failing paths must not open the breaker of all
        self.publish = bridge.publish("--breaker-threshold", "0").ready()
        self.console = bridge.console(*ADMIN_ARGS).ready()
        self.ids = {}
        for n in (OK, FLAKY, FAILING, GONE, DISABLED):
            self.ids[n] = post(n, modern(f"ev_state{n}", f"lead_state{n}"))


def test_each_event_state_follows_it_with_its_attempts():
    ok = wait_state(OK, W.ids[OK], "delivered")
    assert [a["status"] for a in ok["deliveries"]] == [200], ok["deliveries"]
    assert ok["deliveries"][0]["outcome"] == "delivered"
    assert ok["objectType"] == "leads" and ok["objectId"] == "lead_state1", ok
    assert ok["origin"] == "webhook" and ok["eventType"] in ("CREATED", "UPDATED")
    # the envelope, read back from closeio.events at the indexed position
    assert ok["envelope"]["id"] == W.ids[OK] and ok["envelope"]["instanceid"] == str(OK)
    assert ok["lastStatus"] == 200 and ok["attempts"] == 1

    flaky = wait_state(FLAKY, W.ids[FLAKY], "delivered")
    assert [a["status"] for a in flaky["deliveries"]] == [503, 503, 200], flaky["deliveries"]
    assert [a["attempt"] for a in flaky["deliveries"]] == [1, 2, 3]
    assert flaky["deliveries"][0]["outcome"] == "retry" and flaky["deliveries"][0]["nextDue"]

    dead = wait_state(FAILING, W.ids[FAILING], "dead")
    # 1s,1s,2s: four attempts, then the dead-letter topic
    assert [a["status"] for a in dead["deliveries"]] == [500] * 4, dead["deliveries"]
    assert dead["reason"], dead

    gone = wait_state(GONE, W.ids[GONE], "dead")
    assert [a["status"] for a in gone["deliveries"]] == [410], gone["deliveries"]

    skipped = wait_state(DISABLED, W.ids[DISABLED], "skipped")
    assert "disabled" in skipped["reason"], skipped
    assert W.receiver.attempts(W.ids[DISABLED]) == []


def test_a_retrying_event_says_when_it_is_due():
    env_id = post(FAILING, modern("ev_due", "lead_due"))
    ev = wait_state(FAILING, env_id, "retrying")
    assert ev["nextDue"] and ev["lastStatus"] == 500, ev


def test_the_page_is_served_with_its_headers_and_the_instances_summary_counts():
    r = request("GET", W.console.url + "/console/")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html"), r.headers
    csp = r.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "default-src 'none'" in csp, csp
    assert r.headers.get("X-Content-Type-Options") == "nosniff" and b"app.js" in r.body
    r = request("GET", W.console.url + "/console/app.js")
    assert r.status == 200 and "javascript" in r.headers["Content-Type"], r.headers
    # urllib would follow the redirect
    host, port = W.console.url.split("//", 1)[1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/console")
    moved = conn.getresponse()
    assert moved.status == 301 and moved.getheader("Location") == "/console/", moved.status
    conn.close()
    assert request("GET", W.console.url + "/console/nope.js").status == 404
    assert request("POST", W.console.url + "/console/", b"").status == 405
    assert api("/console/api/instances", {}).status == 401
    assert api("/console/api/instances?x=1").status == 400

    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000", time.gmtime())
    delivered = post(OK, modern("ev_summary_ok", "lead_summary_ok", date=now))
    dead = post(GONE, modern("ev_summary_gone", "lead_summary_gone", date=now))
    wait_state(OK, delivered, "delivered")
    wait_state(GONE, dead, "dead")
    summary = {i["id"]: i for i in api("/console/api/instances").json()}
    assert {str(n) for n in (OK, FLAKY, FAILING, GONE, DISABLED)} <= set(summary), summary
    ok, gone = summary[str(OK)], summary[str(GONE)]
    # the events of the other tests are of 2019 (their Close dates): outside the day
    assert ok["lastHour"] == {"received": 0, "retrying": 0, "delivered": 1, "dead": 0,
                              "skipped": 0}, ok
    assert ok["lastDay"] == ok["lastHour"] and sum(ok["hourly"]["delivered"]) == 1, ok
    assert ok["hourly"]["delivered"][-1] == 1 and sum(ok["hourly"]["failing"]) == 0, ok
    assert ok["lastAttempt"]["status"] == 200 and ok["lastAttempt"]["eventId"] == delivered
    assert ok["breaker"] == "closed" and ok["webhookPath"] == f"/events/closeio/{b64id(OK)}"
    assert ok["mode"] == "webhook" and ok["disabled"] is False, ok
    assert gone["lastDay"]["dead"] == 1 and sum(gone["hourly"]["failing"]) == 1, gone
    assert gone["lastAttempt"]["status"] == 410 and gone["lastAttempt"]["outcome"] == "dead"
    assert summary[str(DISABLED)]["disabled"] is True
    assert summary[str(FLAKY)]["lastAttempt"] is None  # nothing of the last day
    # a tenant sees its own instance only
    seed = {"element": {"key": "closeio"}, "name": "summary-tenant",
            "configuration": {"username": "k", "password": "",
                              "event.notification.enabled": "false"}}
    r = request("POST", W.ingest.url + "/instances", json.dumps(seed).encode(), {**ADMIN, **JSON})
    assert r.status == 200, r.body
    tenant = {"Authorization": f"User x, Organization y, Element {r.json()['token']}"}
    wait_for("the console to know the new instance's token",
             lambda: api("/console/api/instances", tenant).status == 200)
    mine = api("/console/api/instances", tenant).json()
    assert [(i["id"], i["name"]) for i in mine] == [(str(r.json()["id"]), "summary-tenant")], mine


def listed(path, headers=ADMIN):
    r = api(path, headers)
    assert r.status == 200, (path, r.status, r.body)
    return r.json(), r.headers.get("Elements-Next-Page-Token")


def test_lists_filter_and_page_newest_first():
    # 23 more events of OK, a minute apart in Close's time
    mine = [post(OK, modern(f"ev_page{i}", f"lead_page{i}",
                            date=f"2019-03-01T10:{i:02d}:00.000000")) for i in range(23)]
    wait_for("the 23 events to be delivered", lambda: all(
        e["status"] == "delivered" for e in listed(f"/instances/{OK}/events?pageSize=500")[0]
        if e["id"] in mine) and len(listed(f"/instances/{OK}/events?pageSize=500")[0]) == 24)
    seen, cursor = [], None
    while True:
        page, cursor = listed(f"/instances/{OK}/events?pageSize=5"
                              + (f"&nextPage={cursor}" if cursor else ""))
        assert len(page) <= 5
        seen += page
        if not cursor:
            break
    assert len(seen) == 24 and len({e["id"] for e in seen}) == 24
    times = [e["eventDate"] for e in seen]
    assert times == sorted(times, reverse=True), times
    assert {e["instanceId"] for e in seen} == {str(OK)}

    # by state, over every instance
    dead, _ = listed("/instances/events?status=dead")
    assert {e["instanceId"] for e in dead} == {str(FAILING), str(GONE)}, dead
    both, _ = listed("/instances/events?status=dead,skipped")
    assert {e["instanceId"] for e in both} == {str(FAILING), str(GONE), str(DISABLED)}
    # by the event's time (Close's date), objectId, origin, and under /elements/api-v2
    window, _ = listed(f"/instances/{OK}/events?since=2019-03-01T10:05:00Z"
                       "&until=2019-03-01T10:08:00Z")
    assert sorted(e["objectId"] for e in window) == ["lead_page5", "lead_page6", "lead_page7"]
    one, _ = listed("/elements/api-v2/instances/events?objectId=lead_page3&origin=webhook")
    assert [e["id"] for e in one] == [mine[3]]
    assert listed("/instances/events?origin=polling")[0] == []


def test_bad_parameters_get_a_clear_400():
    for query, word in [("status=bogus", "status"), ("pageSize=0", "pageSize"),
                        ("pageSize=501", "pageSize"), ("nextPage=garbage", "nextPage"),
                        ("since=yesterday", "since"), ("colour=red", "colour"),
                        ("since=2020-01-02T00:00:00Z&until=2020-01-01T00:00:00Z", "since"),
                        ("status=dead&status=skipped", "status"), ("eventType=EXPLODED", "eventType")]:
        r = api(f"/instances/events?{query}")
        assert r.status == 400, (query, r.status, r.body)
        assert word in r.json()["error"]["message"], (query, r.body)
    assert api("/instances/events/ev_nope").status == 404
    assert api(f"/instances/{OK}/events/{W.ids[FLAKY]}").status == 404  # another instance's
    assert api("/instances/abc/events").status == 404
    assert api("/instances/0/events").status == 404
    r = request("POST", W.console.url + "/instances/events", b"{}", {**ADMIN, **JSON})
    assert r.status == 405 and "GET" in r.headers.get("Allow", "")
    assert api("/instances/events", headers={}).status == 401
    assert api("/instances/events", headers={"Authorization": "User u-secret, "
                                                               "Organization nope"}).status == 401


def test_an_instance_token_sees_its_own_instance_only():
    created = []
    for name in ("tenant-a", "tenant-b"):
        seed = {"element": {"key": "closeio"}, "name": name,
                "configuration": {"username": "k", "password": "",
                                  "event.notification.enabled": "true",
                                  "event.notification.callback.url":
                                  W.receiver.url.rsplit("/", 1)[0] + "/ok"}}
        r = request("POST", W.ingest.url + "/instances", json.dumps(seed).encode(),
                    {**ADMIN, **JSON})
        assert r.status == 200, r.body
        created.append(r.json())
    a, b = created
    W.tenant_token = b["token"]  # of an instance that is not FAILING (the redelivery test)
    ev_a = post(a["id"], modern("ev_tenant_a", "lead_ta"))
    ev_b = post(b["id"], modern("ev_tenant_b", "lead_tb"))
    wait_state(a["id"], ev_a, "delivered")
    wait_state(b["id"], ev_b, "delivered")
    tenant = {"Authorization": f"User x, Organization y, Element {a['token']}"}
    mine, _ = listed(f"/instances/{a['id']}/events", tenant)
    assert [e["id"] for e in mine] == [ev_a]
    # every instance's list, for a tenant, is its own
    everything, _ = listed("/instances/events?pageSize=500", tenant)
    assert [e["id"] for e in everything] == [ev_a]
    assert api(f"/instances/events/{ev_a}", tenant).status == 200
    assert api(f"/instances/events/{ev_b}", tenant).status == 404
    # another instance, or one that does not exist: the same answer
    assert api(f"/instances/{b['id']}/events", tenant).status == 404
    assert api(f"/instances/{b['id']}/events/{ev_b}", tenant).status == 404
    assert api("/instances/999999/events", tenant).status == 404
    for bad in [f"User x, Organization y, Element {a['token']}x", f"Element {a['token']}",
                f"User x, Element {a['token']}", "User x, Organization y, Element "]:
        assert api(f"/instances/{a['id']}/events", {"Authorization": bad}).status == 401, bad
    # a deleted instance's token opens nothing
    assert request("DELETE", f"{W.ingest.url}/instances/{a['id']}", headers=ADMIN).status in (
        200, 204)
    wait_for("the console to forget the deleted instance's token",
             lambda: api(f"/instances/{a['id']}/events", tenant).status == 401)


def snapshot(console=None):
    page, _ = listed("/instances/events?pageSize=500") if console is None else (
        api("/instances/events?pageSize=500", console=console).json(), None)
    return sorted((e["id"], e["instanceId"], e["status"], e["attempts"]) for e in page)


def test_the_index_is_rebuilt_from_kafka_and_resumes_after_a_restart():
    # every event final first: the answers must not change while the console is away
    wait_for("every event to be final", lambda: not listed(
        "/instances/events?status=received,retrying")[0])
    before = snapshot()
    assert len(before) >= 30, before
    # a restart resumes from the stored positions
    assert W.console.stop() == 0
    W.console.start().ready()
    assert snapshot() == before
    # deleting the database loses nothing: the console reads it all again
    assert W.console.stop() == 0
    shutil.rmtree(W.console.data_dir)
    W.console.start().ready()
    wait_for("the rebuilt index to answer as before", lambda: snapshot() == before)
    # positions past the partitions' ends (topics made anew, another cluster): read from the
    # start, not from the end
    assert W.console.stop() == 0
    db = sqlite3.connect(os.path.join(W.console.data_dir, "index.sqlite"))
    with db:
        db.execute("UPDATE positions SET next = next + 1000000")
        db.execute("DELETE FROM attempts")
        db.execute("DELETE FROM events")
    db.close()
    W.console.start().ready()
    wait_for("the index read again from the partitions' start", lambda: snapshot() == before)
    # a database kept from another Kafka cluster is read again from this one
    assert W.console.stop() == 0
    db = sqlite3.connect(os.path.join(W.console.data_dir, "index.sqlite"))
    with db:
        db.execute("UPDATE meta SET value = 'another-cluster' WHERE key = 'cluster'")
        db.execute("UPDATE events SET attempts = attempts + 7")
    db.close()
    W.console.start().ready()
    wait_for("the index read again from this cluster", lambda: snapshot() == before)
    assert "reading it again" in W.console.logs(current=True)
    # a second replica builds its own
    other = W.bridge.console(*ADMIN_ARGS).ready()
    wait_for("a second console to answer the same", lambda: snapshot(other) == before)
    assert other.stop() == 0


def test_a_dead_event_redelivered_after_its_receiver_healed_is_delivered():
    env_id = W.ids[FAILING]
    events_before = len(kcat_read(bootstrap(), W.bridge.topic("closeio.events")))
    url = f"{W.console.url}/instances/{FAILING}/events/{env_id}/redeliver"
    # a tenant of another instance cannot, nor a GET, nor an unknown event
    other = W.tenant_token
    assert request("POST", url, b"", {"Authorization": f"User x, Organization y, Element {other}"}
                   ).status == 404
    assert request("GET", url, headers=ADMIN).status == 405
    assert request("POST", f"{W.console.url}/instances/{FAILING}/events/ev_nope/redeliver", b"",
                   ADMIN).status == 404
    HEALED.add("/failing")
    r = request("POST", url, b"", ADMIN)
    assert r.status == 202, (r.status, r.body)
    replay = r.json()["replay"]
    assert replay.startswith("rp_") and r.json()["eventId"] == env_id
    ev = wait_state(FAILING, env_id, "delivered")
    last = ev["deliveries"][-1]
    assert last["status"] == 200 and last["replay"] == replay, ev["deliveries"]
    assert all(d["replay"] is None for d in ev["deliveries"][:-1])
    # the receiver got it once more, with the same webhook-id
    assert [q["status"] for q in W.receiver.attempts(env_id)] == [500] * 4 + [200]
    # nothing new for closeio.events' subscribers; the replay is on its own topic
    assert len(kcat_read(bootstrap(), W.bridge.topic("closeio.events"))) == events_before
    replays = kcat_read(bootstrap(), W.bridge.topic("closeio.events.replay"))
    assert [(q["key"], q["headers"].get("cb-replay")) for q in replays] == [(str(FAILING),
                                                                              replay)], replays
    assert json.loads(replays[0]["payload"])["id"] == env_id


def main():
    run_in_world(World, instances_of,
                 [test_each_event_state_follows_it_with_its_attempts,
                  test_a_retrying_event_says_when_it_is_due,
                  test_lists_filter_and_page_newest_first,
                  test_bad_parameters_get_a_clear_400,
                  test_an_instance_token_sees_its_own_instance_only,
                  test_the_index_is_rebuilt_from_kafka_and_resumes_after_a_restart,
                  test_a_dead_event_redelivered_after_its_receiver_healed_is_delivered,
                  test_the_page_is_served_with_its_headers_and_the_instances_summary_counts])


if __name__ == "__main__":
    main()
