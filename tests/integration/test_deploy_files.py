"""Dockerfile and docker-compose.yml cannot be built or run here (no Docker engine), so this
reads them: the image is built by the same scripts CI runs, and compose names only binaries,
commands and settings that exist."""
import os
import re
import subprocess

import yaml

from harness import BUILD, SOURCE, run

BINARIES = {"closebridge-ingest", "closebridge-publish", "closebridge-demo-receiver"}


def read(*path):
    with open(os.path.join(SOURCE, *path)) as f:
        return f.read()


def accepted_env(binary):
    """The CLOSEBRIDGE_* variables that binary's --help lists."""
    out = subprocess.run([os.path.join(BUILD, binary), "--help"], capture_output=True,
                         check=True, timeout=10).stdout.decode()
    return set(re.findall(r"CLOSEBRIDGE_[A-Z0-9_]+", out))


def test_dockerfile_builds_with_the_scripts_ci_runs():
    text = read("Dockerfile")
    stages = re.split(r"(?m)^FROM ", text)[1:]
    assert len(stages) == 2, "a build stage and a runtime stage"
    build, runtime = stages
    assert "deploy/install-deps.sh build" in build
    assert "deploy/build.sh" in build
    assert "install-deps.sh runtime" in runtime
    for binary in ("closebridge-ingest", "closebridge-publish"):
        assert binary in runtime
    assert re.search(r"(?m)^USER (?!root|0\b)\S+", runtime), "runs as a non-root user"
    assert re.search(r"(?m)^HEALTHCHECK ", runtime)
    # every script the Dockerfile calls exists and is executable
    for script in set(re.findall(r"deploy/[\w/.-]+\.sh", text)):
        assert os.access(os.path.join(SOURCE, script), os.X_OK), script
    # and CI runs the same two scripts
    ci = read("deploy", "test.sh")
    assert "install-deps.sh" in ci and "build.sh" in ci


def test_compose_runs_kafka_ingest_and_publish_with_health_checks():
    compose = yaml.safe_load(read("docker-compose.yml"))
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "healthcheck" in services["kafka"]
    for name, binary in (("ingest", "closebridge-ingest"), ("publish", "closebridge-publish")):
        svc = services[name]
        assert svc["command"][0] == binary
        assert svc["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert "readyz" in " ".join(svc["healthcheck"]["test"])
        assert svc["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_compose_uses_only_commands_and_settings_the_binaries_accept():
    compose = yaml.safe_load(read("docker-compose.yml"))
    accepted = {b: accepted_env(b) for b in BINARIES}
    for name, svc in compose["services"].items():
        if name == "kafka":
            continue
        binary = svc["command"][0]
        assert binary in BINARIES, (name, binary)
        flags = [a for a in svc["command"][1:] if a.startswith("--")]
        for flag in flags:
            env = "CLOSEBRIDGE_" + flag[2:].upper().replace("-", "_")
            assert env in accepted[binary], (name, flag)
        for var in (svc.get("environment") or {}):
            if var.startswith("CLOSEBRIDGE_"):
                assert var in accepted[binary], (name, var)
        for volume in svc.get("volumes") or []:
            host = volume.split(":")[0]
            if host.startswith("./"):
                assert os.path.exists(os.path.join(SOURCE, host)), (name, host)


if __name__ == "__main__":
    run([test_dockerfile_builds_with_the_scripts_ci_runs,
         test_compose_runs_kafka_ingest_and_publish_with_health_checks,
         test_compose_uses_only_commands_and_settings_the_binaries_accept])
