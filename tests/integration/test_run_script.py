"""The README's first command, deploy/run.sh, as a new user runs it: with no Kafka configured it
starts a local broker, runs ingest, publish and the demo receiver, prints the webhook URL; a
webhook sent there shows up as a printed callback; Ctrl-C (SIGINT) stops everything."""
import os
import signal
import socket
import subprocess
import tempfile
import threading

from harness import BUILD, SOURCE, fixture, free_port, request, run, wait_for


def port_closed(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_run_script_serves_the_demo_instance_and_stops_on_ctrl_c():
    ports = {"INGEST_PORT": free_port(), "PUBLISH_PORT": free_port(),
             "CONSOLE_PORT": free_port(), "RECEIVER_PORT": free_port()}
    env = dict(os.environ, BUILD_DIR=BUILD, CLOSEBRIDGE_ADMIN_USER_SECRET="u-run",
               CLOSEBRIDGE_ADMIN_ORG_SECRET="o-run", **{k: str(v) for k, v in ports.items()})
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    kafka_dir = tempfile.mkdtemp(prefix="run-kafka-", dir=os.path.join(BUILD, "tests"))
    env["LOCAL_KAFKA_DIR"] = kafka_dir
    # its own process group, so that a failed test can stop everything it started
    proc = subprocess.Popen([os.path.join(SOURCE, "deploy", "run.sh")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(
        line.decode(errors="replace").rstrip("\n") for line in proc.stdout), daemon=True)
    reader.start()
    try:
        url = wait_for("the webhook URL", lambda: next(
            (l.split("Webhook URL: ")[1] for l in list(lines) if "Webhook URL: " in l), None),
            timeout=180)
        assert url == f"http://127.0.0.1:{ports['INGEST_PORT']}/events/closeio/MjA5MzE=", url
        assert any("curl -i" in l for l in lines)
        r = request("POST", url, fixture("legacy_update.json"),
                    {"Content-Type": "application/json"})
        assert r.status == 202, (r.status, r.body)
        event_id = r.json()["ids"][0]
        wait_for("the printed callback", lambda: f"webhook-id: {event_id}" in list(lines))
        assert any('"eventType":"UPDATED"' in l for l in lines)
        # the console it started says where the event is
        console = f"http://127.0.0.1:{ports['CONSOLE_PORT']}/instances/20931/events/{event_id}"
        admin = {"Authorization": "User u-run, Organization o-run"}

        def delivered():
            r = request("GET", console, headers=admin)
            return r.status == 200 and r.json()["status"] == "delivered"
        wait_for("the console to show the event delivered", delivered)

        # Ctrl-C in a terminal: SIGINT to the whole foreground process group at once
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=90) == 0
        reader.join(10)
        assert any("run.sh: stopped everything" in l for l in lines), lines[-10:]
        assert not any("a process exited" in l for l in lines), lines[-10:]
        for port in ports.values():
            assert port_closed(port), port
        assert not os.path.exists(os.path.join(kafka_dir, "kafka.pid"))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            print("\n".join(lines))
        subprocess.run([os.path.join(SOURCE, "deploy", "kafka", "kafka.sh"), "stop", kafka_dir])


if __name__ == "__main__":
    run([test_run_script_serves_the_demo_instance_and_stops_on_ctrl_c])
