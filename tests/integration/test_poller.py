"""The poller against a fake Close API (fake_close.py) and the real broker: every event once,
the same envelopes as webhooks give, changed events again, no loss and no duplicate across a
SIGKILL, two replicas sharing the instances, and Close's 429s, 500s and refused keys."""
import json
import re
import signal
import time

from fake_close import FakeClose, close_date
from harness import (b64id, bridged_with, bootstrap, fixture, instance, kcat_read, request,
                     run, wait_for)

SINCE = "2019-01-01T00:00:00Z"  # event.poller.since: publish from here, not only from now
POLL = ["--poll-overlap-s", "3"]


def polling_instance(iid, base, key, **extra):
    conf = {"event.vendor.type": "polling", "event.poller.refresh_interval": "0.01",
            "event.poller.since": SINCE, "base.url": base, "username": key}
    conf.update(extra)
    inst = instance(iid, "http://127.0.0.1:9/unused", **conf)
    return inst


def event(n, object_id=None, date=None, key_offset=0):
    e = json.loads(fixture("modern_lead_created.json"))["event"]
    e.update(id=f"ev_poll{n:06d}", object_id=object_id or f"lead_{n}",
             lead_id=object_id or f"lead_{n}",
             date_created=date or close_date(time.time() - 60 + n * 0.001),
             date_updated=date or close_date(time.time() - 60 + n * 0.001))
    return e


def envelopes(bridge, origin=None):
    recs = kcat_read(bootstrap(), bridge.topic("closeio.events"))
    return [r for r in recs if origin is None or r["headers"].get("ce_origin") == origin]


def ids_on_topic(bridge, origin="polling"):
    return [r["headers"]["ce_id"] for r in envelopes(bridge, origin)]


def scenario(make_instances, *ingest_args):
    def wrap(test):
        def wrapped():
            with bridged_with([FakeClose(["K1", "K2"])],
                              lambda fake: make_instances(fake.base)) as (bridge, fake):
                test(bridge, fake, *ingest_args)
        wrapped.__name__ = test.__name__
        return wrapped
    return wrap


@scenario(lambda base: [polling_instance(101, base, "K1")])
def test_polled_events_arrive_once_as_the_webhook_envelopes(bridge, fake):
    for n in range(120):  # three pages
        fake.add("K1", event(n))
    ingest = bridge.ingest(*POLL).ready()
    wait_for("120 polled events", lambda: len(ids_on_topic(bridge)) >= 120)

    # the same event by webhook: the same envelope but for its origin and Close's wrapper
    webhook = {"subscription_id": "whsub_x", "event": fake.events["K1"]["ev_poll000007"]}
    r = request("POST", f"{ingest.url}/events/closeio/{b64id(101)}",
                json.dumps(webhook).encode(), {"Content-Type": "application/json"})
    assert r.status == 202
    hooked_id = r.json()["ids"][0]
    hooked = wait_for("the webhook's envelope", lambda: envelopes(bridge, "webhook"))
    polled = [r for r in envelopes(bridge, "polling") if r["headers"]["ce_id"] == hooked_id]
    assert len(polled) == 1, "the poll gave the same envelope id"
    a, b = json.loads(hooked[0]["payload"]), json.loads(polled[0]["payload"])
    assert a["data"]["raw"]["event"] == b["data"]["raw"]["event"]
    for env in (a, b):
        del env["origin"], env["data"]["raw"]
    assert a == b, (a, b)

    # added between polls: once; date_updated changed by Close: once more
    fake.add("K1", event(500))
    changed = dict(fake.events["K1"]["ev_poll000003"], date_updated=close_date(time.time()))
    fake.add("K1", changed)
    wait_for("the new and the changed event", lambda: len(ids_on_topic(bridge)) >= 122)
    n_polls = len(fake.polls("K1"))
    wait_for("two more polls", lambda: len(fake.polls("K1")) >= n_polls + 4)
    ids = ids_on_topic(bridge)
    assert len(ids) == 122 and len(set(ids)) == 122, (len(ids), len(set(ids)))
    assert sum(1 for i in ids if i.startswith("ev_poll000003_")) == 2
    assert ingest.stop() == 0


