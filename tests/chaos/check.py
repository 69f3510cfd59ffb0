"""What a chaos run ends with: reads the run's topics with kcat (an independent client) and the
receivers' records, computes from each event's fate and from what its receiver answered the final
state it must have (delivered, dead-lettered and why, skipped), and returns the figures and every
violation of the guarantees."""
import json
import os
import subprocess

from world import SKIPPED_INSTANCES, STEPS, fate
import harness
from harness import SOURCE

LIBS = os.path.join(SOURCE, "deploy", "kafka", "target", "kafka-libs")


def kcat_read(broker, topic):
    """harness.kcat_read with a time limit for the topics of a long run."""
    return harness.kcat_read(broker, topic, timeout=900)


class Topics:
    """The run's records: events (closeio.events), dlq, deliveries (the attempts log)."""

    def __init__(self, bootstrap, prefix, parts=("events", "dlq", "deliveries")):
        names = {"events": "closeio.events", "dlq": "closeio.events.dlq",
                 "deliveries": "closeio.deliveries"}
        for part in ("events", "dlq", "deliveries"):
            setattr(self, part, kcat_read(bootstrap, prefix + names[part]) if part in parts
                    else [])
        self.by_id = {}
        for r in self.events:
            self.by_id.setdefault(r["headers"].get("ce_id"), []).append(r)
        self.dead = {}
        for r in self.dlq:
            self.dead.setdefault(r["headers"].get("ce_id"), []).append(r)
        self.log = {}
        for r in self.deliveries:
            rec = json.loads(r["payload"])
            self.log.setdefault(rec["envelopeId"], []).append(rec)

    def polled(self):
        """Close event id -> how many envelopes of origin polling carry it."""
        out = {}
        for r in self.events:
            if r["headers"].get("ce_origin") == "polling":
                raw = json.loads(r["payload"])["data"]["raw"]["event"]["id"]
                out[raw] = out.get(raw, 0) + 1
        return out

    def instance_of(self, event_id):
        return self.by_id[event_id][0]["key"]


def group_offsets(bootstrap, group, prefix):
    """(topic without the prefix, partition) -> offset publish's group committed (None: none),
    read with Kafka's own ConsumerGroupCommand; {} when it could not tell."""
    out = subprocess.run(
        ["java", "-Xmx256m", "-cp", os.path.join(LIBS, "*"),
         "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server",
         bootstrap, "--describe", "--group", group],
        capture_output=True, timeout=120)
    got = {}
    for line in out.stdout.decode(errors="replace").splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[0] == group and cols[1].startswith(prefix) and \
                cols[2].isdigit():
            got[(cols[1][len(prefix):], int(cols[2]))] = int(cols[3]) if cols[3].isdigit() \
                else None
    return got


def not_final(bootstrap, group, prefix, retry_topics):
    """The records of closeio.events and the retry topics at or past publish's committed
    offsets: what publish has not finished. (Compared with records, not with log end offsets:
    a poller's transaction ends with a commit marker, which takes an offset no consumer sees.)
    None when the group's offsets could not be read."""
    committed = group_offsets(bootstrap, group, prefix)
    if not committed:
        return None
    left = []
    for topic in ["closeio.events"] + list(retry_topics):
        for r in kcat_read(bootstrap, prefix + topic):
            c = committed.get((topic, r["partition"]))
            if c is None or r["offset"] >= c:
                left.append((topic, r["partition"], r["offset"], r["headers"].get("ce_id")))
    return left


def unfinished(topics, receivers_of):
    """Envelope ids on closeio.events with no final state yet as far as receivers and the DLQ
    tell (skipped instances' events count as final)."""
    delivered = set()
    for rec in {r for r in receivers_of.values() if r}:
        delivered |= {q["id"] for q in rec.answered() if 200 <= q.get("status", 0) < 300}
    return [i for i in topics.by_id if topics.instance_of(i) not in SKIPPED_INSTANCES
            and i not in delivered and i not in topics.dead]


def overlaps(outages, start, end):
    return any(s <= end and (e is None or e >= start) for s, e in outages)


