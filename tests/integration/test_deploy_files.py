"""What the container stage (tests/containers) cannot check by running: Kubernetes manifests
(no cluster here), the compose override for an existing SASL/TLS Kafka cluster (no such
cluster), and nginx's body limit against ingest's. Each binary is run with the very environment
it would get, so a bad setting fails too. The image, the compose file, its health checks, the
load balancer and scaling are checked by running them (tests/containers/test_compose.py)."""
import glob
import os
import re
import subprocess

import yaml

from harness import BUILD, SOURCE, run

BINARIES = {"closebridge-ingest", "closebridge-publish", "closebridge-console",
            "closebridge-demo-receiver"}
K8S = os.path.join(SOURCE, "deploy", "k8s")
LOG_VALUES = {"CLOSEBRIDGE_LOG_FORMAT": {"json", "text"},
              "CLOSEBRIDGE_LOG_LEVEL": {"debug", "info", "warn", "error"}}


def read(*path):
    with open(os.path.join(SOURCE, *path)) as f:
        return f.read()


_help_cache = {}


def help_text(binary):
    if binary not in _help_cache:
        _help_cache[binary] = subprocess.run(
            [os.path.join(BUILD, binary), "--help"], capture_output=True, check=True,
            timeout=10, env=clean_env()).stdout.decode()
    return _help_cache[binary]


def accepted_env(binary):
    """The CLOSEBRIDGE_* variables that binary's --help lists."""
    return set(re.findall(r"CLOSEBRIDGE_[A-Z0-9_]+", help_text(binary)))


def help_default(binary, flag):
    """The default --help shows for --flag."""
    m = re.search(r"--%s, CLOSEBRIDGE_\S+\n.*\(default: ([^)]*)\)" % re.escape(flag),
                  help_text(binary))
    assert m, (binary, flag)
    return m.group(1)


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith(("CLOSEBRIDGE_", "KAFKA_"))}


def check_settings(where, binary, env, args=()):
    """Every variable in env is one binary takes (CLOSEBRIDGE_* by its --help, KAFKA_* passes
    through to librdkafka), and binary accepts the values: it parses the environment and the
    flags before --help, so a value out of range or of the wrong type fails here."""
    accepted = accepted_env(binary)
    for var, value in env.items():
        if var.startswith("CLOSEBRIDGE_"):
            assert var in accepted, f"{where}: {binary} does not take {var}"
        else:
            assert var.startswith("KAFKA_") and len(var) > 6, f"{where}: {var} is read by nothing"
        if var in LOG_VALUES:
            assert value in LOG_VALUES[var], (where, var, value)
    for flag in [a for a in args if a.startswith("--")]:
        env_name = "CLOSEBRIDGE_" + flag[2:].split("=")[0].upper().replace("-", "_")
        assert env_name in accepted, f"{where}: {binary} does not take {flag}"
    proc = subprocess.run([os.path.join(BUILD, binary), *args, "--help"], capture_output=True,
                          timeout=10, env={**clean_env(), **env})
    assert proc.returncode == 0, (where, proc.stderr.decode())


def listen_port(binary, env, args=()):
    """The HTTP port binary listens on: --http-port, else CLOSEBRIDGE_HTTP_PORT, else default."""
    args = list(args)
    if "--http-port" in args:
        return int(args[args.index("--http-port") + 1])
    return int(env.get("CLOSEBRIDGE_HTTP_PORT") or help_default(binary, "http-port"))


# --- compose ------------------------------------------------------------------------------

class ComposeLoader(yaml.SafeLoader):
    """Compose YAML: !reset and !override are compose's own tags."""


RESET = object()
ComposeLoader.add_constructor("!reset", lambda loader, node: RESET)
ComposeLoader.add_constructor(
    "!override", lambda loader, node: (loader.construct_mapping(node)
                                       if isinstance(node, yaml.MappingNode)
                                       else loader.construct_object(node)))


def load_compose(*path):
    return yaml.load(read(*path), Loader=ComposeLoader)


def interpolate(value):
    """A compose value as it is with none of the variables set in the shell."""
    if not isinstance(value, str):
        return value

    def sub(m):
        if m.group(0) == "$$":
            return "$"
        op, default = m.group(2), m.group(3)
        assert op not in ("?", ":?"), f"${{{m.group(1)}}} must be set"
        return default if op in ("-", ":-") else ""
    return re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", sub, value)


def service_env(svc):
    env = svc.get("environment") or {}
    assert isinstance(env, dict), "environment as a mapping"
    return {k: "" if v is None else str(interpolate(v)) for k, v in env.items()}


def closebridge_services(compose):
    """The services running the closebridge image."""
    return {name: svc for name, svc in compose["services"].items()
            if str(svc.get("image", "")).split(":")[0] == "closebridge"}


def nginx_conf():
    """deploy/compose/nginx.conf without comments."""
    return re.sub(r"(?m)#.*$", "", read("deploy", "compose", "nginx.conf"))


