"""docs/openapi.yaml checked against the running processes by Schemathesis (PyPI schemathesis,
its `st` command from the tests' venv): requests generated from the spec, valid and invalid,
for every operation of ingest (at its root and under the Cloud Elements prefix), of publish and
of the console (at its root and under the prefix, over the events the runs against ingest made),
each answer checked against the spec: no 5xx it does not list, every status code, content type,
header and body as it says, 405 with Allow for a method a path does not serve, 401 without the
admin credentials where they are needed. Then the three processes must still be alive, ready,
and stop cleanly.

Nothing generated leaves loopback: instances that Schemathesis creates may poll any
`base.url` or call back any URL, so ingest's poller and publish's deliveries go through a
proxy address on loopback where nothing listens."""
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import yaml
from prometheus_client.parser import text_string_to_metric_families

from harness import (JSON, SOURCE, b64id, bridged, fixture, free_port, instance, request, run,
                     wait_for)

SPEC = os.path.join(SOURCE, "docs", "openapi.yaml")
ST = os.path.join(os.path.dirname(sys.executable), "st")
ADMIN_ARGS = ["--admin-user-secret", "u-secret", "--admin-org-secret", "o-secret"]
ADMIN = "User u-secret, Organization o-secret"
SACRIFICE = 20931  # the spec's example id: the examples phase may change and delete it
WEBHOOKS = 4242    # where generated events go
SIGNED = 777
SIG_KEY = "b9260244ef33625f9b4b26a27db08758cdd39478b852c73f2d33ab042eb8abb4"
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance", "unsupported_method",
          "ignored_auth"]
# Reproducible by default; CB_SCHEMATHESIS_SEED / _EXAMPLES explore further by hand.
SEED = os.environ.get("CB_SCHEMATHESIS_SEED", "20931")
EXAMPLES = os.environ.get("CB_SCHEMATHESIS_EXAMPLES", "25")


def operations(tags):
    """The "METHOD /path" of every operation the spec gives one of tags (read with PyYAML)."""
    with open(SPEC) as f:
        spec = yaml.safe_load(f)
    return {f"{method.upper()} {path}" for path, item in spec["paths"].items()
            for method, op in item.items() if isinstance(op, dict) and "responses" in op
            and set(op.get("tags", [])) & set(tags)}


def config(work, name, fixed, pinned):
    """A schemathesis.toml: the admin credentials for adminAuth, the parameters of fixed
    ({"path.b64id": value}) fixed in every operation. Each parameter of pinned is fixed too, in
    the operations whose path has it, which it leaves with one request to make (no other
    parameters): they run no fuzzing phase (Hypothesis would fail its health check)."""
    path = os.path.join(work, f"schemathesis-{name}.toml")
    with open(path, "w") as f:
        f.write(f'[auth.openapi.adminAuth]\napi_key = "{ADMIN}"\n')
        if fixed:
            f.write("[parameters]\n" + "".join(f'"{k}" = {json.dumps(v)}\n'
                                               for k, v in fixed.items()))
        for key, value in (pinned or {}).items():
            where = re.escape("{" + key.split(".", 1)[1] + "}")
            f.write(f"[[operations]]\ninclude-path-regex = {json.dumps(where)}\n"
                    f"phases.fuzzing.enabled = false\n[operations.parameters]\n"
                    f'"{key}" = {json.dumps(value)}\n')
    return path


def schemathesis(work, name, url, tags, fixed=None, pinned=None, stateful=True,
                 examples=EXAMPLES):
    """Runs st against url for the operations of tags; asserts it passed and tested each one."""
    junit = os.path.join(work, f"{name}.xml")
    phases = "examples,coverage,fuzzing" + (",stateful" if stateful else "")
    # one worker: with two, Hypothesis failed now and then on this Python 3.11 ("AST
    # constructor recursion depth mismatch": CPython's parser racing in two threads)
    cmd = [ST, "--no-color", "--config-file", config(work, name, fixed, pinned), "run", SPEC,
           "--url", url,
           "--checks", ",".join(CHECKS), "--phases", phases, "--max-examples", str(examples),
           "--seed", SEED, "--request-timeout", "30", "--workers", "1",
           "--report", "junit", "--report-junit-path", junit]
    for tag in tags:
        cmd += ["--include-tag", tag]
    print(f"schemathesis {name}: {' '.join(cmd[1:])}", flush=True)
    out = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=240)
    text = out.stdout + out.stderr
    assert out.returncode == 0, f"schemathesis {name} failed ({out.returncode}):\n{text}"
    tested = {case.get("name") for case in ET.parse(junit).getroot().iter("testcase")}
    missing = operations(tags) - tested
    assert not missing, f"schemathesis {name} did not test {sorted(missing)}:\n{text}"
    summary = [line.strip() for line in text.splitlines() if "generated" in line]
    print(f"schemathesis {name}: {len(tested)} operations, {summary[-1] if summary else text}",
          flush=True)


def answered(service):
    """{(route, code): count} of closebridge_http_requests_total, parsed by prometheus_client."""
    text = request("GET", service.url + "/metrics").body.decode()
    return {(s.labels["route"], s.labels["code"]): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name == "closebridge_http_requests_total"}


