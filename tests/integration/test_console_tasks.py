"""closebridge-console's replay tasks against the real broker, ingest, publish and a receiver on
loopback: a recover task over a time window sends exactly its 1,000 dead events among 10,200,
also when the console is killed (SIGKILL) in the middle of it and started again, and never
writes the same event twice; a task is cancelled; tenants see their own tasks only; bad input
gets a clear 400."""
import json
import time

from harness import (JSON, bootstrap, fixture, instance, kcat_read, post_all, request,
                     run_in_world, wait_for)

ADMIN_ARGS = ["--admin-user-secret", "u-secret", "--admin-org-secret", "o-secret"]
ADMIN = {"Authorization": "User u-secret, Organization o-secret"}
OK, LOST = 1, 2
IN_WINDOW, OK_EVERY = 10000, 10  # every 10th in-window event is LOST's: 1,000 of 10,000
OUTSIDE = 200  # LOST's events after the window: dead too, never part of the task
SINCE, UNTIL = "2019-02-01T10:00:00Z", "2019-02-01T13:00:00Z"
W = None
HEALED = set()


def instances_of(receiver):
    base = receiver.url.rsplit("/", 1)[0]
    return [instance(OK, base + "/ok"), instance(LOST, base + "/lost")]


def plan(event_id, attempt, path):
    if path == "/lost" and path not in HEALED:
        return 410  # dead at once: 410 ends the retries
    return 200


def webhook(n, date):
    event = json.loads(fixture("modern_lead_created.json"))
    event["event"].update(id=f"ev_task{n}", object_id=f"lead_task{n}", lead_id=f"lead_task{n}",
                          date_updated=date)
    return json.dumps(event).encode()



def api(method, path, body=b"", headers=ADMIN):
    return request(method, W.console.url + path, body if method == "POST" else None, headers)


def task_of(task_id, headers=ADMIN):
    r = api("GET", f"/tasks/{task_id}", headers=headers)
    assert r.status == 200, (r.status, r.body)
    return r.json()


def count_listed(path):
    """How many events a list path gives, page after page."""
    n, cursor = 0, None
    while True:
        page = api("GET", path + (f"&nextPage={cursor}" if cursor else ""))
        assert page.status == 200, (page.status, page.body)
        n += len(page.json())
        cursor = page.headers.get("Elements-Next-Page-Token")
        if not cursor:
            return n


def replays_of(task_id):
    """The envelope ids a task wrote to the replay topic, read_committed (as publish reads)."""
    recs = kcat_read(bootstrap(), W.bridge.topic("closeio.events.replay"))
    return [json.loads(r["payload"])["id"] for r in recs if r["headers"].get("cb-replay") == task_id]