def nginx_size(text):
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", text)
    assert m, text
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def test_nginx_conf_passes_bodies_up_to_ingest_limit():
    # the container stage sends no body near the limit: a smaller client_max_body_size would
    # turn Close's largest webhooks away at nginx
    compose = load_compose("docker-compose.yml")
    conf = nginx_conf()
    limit = nginx_size(re.search(r"(?m)^\s*client_max_body_size\s+(\S+);", conf).group(1))
    ingest_limit = int(service_env(compose["services"]["ingest"]).get(
        "CLOSEBRIDGE_MAX_BODY_BYTES") or help_default("closebridge-ingest", "max-body-bytes"))
    assert limit >= ingest_limit, (limit, ingest_limit)


def test_compose_external_kafka_override():
    base = load_compose("docker-compose.yml")
    over = load_compose("deploy", "compose", "external-kafka.yml")
    assert set(over["services"]) <= set(base["services"]), "overrides unknown services"
    # the local broker does not start, so nothing may still wait for it
    assert over["services"]["kafka"].get("profiles"), "kafka not moved to a profile"
    for name, svc in closebridge_services(base).items():
        if "kafka" not in (svc.get("depends_on") or {}):
            continue
        assert over["services"].get(name, {}).get("depends_on") is RESET, \
            f"{name} still depends on the local kafka"
        # compose's environment wins over env_file: the base's address must go
        o = over["services"][name]
        assert "deploy/compose/kafka.env" in o["env_file"], name
        assert o["environment"]["KAFKA_BOOTSTRAP_SERVERS"] is RESET, name
    # kafka.env.example goes to ingest and publish alike
    env = {}
    for line in read("deploy", "compose", "kafka.env.example").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    assert {"KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM",
            "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"} <= set(env)
    for binary in ("closebridge-ingest", "closebridge-publish"):
        check_settings("kafka.env.example", binary, env)
    ignored = read("deploy", "compose", ".gitignore").split()
    assert "kafka.env" in ignored, "the password file is not ignored by git"


# --- Kubernetes ---------------------------------------------------------------------------

def k8s_docs():
    """{file name: [documents]} of deploy/k8s."""
    docs = {}
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        with open(path) as f:
            docs[os.path.basename(path)] = [d for d in yaml.safe_load_all(f) if d is not None]
    return docs


def k8s_objects(kind):
    return [d for ds in k8s_docs().values() for d in ds if d.get("kind") == kind]


def container_port(container, port):
    """A probe's or Service's port (a number or a port name) as the container's port number."""
    if isinstance(port, int):
        return port
    named = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    assert port in named, f"no container port named {port}"
    return named[port]


def image_user():
    runtime = re.split(r"(?m)^FROM ", read("Dockerfile"))[-1]
    return int(re.search(r"(?m)^USER (\d+)", runtime).group(1))


def test_k8s_manifests_parse_and_kustomization_lists_them():
    docs = k8s_docs()
    assert {"kustomization.yaml", "configmap.yaml", "ingest.yaml", "publish.yaml",
            "console.yaml", "secret.example.yaml"} <= set(docs), sorted(docs)
    kust = docs.pop("kustomization.yaml")[0]
    assert kust["kind"] == "Kustomization"
    for name, ds in docs.items():
        for d in ds:
            assert d.get("apiVersion") and d.get("kind") and d["metadata"].get("name"), name
            assert d["kind"] in ("Deployment", "Service", "ConfigMap", "Secret"), \
                (name, d["kind"])
    listed = set(kust["resources"])
    for name in listed:
        assert os.path.isfile(os.path.join(K8S, name)), name
    # everything but the example Secret, which `apply -k` would write over the real one
    assert listed == set(docs) - {"secret.example.yaml"}, listed
    for image in kust.get("images") or []:
        assert image["name"] == "closebridge", image


def test_k8s_deployments_probe_limit_and_run_as_the_image_user():
    deployments = {d["spec"]["template"]["spec"]["containers"][0]["command"][0]: d
                   for d in k8s_objects("Deployment")}
    assert set(deployments) == {"closebridge-ingest", "closebridge-publish",
                                "closebridge-console"}, set(deployments)
    for binary, dep in deployments.items():
        where = dep["metadata"]["name"]
        assert dep["spec"]["replicas"] == 2, f"{where}: {dep['spec']['replicas']} replicas"
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items(), where
        pod = dep["spec"]["template"]["spec"]
        assert pod.get("enableServiceLinks") is False, f"{where}: enableServiceLinks"
        sec = pod.get("securityContext") or {}
        assert sec.get("runAsNonRoot") is True, f"{where}: runAsNonRoot"
        assert sec.get("runAsUser") == image_user(), f"{where}: runAsUser"
        assert len(pod["containers"]) == 1, where
        c = pod["containers"][0]
        assert c["image"].split(":")[0] == "closebridge", (where, c["image"])
        env = {e["name"]: e.get("value", "") for e in c.get("env") or [] if "value" in e}
        port = listen_port(binary, env, c["command"][1:] + (c.get("args") or []))
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = (c.get(probe) or {}).get("httpGet")
            assert get, f"{where}: no {probe}"
            assert get["path"] == path, (where, probe, get["path"])
            assert container_port(c, get["port"]) == port, \
                f"{where}: {probe} asks port {get['port']}, it listens on {port}"
        if "startupProbe" in c:
            assert container_port(c, c["startupProbe"]["httpGet"]["port"]) == port, where
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(res.get(part) or {}), f"{where}: resources.{part}"


