"""Chaos run: continuous distinct webhooks from several clients, polling instances fed by a fake
Close Event Log, receivers that fail, time out, answer slowly and answer 410 at random (each
event's fate, world.fate), and at random moments kill -9 and restart of ingest and publish
(each at least three times), broker stops and starts (a broker of the run's own) and receivers
down for a while. Then the load stops, every event is given time to reach a final state, and
check.py checks the guarantees: every acknowledged webhook on closeio.events, every Event Log
entry published once, every event delivered at least once or dead-lettered per the rules, none
stuck, none lost. Prints the figures as a table; exits 1 on any violation.

    chaos.py [--minutes M] [--seed S] [--clients N] [--breaker-cooldown-ms MS]

--minutes is the length of the load with faults (default 2: about 3.5 minutes in all); ctest
runs the short form (chaos.short), any length runs by hand."""
import argparse
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Run  # noqa: E402


def plan(rnd, seconds):
    """The faults, in a random order: kill -9 of ingest and of publish (three each at least,
    one more per 40 s of load), a broker outage (one more per 5 minutes) and receivers down
    (one more per 2 minutes)."""
    kills = max(3, int(seconds / 40))
    actions = ([("kill", "ingest")] * kills + [("kill", "publish")] * kills
               + [("broker", None)] * max(1, int(seconds / 300))
               + [("receiver", None)] * max(1, int(seconds / 120)))
    rnd.shuffle(actions)
    return actions


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=random.SystemRandom().randrange(10 ** 6))
    ap.add_argument("--clients", type=int, default=4)
    # short, so that a backlog of always-failing events reaches the DLQ within the run: an
    # open breaker lets one attempt through per cooldown and destination
    ap.add_argument("--breaker-cooldown-ms", type=int, default=100)
    args = ap.parse_args()
    seconds = args.minutes * 60
    run = Run("chaos", args.seed, clients=args.clients,
              breaker_cooldown_ms=args.breaker_cooldown_ms)
    run.log(f"chaos: seed {args.seed}, {args.minutes} minutes of load with faults")
    killed = {"ingest": 0, "publish": 0}
    try:
        run.setup()
        run.clients.start()
        run.feeder.start()
        begin = time.monotonic()
        actions = plan(run.rnd, seconds)
        background = []
        for i, (what, arg) in enumerate(actions):
            # spread the faults over the load, at random moments
            left = seconds - (time.monotonic() - begin)
            time.sleep(max(0.0, run.rnd.uniform(0.3, 1.2) * left / (len(actions) - i + 0.5)))
            if what == "kill":
                run.kill_restart(run.ingest if arg == "ingest" else run.publish)
                killed[arg] += 1
            elif what == "broker":
                run.broker_outage(run.rnd.uniform(5, 15))
            else:
                rec = run.rnd.choice(run.receivers)
                t = threading.Thread(target=run.receiver_down,
                                     args=(rec, run.rnd.uniform(5, 20)), daemon=True)
                t.start()
                background.append(t)
        time.sleep(max(0.0, seconds - (time.monotonic() - begin)))   # the rest of the load
        for t in background:
            t.join()
        run.drain()
        figures = run.finish()
    except Exception as e:   # a failure of the run itself: report it, clean up
        run.abort(e)
        figures = {}
    sys.exit(run.report(figures, [("kill -9 of ingest / of publish",
                                   f"{killed['ingest']} / {killed['publish']}")]))


if __name__ == "__main__":
    main()