def console_events(ingest, console):
    """Two webhooks of WEBHOOKS posted; returns their envelope ids once the console shows an
    attempt of each (publish's deliveries all fail through the proxy: retrying, then dead)."""
    ids = []
    for n in range(2):
        body = json.loads(fixture("modern_lead_created.json"))
        body["event"].update(id=f"ev_openapi{n}", object_id=f"lead_openapi{n}")
        r = request("POST", f"{ingest.url}/events/closeio/{b64id(WEBHOOKS)}",
                    json.dumps(body).encode(), JSON)
        assert r.status == 202, (r.status, r.body)
        ids.append(r.json()["ids"][0])

    def shown(env_id):
        r = request("GET", f"{console.url}/instances/{WEBHOOKS}/events/{env_id}",
                    headers={"Authorization": ADMIN})
        return r.status == 200 and r.json()["deliveries"] and r.json()["envelope"]
    wait_for("the console to show an attempt of each webhook", lambda: all(map(shown, ids)), 60)
    return ids


def test_every_answer_of_ingest_publish_and_console_keeps_to_the_spec():
    instances = lambda url: [  # noqa: E731
        instance(SACRIFICE, url), instance(WEBHOOKS, url),
        instance(SIGNED, url, **{"event.webhook.signature.key": SIG_KEY})]
    with bridged(instances) as (bridge, _):
        nowhere = f"http://127.0.0.1:{free_port()}"
        proxy = {name: nowhere for name in
                 ("ALL_PROXY", "all_proxy", "http_proxy", "https_proxy", "HTTPS_PROXY")}
        proxy.update(NO_PROXY="", no_proxy="")
        ingest = bridge.ingest(*ADMIN_ARGS, "--close-api-base", nowhere + "/api/v1",
                               env=proxy).ready()
        publish = bridge.publish("--delivery-proxy", nowhere).ready()

        schemathesis(bridge.work, "ingest", ingest.url, ["events", "instances", "operations"],
                     fixed={"path.b64id": b64id(WEBHOOKS)})
        codes = answered(ingest)
        # what the run reached, as ingest counted it: events accepted and refused, instances
        # made, credentials and methods refused
        for route, code in [("webhook", "202"), ("webhook", "400"), ("webhook", "405"),
                            ("polling", "202"), ("polling", "400"), ("instances", "200"),
                            ("instances", "400"), ("instances", "401"), ("metrics", "405")]:
            assert codes.get((route, code), 0) >= 1, (route, code, codes)
        # random ids, under the prefix Cloud Elements used
        schemathesis(bridge.work, "ingest-prefix", ingest.url + "/elements/api-v2",
                     ["events", "instances"])
        after = answered(ingest)
        for route, code in [("webhook", "404"), ("instances", "200")]:
            assert after.get((route, code), 0) > codes.get((route, code), 0), (route, code)
        schemathesis(bridge.work, "publish", publish.url, ["operations"], stateful=False)
        assert answered(publish).get(("healthz", "405"), 0) >= 1
        # an error message cut inside a UTF-8 character would make the body invalid JSON,
        # which random data seldom reaches: "<key>" cannot be changed, the key cut at 64 bytes
        r = request("PATCH", f"{ingest.url}/instances/{WEBHOOKS}",
                    json.dumps({"x" + "\u00e9" * 40: 1}).encode(), {"Authorization": ADMIN})
        assert r.status == 400 and r.json()["error"]["status"] == 400, (r.status, r.body)

        # the console, over every event the runs above made (of instances deleted since too),
        # one of WEBHOOKS with its attempts and envelope for the paths with ids
        console = bridge.console(*ADMIN_ARGS).ready()
        ids = console_events(ingest, console)
        # a replay task of those events, for the paths with a task id
        r = request("POST", f"{console.url}/instances/{WEBHOOKS}/events/redeliver?status=delivered",
                    b"", {"Authorization": ADMIN})
        assert r.status == 202, (r.status, r.body)
        task_id = r.json()["id"]
        started = time.monotonic()
        schemathesis(bridge.work, "console", console.url,
                     ["console-events", "console-replay", "console-page", "operations"],
                     fixed={"path.id": WEBHOOKS},
                     pinned={"path.eventId": ids[0], "path.taskId": task_id}, stateful=False)
        # random ids, under the prefix (fewer: Schemathesis's own work is most of the time)
        schemathesis(bridge.work, "console-prefix", console.url + "/elements/api-v2",
                     ["console-events", "console-replay"], stateful=False, examples=10)
        print(f"console's runs: {time.monotonic() - started:.1f} s", flush=True)
        codes = answered(console)
        for code in ("200", "400", "401", "404", "405"):
            assert codes.get(("events", code), 0) >= 1, (code, codes)
        for route, code in (("page", "200"), ("summary", "200"), ("redeliver", "202"), ("redeliver-task", "202"),
                            ("redeliver-task", "400"), ("tasks", "200"), ("tasks", "404")):
            assert codes.get((route, code), 0) >= 1, (route, code, codes)

        for service in (ingest, publish, console):
            assert service.proc.poll() is None, f"{service.name} died:\n{service.logs()}"
            assert request("GET", service.url + "/readyz").json() == {"status": "ready"}
        print("ingest answered:", json.dumps({f"{route} {code}": int(n) for (route, code), n
                                              in sorted(answered(ingest).items())}))
        print("console answered:", json.dumps({f"{route} {code}": int(n) for (route, code), n
                                               in sorted(answered(console).items())}))
        assert ingest.stop() == 0 and publish.stop() == 0 and console.stop() == 0


if __name__ == "__main__":
    run([test_every_answer_of_ingest_publish_and_console_keeps_to_the_spec])