def test_k8s_every_setting_reaches_a_binary_that_takes_it():
    configmaps = {d["metadata"]["name"]: d.get("data") or {} for d in k8s_objects("ConfigMap")}
    secrets = {d["metadata"]["name"]: {**(d.get("stringData") or {}), **(d.get("data") or {})}
               for d in k8s_objects("Secret")}
    used_secret_keys = set()
    for dep in k8s_objects("Deployment"):
        for c in dep["spec"]["template"]["spec"]["containers"]:
            where, binary = f"k8s {dep['metadata']['name']}", c["command"][0]
            assert binary in BINARIES, (where, binary)
            env = {}
            for source in c.get("envFrom") or []:
                assert "prefix" not in source, where
                if "configMapRef" in source:
                    env.update(configmaps[source["configMapRef"]["name"]])
                else:
                    name = source["secretRef"]["name"]
                    env.update(secrets[name])
                    used_secret_keys |= {(name, k) for k in secrets[name]}
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets.get(ref["name"], {}), \
                        f"{where}: {e['name']} from a Secret key that is not there"
                    used_secret_keys.add((ref["name"], ref["key"]))
                    env[e["name"]] = secrets[ref["name"]][ref["key"]]
                else:
                    env[e["name"]] = str(e.get("value", ""))
            check_settings(where, binary, env, c["command"][1:] + (c.get("args") or []))
            assert "KAFKA_BOOTSTRAP_SERVERS" in env, where
    for name, keys in secrets.items():
        for key in keys:
            assert (name, key) in used_secret_keys, f"Secret {name} key {key} reaches nothing"
    # the admin secrets go to ingest (the instances API) and the console (the events API)
    assert ("closebridge", "CLOSEBRIDGE_ADMIN_USER_SECRET") in used_secret_keys


def test_help_says_each_default_once():
    for binary in ("closebridge-ingest", "closebridge-publish", "closebridge-console"):
        text = help_text(binary)
        options = re.findall(r"(?m)^  --(\S+), CLOSEBRIDGE_\S+\n(.*)$", text)
        assert len(options) > 10, (binary, text)
        for name, line in options:
            assert line.count("(default:") <= 1, (binary, name, line)


def test_nothing_points_outside_the_repository():
    """What a comment or a document cites must be in the repository: no path of the machine it
    was written on, nor the design folder beside the project."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=SOURCE,
                           capture_output=True, text=True, check=True).stdout.split()
    # the paths are spelt in pieces, so that this file does not name them itself
    outside = ["..", "/", "shared"], ["/", "work", "/"]
    pattern = re.compile("|".join(re.escape("".join(p)) for p in outside)
                         + r"|\bshared/(reference|seed|DESIGN|STYLE)")
    found = []
    for name in files:
        path = os.path.join(SOURCE, name)
        if "node_modules" in name or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            text = f.read().decode(errors="replace")
        found += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1)
                  if pattern.search(line)]
    assert not found, found


def test_k8s_services_send_port_80_to_ingest_and_to_the_console():
    services = {s["metadata"]["name"]: s for s in k8s_objects("Service")}
    assert set(services) == {"closebridge-ingest", "closebridge-console"}, set(services)
    pods = {d["spec"]["template"]["spec"]["containers"][0]["command"][0]: d
            for d in k8s_objects("Deployment")}
    for name, listens in (("closebridge-ingest", 8080), ("closebridge-console", 8082)):
        svc = services[name]
        selector = svc["spec"]["selector"]
        for binary, dep in pods.items():
            labels = dep["spec"]["template"]["metadata"]["labels"]
            selected = selector.items() <= labels.items()
            assert selected == (binary == name), f"Service {name} selects {binary}?"
        container = pods[name]["spec"]["template"]["spec"]["containers"][0]
        (port,) = svc["spec"]["ports"]
        assert port["port"] == 80, f"{name} listens on {port['port']}"
        target = container_port(container, port.get("targetPort", port["port"]))
        assert target == listens, f"{name} sends to {target}, the process listens on {listens}"


if __name__ == "__main__":
    run([test_nginx_conf_passes_bodies_up_to_ingest_limit,
         test_help_says_each_default_once,
         test_nothing_points_outside_the_repository,
         test_compose_external_kafka_override,
         test_k8s_manifests_parse_and_kustomization_lists_them,
         test_k8s_deployments_probe_limit_and_run_as_the_image_user,
         test_k8s_every_setting_reaches_a_binary_that_takes_it,
         test_k8s_services_send_port_80_to_ingest_and_to_the_console])