@scenario(lambda base: [polling_instance(101, base, "K1")])
def test_a_replica_killed_mid_poll_loses_and_repeats_nothing(bridge, fake):
    for n in range(400):  # eight pages, each answered slowly
        fake.add("K1", event(n))
    fake.faults = [("hang", 0.3)] * 8
    txid = ["--poller-transactional-id", "closebridge-poller-kill-test"]
    ingest = bridge.ingest(*(POLL + txid)).ready()
    wait_for("a poll half way through", lambda: len(fake.polls("K1")) >= 3)
    ingest.stop(signal.SIGKILL)
    fake.add("K1", event(900))
    ingest = bridge.ingest(*(POLL + txid)).ready()
    wait_for("every event", lambda: len(set(ids_on_topic(bridge))) >= 401, timeout=60)
    n_polls = len(fake.polls("K1"))
    wait_for("more polls", lambda: len(fake.polls("K1")) >= n_polls + 3)
    ids = ids_on_topic(bridge)
    assert len(ids) == 401, f"{len(ids)} records for 401 events"
    assert ingest.stop() == 0


INSTANCES = list(range(201, 213))


@scenario(lambda base: [polling_instance(i, base, "K1") for i in INSTANCES])
def test_two_replicas_share_the_instances_and_one_takes_over(bridge, fake):
    a = bridge.ingest(*POLL).ready()
    b = bridge.ingest(*POLL).ready()
    wait_for("both replicas polling", lambda: "polling the instances of 3" in a.logs() and
             "polling the instances of 3" in b.logs(), timeout=60)
    for n in range(50):
        fake.add("K1", event(n))
    # every instance shares the key and so the log: each of the 12 publishes the 50 once
    wait_for("every instance's events", lambda: len(ids_on_topic(bridge)) >= 600, timeout=60)

    def published_by(svc):
        return set(re.findall(r"poller: instance (\d+): \d+ new events", svc.logs()))

    pa, pb = published_by(a), published_by(b)
    assert pa and pb and not (pa & pb), (pa, pb)
    assert len(pa | pb) == 12
    assert b.stop() == 0
    for n in range(50, 60):
        fake.add("K1", event(n))
    wait_for("the survivor polling every instance",
             lambda: len(ids_on_topic(bridge)) >= 720, timeout=90)
    ids = ids_on_topic(bridge)
    assert len(ids) == 720, len(ids)
    assert a.stop() == 0


@scenario(lambda base: [polling_instance(301, base, "K1"), polling_instance(302, base, "BAD")])
def test_429_and_500_are_honoured_and_a_bad_key_stays_its_own(bridge, fake):
    for n in range(10):
        fake.add("K1", event(n))
    fake.faults = [("429", 1, 1.5), ("500",), ("500",)]
    ingest = bridge.ingest(*POLL).ready()
    wait_for("the events after the faults", lambda: len(ids_on_topic(bridge)) >= 10)
    with fake.lock:
        k1 = [(s, t) for (k, p, s), t in zip(fake.requests, fake.times) if k == "K1"]
    statuses = [s for s, _ in k1]
    assert statuses[:4] == [429, 500, 500, 200], statuses
    # the retry after the 429 waited for the RateLimit reset (1.5 s, a decimal)
    assert k1[1][1] - k1[0][1] >= 1.4, k1[:2]
    text = request("GET", ingest.url + "/metrics").body.decode()
    assert re.search(r'closebridge_polls_total\{outcome="unauthorized"\} [1-9]', text), text
    assert re.search(r'closebridge_polls_total\{outcome="rate_limited"\} 1\b', text), text
    assert len(ids_on_topic(bridge)) == 10
    assert ingest.stop() == 0


@scenario(lambda base: [polling_instance(701, base, "K1"), polling_instance(702, base, "K2"),
                        polling_instance(703, base, "K3"), polling_instance(704, base, "K3")])
def test_instances_are_polled_at_once_but_never_two_requests_per_key(bridge, fake):
    fake.api_keys.add("K3")
    for key in ("K1", "K2", "K3"):
        for n in range(20):
            fake.add(key, event(n))
    # each request waits (5 s at most) until three are in flight: only concurrent walks get
    # there, and a fourth at once could only be a second one of key K3
    fake.hold = (3, 5)
    ingest = bridge.ingest(*(POLL + ["--poll-workers", "4", "--poll-per-key", "1",
                                     "--poll-timeout-ms", "300000"])).ready()
    wait_for("three walks at once", lambda: fake.max_in_flight >= 3)
    fake.hold = None
    wait_for("every instance's events", lambda: len(ids_on_topic(bridge)) >= 80)
    n_polls = len(fake.polls("K3"))
    wait_for("more polls of the shared key", lambda: len(fake.polls("K3")) >= n_polls + 4)
    with fake.lock:
        assert fake.max_in_flight_by_key["K3"] == 1, fake.max_in_flight_by_key
        assert fake.max_in_flight == 3, fake.max_in_flight
    # the same Close event gives the same envelope id whichever instance it came through
    published = [(json.loads(r["payload"])["instanceid"], r["headers"]["ce_id"])
                 for r in envelopes(bridge)]
    assert len(published) == 80 and len(set(published)) == 80, published
    by_instance = {}
    for iid, _ in published:
        by_instance[iid] = by_instance.get(iid, 0) + 1
    assert by_instance == {"701": 20, "702": 20, "703": 20, "704": 20}, by_instance

    # a request Close leaves hanging (for longer than the stop may take) does not hold the
    # shutdown up: the walk is halted
    with fake.lock:
        fake.faults = [("hang", 300)]
    wait_for("a request hanging", lambda: not fake.faults)
    assert ingest.stop(timeout=20) == 0


