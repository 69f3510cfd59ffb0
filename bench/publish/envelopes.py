#!/usr/bin/env python3
"""Envelopes for the publish benchmark (bench/publish/run.sh), and the analysis of its topics.

  envelopes.py gen     --count N --phase P --instances K --raw FILE --ids IDS [--rate R]
  envelopes.py analyse --events F --deliveries F --ids1 IDS --ids2 IDS

gen writes N envelopes to stdout, one a line as "INSTANCE_ID:ENVELOPE_JSON" (for
`kcat -P -K:`), and their ids to IDS, one a line. Each envelope is the structured-mode
CloudEvent ingest writes (README.md, "The envelope") for a Close "lead updated" webhook: the raw
payload is FILE (tests/data/legacy_update.json) with the lead id replaced by the envelope's own
object, so every envelope has a unique "id" and "subject" (per-object ordering serialises
nothing) and the instances 1..K take turns (key = instance id). With --rate R the lines come at R
a second, in batches every 10 ms, flushed as they go (stdout feeds kcat -P): a steady load.
Without it they are written as fast as possible.

analyse reads the events topic as `kcat -f '%T\\t%s\\n'` lines (record timestamp, value) and the
attempts log as `kcat -f '%s\\n'` lines (one JSON record per attempt), and prints one line:

  delivered1 first1_ms last1_ms delivered2 matched2 p50 p90 p99 max records dup other

delivered1/2: distinct envelopes of phase 1/2 (ids in IDS1/IDS2) with a "delivered" record;
first1/last1: the earliest and latest "at" of phase 1's deliveries (epoch ms); matched2: phase-2
envelopes found both on the events topic and delivered; p50..max: their end-to-end latency in ms,
"at" (the attempt is over) minus the envelope record's Kafka timestamp (nearest-rank
percentiles); records: attempts-log records read; dup: "delivered" records beyond the first per
envelope; other: records whose outcome is not "delivered".
"""
import argparse
import hashlib
import json
import math
import random
import re
import sys
import time
from datetime import datetime, timezone

ORIGINAL_LEAD = "lead_BW9v0Uf82ZZyJh2Jhi7YcDEYhGQw6naCg8KhYA7Ffus"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def iso_ms(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % (int(t * 1000) % 1000)


def envelopes(count, phase, instances, raw_text):
    """Yields (instance id, envelope id, line) for count envelopes of phase."""
    if ORIGINAL_LEAD not in raw_text:
        sys.exit("envelopes.py: the raw payload does not hold %s" % ORIGINAL_LEAD)
    raw_text = json.dumps(json.loads(raw_text), separators=(",", ":"))
    rng = random.Random(phase * 7919 + count)
    salt = "%d-%d-%f" % (phase, count, time.time())
    for i in range(count):
        inst = i % instances + 1
        lead = "lead_" + "".join(rng.choice(ALNUM) for _ in range(43))
        env_id = "cb_" + hashlib.md5(("%s-%d" % (salt, i)).encode()).hexdigest()
        when = iso_ms(time.time())
        env = ('{"specversion":"1.0","id":"%s","source":"/closeio/instances/%d",'
               '"type":"io.close.lead.updated","subject":"lead/%s","time":"%s",'
               '"datacontenttype":"application/json","instanceid":"%d","elementkey":"closeio",'
               '"origin":"webhook","data":{"eventType":"UPDATED","objectType":"leads",'
               '"objectId":"%s","date":"%s","raw":%s}}'
               % (env_id, inst, lead, when, inst, lead, when,
                  raw_text.replace(ORIGINAL_LEAD, lead)))
        yield inst, env_id, "%d:%s\n" % (inst, env)


def gen(args):
    with open(args.raw) as f:
        raw_text = f.read()
    out = sys.stdout
    ids = open(args.ids, "w")
    items = envelopes(args.count, args.phase, args.instances, raw_text)
    if not args.rate:
        for _, env_id, line in items:
            out.write(line)
            ids.write(env_id + "\n")
        out.flush()
        ids.close()
        return
    # Steady load: at the end of each 10 ms tick, the lines due by then (no drift from rounding).
    tick = 0.01
    start = time.monotonic()
    sent = 0
    k = 0
    while sent < args.count:
        k += 1
        due = min(args.count, int(k * tick * args.rate))
        batch = []
        for _ in range(due - sent):
            _, env_id, line = next(items)
            batch.append(line)
            ids.write(env_id + "\n")
        wait = start + k * tick - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        if batch:
            out.write("".join(batch))
            out.flush()
            sent += len(batch)
    ids.close()
    took = time.monotonic() - start
    print("envelopes.py: %d envelopes in %.2f s (%.0f/s)" % (sent, took, sent / took if took else 0),
          file=sys.stderr)


def at_ms(s):
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000 + 0.5)


def analyse(args):
    ids1 = set(open(args.ids1).read().split())
    ids2 = set(open(args.ids2).read().split())
    id_re = re.compile(r'"id":"(cb_[0-9a-f]{32})"')
    produced = {}  # phase-2 envelope id -> record timestamp (ms)
    with open(args.events, errors="replace") as f:
        for line in f:
            ts, _, value = line.partition("\t")
            m = id_re.search(value, 0, 200)
            if m and m.group(1) in ids2:
                produced[m.group(1)] = int(ts)
    delivered = {}  # envelope id -> "at" of its first delivered record (ms)
    records = dup = other = 0
    with open(args.deliveries, errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            records += 1
            if rec.get("outcome") != "delivered":
                other += 1
                continue
            eid = rec.get("envelopeId")
            if eid in delivered:
                dup += 1
                continue
            delivered[eid] = at_ms(rec["at"])
    d1 = [delivered[e] for e in ids1 if e in delivered]
    lat = sorted(delivered[e] - produced[e] for e in ids2 if e in delivered and e in produced)

    def pct(p):
        return lat[max(0, math.ceil(p * len(lat)) - 1)] if lat else -1

    print(len(d1), min(d1) if d1 else 0, max(d1) if d1 else 0,
          sum(1 for e in ids2 if e in delivered), len(lat),
          pct(0.50), pct(0.90), pct(0.99), lat[-1] if lat else -1, records, dup, other)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--phase", type=int, required=True)
    g.add_argument("--instances", type=int, default=4)
    g.add_argument("--raw", required=True)
    g.add_argument("--ids", required=True)
    g.add_argument("--rate", type=float, default=0)
    a = sub.add_parser("analyse")
    a.add_argument("--events", required=True)
    a.add_argument("--deliveries", required=True)
    a.add_argument("--ids1", required=True)
    a.add_argument("--ids2", required=True)
    args = ap.parse_args()
    if args.cmd == "gen":
        try:
            gen(args)
        except BrokenPipeError:
            sys.exit("envelopes.py: the reader (kcat) went away")
    else:
        analyse(args)


if __name__ == "__main__":
    main()