def check(topics, seed, acked, fed, receivers_of, unacked=(), disruptions=()):
    """Returns (figures, violations). acked: envelope id -> (instance, epoch s); fed: Close
    event ids fed to the Event Log; receivers_of: instance id (text) -> receiver or None."""
    v, f = [], {}
    receivers = {r for r in receivers_of.values() if r}
    answers = {}   # envelope id -> the receiver's records for it
    for rec in receivers:
        for q in rec.answered():
            answers.setdefault(q["id"], []).append(q)

    # acknowledged webhooks: every one on the topic
    f["webhooks acknowledged"] = len(acked)
    lost_acked = [i for i in acked if i not in topics.by_id]
    f["acknowledged, on closeio.events"] = len(acked) - len(lost_acked)
    if lost_acked:
        v.append(f"{len(lost_acked)} acknowledged webhooks not on closeio.events, e.g. "
                 f"{lost_acked[:3]}")
    if unacked:
        v.append(f"{len(unacked)} webhooks never acknowledged although sent again and again, "
                 f"e.g. {list(unacked)[:3]}")
    webhook_copies = sum(len(rs) - 1 for i, rs in topics.by_id.items()
                         if rs[0]["headers"].get("ce_origin") == "webhook")
    f["webhooks on closeio.events twice (a lost ack)"] = webhook_copies

    # the Event Log: every entry published once
    polled = topics.polled()
    f["Event Log entries fed"] = len(fed)
    missing = [e for e in fed if e not in polled]
    twice = [e for e in fed if polled.get(e, 0) > 1]
    f["Event Log entries published once"] = len(fed) - len(missing) - len(twice)
    if missing:
        v.append(f"{len(missing)} Event Log entries never published, e.g. {missing[:3]}")
    if twice:
        v.append(f"{len(twice)} Event Log entries published more than once, e.g. {twice[:3]}")

    # each event's final state, per the rules
    counts = dict.fromkeys(["delivered", "dead: 410 Gone", "dead: retries exhausted",
                            "dead after outages or time-outs", "skipped", "stuck"], 0)
    dup_deliveries, dup_calm, bad = 0, 0, []
    for eid, recs in topics.by_id.items():
        iid = recs[0]["key"]
        got = answers.get(eid, [])
        ok2xx = [q for q in got if 200 <= q.get("status", 0) < 300]
        dead = topics.dead.get(eid, [])
        log = topics.log.get(eid, [])
        if iid in SKIPPED_INSTANCES:
            counts["skipped"] += 1
            # publish logs why it skipped (outcome "skipped"), and nothing else
            attempted = [a for a in log if a["outcome"] != "skipped"]
            if got or dead or attempted:
                bad.append(f"{eid}: instance {iid} is not enabled, yet {len(got)} requests, "
                           f"{len(dead)} dead letters, {len(attempted)} attempts logged")
            continue
        if receivers_of.get(iid) is None:
            bad.append(f"{eid}: instance {iid} unknown to the run")
            continue
        kind, k = fate(seed, eid)
        dup_deliveries += max(0, len(ok2xx) - 1)
        # a second delivery far from any fault is worth a look
        dup_calm += sum(1 for q in sorted(ok2xx, key=lambda q: q["at"])[1:]
                        if not overlaps(disruptions, q["at"] - 30, q["at"]))
        if not ok2xx and not dead:
            counts["stuck"] += 1
            bad.append(f"{eid} ({kind}): no final state: {len(got)} requests "
                       f"{[q.get('status', q['kind']) for q in got]}, attempts logged "
                       f"{[(a['attempt'], a['outcome'], a['status']) for a in log]}")
            continue
        if ok2xx and not dead:
            counts["delivered"] += 1
        for d in dead[:1]:
            h = d["headers"]
            reason, attempt = h.get("cb-dead-reason", ""), h.get("cb-attempt")
            if "410" in reason:
                counts["dead: 410 Gone"] += 1
                if kind != "gone" or h.get("cb-last-status") != "410" or \
                        not any(q.get("status") == 410 for q in got):
                    bad.append(f"{eid} ({kind}): dead-lettered for a 410 its receiver never "
                               f"gave: {h}")
            elif reason.startswith("retries exhausted"):
                # "(the destination's circuit breaker was open)": the last attempt was one the
                # open breaker stood in for, failed without a request
                counts["dead: retries exhausted"] += 1
                failed = {a["attempt"] for a in log
                          if a["outcome"] in ("retry", "dead", "breaker-open")}
                if attempt != str(STEPS + 1):
                    bad.append(f"{eid}: dead-lettered at attempt {attempt}, not {STEPS + 1}")
                elif kind != "fail":
                    # only S+1 failures seen by publish justify it: more than the fate gave
                    # (the receiver down or cut off, answers later than the time limit)
                    counts["dead after outages or time-outs"] += 1
                    if len(failed) < STEPS + 1:
                        bad.append(f"{eid} ({kind}, {k}): dead-lettered with only "
                                   f"{sorted(failed)} failed attempts logged")
            else:
                bad.append(f"{eid}: dead-lettered for {reason!r}")
        if not dead and kind in ("fail", "gone"):
            bad.append(f"{eid} ({kind}): delivered although its receiver never answers 2xx")

    # the attempts log agrees with what the receivers answered
    disagree = 0
    for eid, log in topics.log.items():
        statuses = {q.get("status") for q in answers.get(eid, [])}
        for a in log:
            s = a.get("status")
            if s is not None and s not in statuses:
                disagree += 1
                bad.append(f"{eid}: attempt {a['attempt']} logged with status {s}, which its "
                           f"receiver never gave")
            if (a["outcome"] == "delivered") != (s is not None and 200 <= s < 300):
                disagree += 1
                bad.append(f"{eid}: attempt {a['attempt']} logged {a['outcome']} with {s}")
    phantom = [i for i in answers if i not in topics.by_id]
    if phantom:
        v.append(f"{len(phantom)} callbacks for envelopes not on closeio.events: {phantom[:3]}")
    f.update({"events on closeio.events (distinct)": len(topics.by_id)})
    f.update(counts)
    f["delivered more than once (extra 2xx)"] = dup_deliveries
    f["  of which not within 30 s of a fault"] = dup_calm
    f["delivery attempts (receivers)"] = sum(len(a) for a in answers.values())
    f["attempts log records"] = len(topics.deliveries)
    f["attempts log disagreeing with receivers"] = disagree
    f["events lost"] = len(lost_acked) + len(missing) + counts["stuck"]
    if bad:
        v.append(f"{len(bad)} events not in the state the rules give them:\n  "
                 + "\n  ".join(bad[:20]))
    return f, v


def sanitizer_reports(text):
    return [m.group(0) for m in harness.SANITIZER_REPORT.finditer(text)]


def table(title, rows):
    """Prints rows (label, value) as a two-column table."""
    width = max(len(label) for label, _ in rows)
    print(f"\n{title}\n" + "-" * (width + 14))
    for label, value in rows:
        value = f"{value:.1f} s" if isinstance(value, float) else str(value)
        print(f"{label:<{width}}  {value:>10}")
    print("-" * (width + 14), flush=True)