# Enough instances that each replica of two surely gets some: a replica given none walks
# nothing, opens no transaction and so never learns it was fenced (one run in a few with 6).
FENCED = list(range(801, 825))


@scenario(lambda base: [polling_instance(i, base, "K1") for i in FENCED])
def test_a_fenced_replica_exits_with_status_1_and_the_other_polls_on(bridge, fake):
    for n in range(5):
        fake.add("K1", event(n))
    # the same transactional id twice: the second replica's producer fences the first one's,
    # a fatal Kafka error for the first, which must stop (exit status 1), not carry on
    txid = ["--poller-transactional-id", "closebridge-poller-fence-test"]
    a = bridge.ingest(*(POLL + txid)).ready()
    wait_for("every instance's events", lambda: len(ids_on_topic(bridge)) >= 5 * len(FENCED))
    b = bridge.ingest(*(POLL + txid)).ready()
    wait_for("the fenced replica exiting", lambda: a.proc.poll() is not None, timeout=90)
    assert a.stop() == 1
    assert "fatal Kafka error" in a.logs(), a.logs()[-2000:]
    fake.add("K1", event(100))
    wait_for("the survivor polling every instance",
             lambda: len(ids_on_topic(bridge)) >= 6 * len(FENCED), timeout=90)
    published = [(json.loads(r["payload"])["instanceid"], r["headers"]["ce_id"])
                 for r in envelopes(bridge)]
    assert len(published) == 6 * len(FENCED) and len(set(published)) == 6 * len(FENCED), \
        len(published)
    assert b.stop() == 0


ADMIN = {"Authorization": "User u, Organization o"}


@scenario(lambda base: [polling_instance(401, base, "K2")])
def test_instances_from_the_api_start_and_stop_polling_without_a_restart(bridge, fake):
    ingest = bridge.ingest(*(POLL + ["--admin-user-secret", "u", "--admin-org-secret", "o"]))
    ingest.ready()
    for n in range(5):
        fake.add("K1", event(n))
    created = {"name": "api-polled", "element": {"key": "closeio"},
               "configuration": polling_instance(0, fake.base, "K1")["configuration"]}
    r = request("POST", ingest.url + "/instances", json.dumps(created).encode(), ADMIN)
    assert r.status == 200, r.body
    new_id = r.json()["id"]
    wait_for("the new instance's events", lambda: len(ids_on_topic(bridge)) >= 5)
    assert {json.loads(r["payload"])["instanceid"] for r in envelopes(bridge)} == {str(new_id)}

    r = request("DELETE", f"{ingest.url}/instances/{new_id}", headers=ADMIN)
    assert r.status == 200
    # instance 401 (key K2) keeps polling: once it polled three more times, the deleted one
    # (key K1) has stopped, but for a poll that was already under way
    k1 = len(fake.polls("K1"))
    k2 = len(fake.polls("K2"))
    wait_for("three more polls of the other instance", lambda: len(fake.polls("K2")) >= k2 + 3)
    assert len(fake.polls("K1")) <= k1 + 1, (k1, len(fake.polls("K1")))
    assert ingest.stop() == 0


if __name__ == "__main__":
    run([test_polled_events_arrive_once_as_the_webhook_envelopes,
         test_a_replica_killed_mid_poll_loses_and_repeats_nothing,
         test_two_replicas_share_the_instances_and_one_takes_over,
         test_429_and_500_are_honoured_and_a_bad_key_stays_its_own,
         test_instances_are_polled_at_once_but_never_two_requests_per_key,
         test_a_fenced_replica_exits_with_status_1_and_the_other_polls_on,
         test_instances_from_the_api_start_and_stop_polling_without_a_restart])