class World:
    def __init__(self, bridge, receiver):
        global W
        W = self
        self.bridge, self.receiver = bridge, receiver
        receiver.plan = plan
        self.ingest = bridge.ingest(*ADMIN_ARGS).ready()
        self.publish = bridge.publish("--breaker-threshold", "0").ready()
        # steps of 50: the kill lands after the second, in the middle of the task's 20
        self.console = bridge.console(*ADMIN_ARGS, "--task-rate", "200", "--task-batch",
                                      "50").ready()
        items, self.lost_in, self.ok_ids = [], [], []
        for i in range(IN_WINDOW):
            date = time.strftime("2019-02-01T%H:%M:%S", time.gmtime(36000 + i)) + ".000000"
            items.append((LOST if i % OK_EVERY == 0 else OK, webhook(i, date)))
        for i in range(OUTSIDE):
            items.append((LOST, webhook(IN_WINDOW + i, "2019-02-02T10:00:00.000000")))
        ids = post_all(self.ingest.url, items)
        for (inst, _), env_id in zip(items, ids):
            (self.lost_in if inst == LOST else self.ok_ids).append(env_id)
        self.lost_out = self.lost_in[IN_WINDOW // OK_EVERY:]
        self.lost_in = self.lost_in[:IN_WINDOW // OK_EVERY]
        wait_for("every LOST event to be dead in the index",
                 lambda: count_listed(f"/instances/{LOST}/events?status=dead&pageSize=500")
                 == IN_WINDOW // OK_EVERY + OUTSIDE, timeout=180, interval=0.5)
        wait_for("every OK event to be delivered in the index",
                 lambda: count_listed(f"/instances/{OK}/events?status=delivered&pageSize=500")
                 == len(self.ok_ids), timeout=180, interval=0.5)


def test_bad_task_requests_get_a_clear_answer():
    for path, body, word in [("/instances/events/redeliver", b"", "filter"),
                             ("/instances/events/redeliver?pageSize=5", b"", "pageSize"),
                             ("/instances/events/redeliver?status=lost", b"", "status"),
                             ("/instances/events/redeliver?since=yesterday", b"", "since"),
                             ("/instances/events/redeliver?colour=red", b"", "colour"),
                             ("/instances/events/redeliver", b"[1]", "JSON object"),
                             ("/instances/events/redeliver", b'{"status": 3}', "status"),
                             ("/instances/events/redeliver?status=dead", b'{"status": "dead"}',
                              "status")]:
        r = api("POST", path, body)
        assert r.status == 400 and word in r.json()["error"]["message"], (path, body, r.status, r.body)
    assert api("GET", "/instances/events/redeliver").status == 405
    assert api("GET", "/tasks/tk_0123456789abcdef").status == 404
    assert api("GET", "/tasks/nope").status == 404
    assert api("PUT", "/tasks/tk_0123456789abcdef").status == 405
    assert api("GET", "/tasks/tk_0123456789abcdef",
               headers={"Authorization": "User u-secret"}).status == 401


def test_a_recover_task_survives_a_kill_and_sends_each_dead_event_once():
    events_before = len(kcat_read(bootstrap(), W.bridge.topic("closeio.events")))
    HEALED.add("/lost")
    r = api("POST", "/instances/events/redeliver",
            json.dumps({"status": ["dead"], "since": SINCE, "until": UNTIL}).encode())
    assert r.status == 202, (r.status, r.body)
    task = r.json()
    assert task["id"].startswith("tk_") and task["status"] == "running", task
    assert r.headers.get("Location") == f"/tasks/{task['id']}"
    assert task["filter"] == {"status": "dead", "since": SINCE, "until": UNTIL}, task
    seen = wait_for("the task to be under way",
                    lambda: (lambda t: t if t["produced"] >= 100 else None)(task_of(task["id"])),
                    timeout=60, interval=0.02)
    W.console.kill()
    assert seen["produced"] < len(W.lost_in), f"the kill came too late: {seen}"
    W.console.start().ready()
    done = wait_for("the task to finish after the restart",
                    lambda: (lambda t: t if t["status"] == "done" else None)(task_of(task["id"])),
                    timeout=400, interval=0.1)
    assert done["matched"] == len(W.lost_in) and done["produced"] == len(W.lost_in), done
    assert done["unavailable"] == 0, done
    # exactly the window's dead events, each written once (read_committed, as publish reads)
    replayed = replays_of(task["id"])
    assert len(replayed) == len(W.lost_in), (len(replayed), len(W.lost_in))
    assert sorted(replayed) == sorted(W.lost_in)
    # each delivered once more; none of those after the window, none of OK's
    wait_for("every replay to be delivered", lambda: all(
        len(W.receiver.delivered(e)) == 1 for e in W.lost_in), timeout=300, interval=0.2)
    assert all(not W.receiver.delivered(e) for e in W.lost_out)
    assert all(len(W.receiver.delivered(e)) == 1 for e in W.ok_ids[::97])
    wait_for("the task to count them delivered",
             lambda: task_of(task["id"])["delivered"] == len(W.lost_in), timeout=60)
    # nothing new for closeio.events' subscribers
    assert len(kcat_read(bootstrap(), W.bridge.topic("closeio.events"))) == events_before
    m = W.console.metrics()
    assert 'closebridge_console_tasks{state="done"} 1' in m, m


def test_a_task_is_cancelled_and_stops_writing():
    r = api("POST", f"/instances/{OK}/events/redeliver?status=delivered")
    assert r.status == 202, (r.status, r.body)
    task_id = r.json()["id"]
    wait_for("the task to be under way", lambda: task_of(task_id)["produced"] > 0,
             interval=0.02)
    r = api("DELETE", f"/tasks/{task_id}")
    assert r.status == 202 and r.json()["cancelRequested"], (r.status, r.body)
    ended = wait_for("the task to be cancelled",
                     lambda: (lambda t: t if t["status"] == "cancelled" else None)(
                         task_of(task_id)), timeout=30)
    assert 0 < ended["produced"] < len(W.ok_ids), ended
    assert len(replays_of(task_id)) == ended["produced"]
    assert api("DELETE", f"/tasks/{task_id}").status == 409
    # the state is in Kafka: a restarted console says the same
    assert W.console.stop() == 0
    W.console.start().ready()
    again = task_of(task_id)
    assert (again["status"], again["produced"]) == ("cancelled", ended["produced"]), again
    assert len(replays_of(task_id)) == ended["produced"]


def test_a_tenant_sees_and_makes_its_own_tasks_only():
    seed = {"element": {"key": "closeio"}, "name": "tenant",
            "configuration": {"username": "k", "password": "",
                              "event.notification.enabled": "true",
                              "event.notification.callback.url":
                              W.receiver.url.rsplit("/", 1)[0] + "/ok"}}
    r = request("POST", W.ingest.url + "/instances", json.dumps(seed).encode(), {**ADMIN, **JSON})
    assert r.status == 200, r.body
    tenant = r.json()
    auth = {"Authorization": f"User x, Organization y, Element {tenant['token']}"}
    wait_for("the console to know the tenant's token",
             lambda: api("GET", f"/instances/{tenant['id']}/events", headers=auth).status == 200)
    # every instance's redelivery, for a tenant, is its own instance's
    r = api("POST", "/instances/events/redeliver?status=dead", headers=auth)
    assert r.status == 202 and r.json()["instanceId"] == str(tenant["id"]), (r.status, r.body)
    own = r.json()["id"]
    done = wait_for("the tenant's task to finish", lambda: (lambda t: t if t["status"] == "done"
                                                            else None)(task_of(own, auth)))
    assert done["matched"] == 0 and done["produced"] == 0, done
    assert api("POST", f"/instances/{LOST}/events/redeliver?status=dead",
               headers=auth).status == 404
    admin_task = api("POST", f"/instances/{LOST}/events/redeliver?status=retrying").json()["id"]
    assert api("GET", f"/tasks/{admin_task}", headers=auth).status == 404
    assert api("DELETE", f"/tasks/{admin_task}", headers=auth).status == 404
    assert task_of(own)["instanceId"] == str(tenant["id"])  # the admin sees every task


def main():
    run_in_world(World, instances_of,
                 [test_bad_task_requests_get_a_clear_answer,
                  test_a_recover_task_survives_a_kill_and_sends_each_dead_event_once,
                  test_a_task_is_cancelled_and_stops_writing,
                  test_a_tenant_sees_and_makes_its_own_tasks_only])


if __name__ == "__main__":
    main()
