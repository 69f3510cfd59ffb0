"""The part of a chaos run that chaos.py and netfault.py share: the set-up (a broker of the run's
own, receivers, a fake Close Event Log, ingest, publish), the load, the drain at the end and the
closing checks."""
import json
import os
import random
import shutil
import threading
import time
import uuid

import check
from world import (DELIVERY_TIMEOUT_S, LADDER, POLL_KEYS, WEBHOOK_INSTANCES, Broker,
                   ChaosReceiver, Clients, Feeder, instances, receiver_of, wait_for)
# world.py puts tests/integration on the path
from fake_close import FakeClose
from harness import BUILD, Service


class Run:
    """One run: everything it started, what it measured (timings: label -> [seconds]) and the
    violations found on the way."""

    def __init__(self, name, seed, receivers=3, clients=4, proxied_port=None,
                 breaker_cooldown_ms=100):
        self.seed, self.name = seed, name
        self.breaker_cooldown_ms = breaker_cooldown_ms
        self.rnd = random.Random(seed)
        self.work = os.path.join(BUILD, "tests", f"{name}-{seed}")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.broker = Broker(os.path.join(BUILD, f"{name}-kafka-{seed}"), proxied_port)
        self.fake = FakeClose(POLL_KEYS)
        self.receivers = [ChaosReceiver(f"r{i}", seed) for i in range(receivers)]
        self.nclients = clients
        self.timings, self.violations, self.timeline = {}, [], []
        self.disruptions = []   # (start, end) epoch s of what may make publish deliver twice
        self.lock = threading.Lock()
        self.prefix = f"c{uuid.uuid4().hex[:8]}."
        self.group = f"g{uuid.uuid4().hex[:8]}"
        self.expected_exits = set()
        self.started = time.monotonic()

    def time(self, label, seconds):
        with self.lock:
            self.timings.setdefault(label, []).append(seconds)

    def violation(self, text):
        with self.lock:
            self.violations.append(text)
        print(f"VIOLATION {text}", flush=True)

    def abort(self, error):
        """A failure of the run itself: reported as a violation, what it started stopped."""
        import traceback
        traceback.print_exc()
        self.violation(f"the run failed: {error!r}")
        self.watching = False
        for p in (getattr(self, "ingest", None), getattr(self, "publish", None)):
            if p and p.alive():
                p.kill()
        if self.broker.running():
            self.broker.stop()

    def log(self, text):
        with self.lock:
            self.timeline.append((time.time(), text))
        print(f"[{time.monotonic() - self.started:7.1f} s] {text}", flush=True)

    def setup(self, targets=None, aliases=None, publish_bootstrap=None):
        """Starts ingest and publish (the broker first unless it runs); targets: what the
        instances' callback URLs point at (default: the receivers), aliases as receiver_of's;
        publish_bootstrap: publish's Kafka bootstrap when not the broker's own."""
        if not self.broker.running():
            self.time("broker start", self.broker.start())
        self.insts = instances(targets or self.receivers, self.fake)
        self.instances_file = os.path.join(self.work, "instances.json")
        with open(self.instances_file, "w") as f:
            json.dump(self.insts, f)
        env = {"KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap(),
               "CLOSEBRIDGE_TOPIC_PREFIX": self.prefix}
        # the poller's group is dynamic: a killed ingest holds its instances until its session
        # times out, 6 s here; publish keeps its defaults (a static member, 10 s sessions).
        # Both are started below, each again after every kill -9, on the same port.
        self.ingest = Service(self.work, "ingest", [
            "--instances-file", self.instances_file, "--poller-group-id", self.group + "-poller",
            "--poller-transactional-id", f"{self.name}-{self.group}-poller",
            "--ack-timeout-ms", "3000", "--retry-after-s", "1", "--poll-overlap-s", "5"],
            {**env, "KAFKA_SESSION_TIMEOUT_MS": "6000", "KAFKA_HEARTBEAT_INTERVAL_MS": "1000"},
            start=False)
        penv = dict(env)
        if publish_bootstrap:
            penv["KAFKA_BOOTSTRAP_SERVERS"] = publish_bootstrap
        self.publish = Service(self.work, "publish", [
            "--group-id", self.group, "--retry-schedule", LADDER,
            "--delivery-timeout-ms", str(DELIVERY_TIMEOUT_S * 1000),
            "--breaker-cooldown-ms", str(self.breaker_cooldown_ms), "--allow-private-targets", "127.0.0.0/8"], penv,
            start=False)
        self.time("ingest ready (first start)", self.ingest.start().ready(120).ready_s)
        self.time("publish ready (first start)", self.publish.start().ready(120).ready_s)
        self.receivers_of = receiver_of(self.insts, self.receivers, aliases)
        self.retry_topics = sorted({f"closeio.events.retry.{d}" for d in LADDER.split(",")})
        self.clients = Clients(self.ingest.url, WEBHOOK_INSTANCES, self.nclients, self.seed)
        self.feeder = Feeder(self.fake, POLL_KEYS, self.seed)
        self.watching = True
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self):
        """A process that exits without being killed is a defect: noted, and started again."""
        while self.watching:
            for p in (self.ingest, self.publish):
                with self.lock:
                    expected = p.name in self.expected_exits
                if not expected and p.proc and not p.alive():
                    self.violation(f"{p.name} exited on its own with status {p.proc.returncode}:"
                                   f"\n{p.logs(current=True)[-3000:]}")
                    p.start()
            time.sleep(0.5)   # how often the watch looks, not a wait for a state

    def kill_restart(self, proc):
        """kill -9, a random pause, a start on the same port; records the time to ready (and,
        for publish, to its first delivery attempt)."""
        with self.lock:
            self.expected_exits.add(proc.name)
        killed = time.time()
        proc.kill()
        self.log(f"killed {proc.name} (kill -9)")
        time.sleep(self.rnd.uniform(0, 2))   # chaos: how long it stays dead
        proc.start()
        with self.lock:
            self.expected_exits.discard(proc.name)
        try:
            took = proc.ready(120).ready_s
            self.time(f"{proc.name} ready after kill -9", took)
            msg = f"{proc.name} ready again in {took:.1f} s"
            if proc.name == "publish":
                from world import first_attempt
                first = first_attempt(proc)
                self.time("publish first attempt after kill -9", first)
                msg += f", first attempt after {first:.1f} s"
            self.log(msg)
            if proc.name == "publish":
                self.disruptions.append((killed, time.time()))
        except AssertionError as e:
            self.violation(f"{proc.name} did not come back after kill -9: {e}")

    def broker_outage(self, seconds):
        stopped = time.time()
        self.broker.stop()
        self.log(f"broker stopped for {seconds:.0f} s")
        time.sleep(seconds)   # chaos: the length of the outage
        self.time("broker restart", self.broker.start())
        back = time.monotonic()
        for p in (self.ingest, self.publish):
            try:
                wait_for(f"{p.name} ready after the broker outage", p.is_ready, 120, 0.05)
                self.time(f"{p.name} ready after the broker came back", time.monotonic() - back)
            except AssertionError as e:
                self.violation(str(e))
        self.disruptions.append((stopped, time.time()))
        self.log("broker back")

    def receiver_down(self, rec, seconds):
        rec.down()
        self.log(f"receiver {rec.name} down for {seconds:.0f} s")
        time.sleep(seconds)   # chaos: how long it stays down
        rec.up()
        self.disruptions.append(tuple(rec.outages[-1]))
        self.log(f"receiver {rec.name} up")

    def drain(self):
        """Stops the load, then waits for every entry on the topic, every event in a final
        state, and publish's group with nothing left."""
        self.log("load stopping; clients finish what they began")
        self.clients.stop()
        self.feeder.stop()
        fed = {e for _, e in self.feeder.fed}
        bs = self.broker.bootstrap()
        try:
            wait_for("every Event Log entry on closeio.events", lambda: fed <= set(
                check.Topics(bs, self.prefix, ("events",)).polled()), 180, 2)
        except AssertionError as e:
            self.log(str(e))
        drained = time.monotonic()
        try:
            wait_for("every event in a final state", lambda: not check.unfinished(
                check.Topics(bs, self.prefix, ("events", "dlq")), self.receivers_of), 240, 2)
            wait_for("publish's group with nothing left to do", lambda: check.not_final(
                bs, self.group, self.prefix, self.retry_topics) == [], 120, 1)
        except AssertionError as e:
            self.log(str(e))
        self.time("drain (load stopped to all final)", time.monotonic() - drained)

    def finish(self):
        """The checks: returns the exit status (1 on any violation)."""
        self.watching = False
        topics = self.topics = check.Topics(self.broker.bootstrap(), self.prefix)
        left = check.not_final(self.broker.bootstrap(), self.group, self.prefix,
                               self.retry_topics)
        figures, violations = check.check(
            topics, self.seed, self.clients.acked, [e for _, e in self.feeder.fed],
            self.receivers_of, self.clients.unacked, self.disruptions)
        if left != []:
            violations.append(f"publish's group has not committed past {len(left or [])} "
                              f"records (None: offsets unread): {(left or [])[:5]}")
        figures["records publish has not finished"] = len(left) if left is not None else "?"
        for v in violations:
            self.violation(v)
        for p in (self.ingest, self.publish):
            try:
                code = p.stop(timeout=40)
            except AssertionError:   # not stopped in time, so killed: noted below, the run goes on
                code = None
            if code != 0:
                self.violation(f"{p.name} stopped by SIGTERM exited with {code}:\n"
                               f"{p.logs(current=True)[-3000:]}")
            found = check.sanitizer_reports(p.logs())
            if found:
                self.violation(f"{p.name}: sanitizer reports {found[:3]}")
        self.broker.stop()
        for r in self.receivers:
            r.close()
        self.fake.close()
        answers = dict(self.clients.answers)
        figures["client answers"] = ", ".join(f"{k}: {v}" for k, v in sorted(
            answers.items(), key=lambda kv: str(kv[0])))
        return figures

    def report(self, figures, first_rows):
        rows = list(first_rows) + list(figures.items())
        for label, values in sorted(self.timings.items()):
            rows.append((f"max {label} (of {len(values)})", max(values)))
        check.table(f"{self.name}: seed {self.seed}, "
                    f"{(time.monotonic() - self.started) / 60:.1f} min", rows)
        if self.violations:
            with open(os.path.join(self.work, "run.json"), "w") as f:
                clients, feeder = getattr(self, "clients", None), getattr(self, "feeder", None)
                json.dump({"timeline": self.timeline, "acked": clients and clients.acked,
                           "fed": feeder and feeder.fed, "disruptions": self.disruptions, "prefix": self.prefix, "group": self.group,
                           "receivers": {r.name: {"url": r.url, "outages": r.outages,
                                                  "requests": r.answered()}
                                         for r in self.receivers}}, f)
            print(f"\n{len(self.violations)} violations; logs and run.json in {self.work}")
            return 1
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.rmtree(self.broker.dir, ignore_errors=True)
        print("\nno violation")
        return 0
