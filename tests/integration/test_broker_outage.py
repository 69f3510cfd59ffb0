"""A webhook sent while the broker is down gets 503 with Retry-After within the configured
acknowledgement time-out, never a 2xx; once the broker is back the same webhook is accepted and
its envelope is on the topic. Uses a broker of its own, so stopping it disturbs no other test."""
import os
import subprocess
import time

from harness import (BUILD, SOURCE, Bridge, Receiver, b64id, bootstrap, fixture, request, instance,
                     kcat_read, run, wait_for)

KAFKA_SH = os.path.join(SOURCE, "deploy", "kafka", "kafka.sh")
ACK_TIMEOUT_MS = 3000


def kafka(cmd, kafka_dir):
    subprocess.run([KAFKA_SH, cmd, kafka_dir], check=True, timeout=180)


def test_webhook_gets_503_while_the_broker_is_down_and_202_after():
    kafka_dir = os.path.join(BUILD, "kafka-outage")
    subprocess.run(["rm", "-rf", kafka_dir], check=True)
    kafka("start", kafka_dir)
    receiver = Receiver()
    bridge = Bridge([instance(7, receiver.url)], kafka_dir=kafka_dir)
    failed = True
    try:
        ingest = bridge.ingest("--ack-timeout-ms", str(ACK_TIMEOUT_MS),
                               "--retry-after-s", "2").ready()
        url = f"{ingest.url}/events/closeio/{b64id(7)}"
        headers = {"Content-Type": "application/json"}
        assert request("POST", url, fixture("legacy_create.json"), headers).status == 202

        kafka("stop", kafka_dir)
        payload = fixture("legacy_update.json")
        started = time.monotonic()
        r = request("POST", url, payload, headers, timeout=60)
        elapsed = time.monotonic() - started
        assert r.status == 503, (r.status, r.body)
        assert r.headers.get("Retry-After") == "2", r.headers
        # Answered within the acknowledgement bound (plus slack for a busy machine).
        assert elapsed < ACK_TIMEOUT_MS / 1000 + 5, elapsed
        assert request("GET", ingest.url + "/healthz").status == 200

        kafka("start", kafka_dir)
        # As Close would: send the same webhook again until it is accepted.
        accepted = wait_for("the webhook to be accepted again",
                            lambda: (lambda r: r if r.status == 202 else None)(
                                request("POST", url, payload, headers)), timeout=90, interval=0.5)
        event_id = accepted.json()["ids"][0]
        records = wait_for("the envelope on the topic", lambda: [
            rec for rec in kcat_read(bootstrap(kafka_dir), bridge.topic("closeio.events"))
            if rec["headers"].get("ce_id") == event_id])
        assert records[0]["key"] == "7"
        assert ingest.stop() == 0
        failed = False
    finally:
        bridge.close(failed)
        receiver.close()
        kafka("stop", kafka_dir)


if __name__ == "__main__":
    run([test_webhook_gets_503_while_the_broker_is_down_and_202_after])
