"""infra/ holds together: every file parses, every service is deployed the same way,
and the ports, metric names, secrets and runbook links agree with the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from rollcall import metrics
from rollcall.config import DEFAULT_METRICS_PORTS, SERVICES
from rollcall.preflight import OPTIONAL_SECRETS, SECRETS

ROOT = Path(__file__).resolve().parents[3]
INFRA = ROOT / "infra"
K8S = INFRA / "k8s"

#: Metrics the dashboard must show (the brief's list, by family name).
DASHBOARD_METRICS = (
    "rollcall_registration_members",
    "rollcall_registration_unaccounted_members",
    "rollcall_messages_parked_total",
    "rabbitmq_queue_messages",
    "rollcall_outbox_backlog",
    "rollcall_handler_seconds_bucket",
    "rollcall_matching_decisions_total",
    "rollcall_codes_issued_total",
    "rollcall_codes_redeemed_total",
    "rollcall_mailer_mail_total",
    "rollcall_mailer_reminders_total",
    "rollcall_tally_ballots_cast_total",
)


#: The keys each service may hold (ROLLCALL_SECRETS_DIR): those it checks at start, no more.
KEYS = {
    s: [*SECRETS[s], *OPTIONAL_SECRETS.get(s, ())]
    for s in SECRETS
    if SECRETS[s] or OPTIONAL_SECRETS.get(s)
}


def load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def k8s_documents() -> list[dict[str, Any]]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in load_all(path)]


def deployments() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for doc in k8s_documents():
        if doc["kind"] == "Deployment":
            component = doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
            if component not in SERVICES:
                continue  # the toolbox
            assert component not in found, f"two Deployments for {component}"
            found[component] = doc
    return found


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((INFRA / "compose.yaml").read_text())
    return loaded


def exposed_metric_names() -> set[str]:
    names: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                suffixes = {
                    "counter": ("_total",),
                    "gauge": ("",),
                    "histogram": ("_bucket", "_sum", "_count"),
                }[family.type]
                names.update(family.name + s for s in suffixes)
    return names


def runbook_anchors() -> set[str]:
    """GitHub-style anchors of the headings in docs/operations.md."""
    anchors = set()
    for line in (ROOT / "docs" / "operations.md").read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^a-z0-9 _-]", "", title).replace(" ", "-"))
    return anchors


# --- every file parses -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    sorted(p for p in INFRA.rglob("*") if p.suffix in (".yaml", ".yml")),
    ids=lambda p: str(p.relative_to(INFRA)),
)
def test_every_yaml_file_loads(path: Path) -> None:
    assert load_all(path), f"{path} is empty"


def test_the_dashboard_is_json_with_unique_panel_ids() -> None:
    dashboard = json.loads((INFRA / "grafana" / "dashboards" / "rollcall.json").read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["uid"] and dashboard["title"]


# --- Kubernetes --------------------------------------------------------------


def test_each_service_has_one_deployment_running_rollcall_run() -> None:
    found = deployments()
    assert sorted(found) == sorted(SERVICES)
    for service, doc in found.items():
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        assert container["image"], f"{service} names no image"
        assert container["command"][:3] == ["rollcall", "run", service]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == DEFAULT_METRICS_PORTS[service]
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(DEFAULT_METRICS_PORTS[service])


def test_deployments_take_urls_and_keys_from_secrets_never_inline() -> None:
    for service, doc in deployments().items():
        spec = doc["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        env = {e["name"]: e for e in container["env"]}
        for name in ("ROLLCALL_AMQP_URI", f"ROLLCALL_DATABASE_URL_{service.upper()}"):
            assert "value" not in env[name], f"{service}: {name} is inline"
            assert env[name]["valueFrom"]["secretKeyRef"]["name"]
        mounted = [i["key"] for v in spec["volumes"] if "secret" in v for i in v["secret"]["items"]]
        assert sorted(mounted) == sorted(KEYS.get(service, [])), f"{service} holds the wrong keys"
    kinds = {doc["kind"] for doc in k8s_documents()}
    assert "Secret" not in kinds, "Secrets are referenced, never committed"


def test_the_configmap_agrees_with_the_default_ports() -> None:
    (config,) = [d for d in k8s_documents() if d["kind"] == "ConfigMap"]
    for service, port in DEFAULT_METRICS_PORTS.items():
        assert config["data"][f"ROLLCALL_METRICS_PORT_{service.upper()}"] == str(port)
    assert "ROLLCALL_SECRETS_DIR" in config["data"]


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests


def test_rabbitmq_and_postgres_are_external_references() -> None:
    external = {
        d["metadata"]["name"]: d["spec"]
        for d in k8s_documents()
        if d["kind"] == "Service" and d["spec"].get("type") == "ExternalName"
    }
    assert {"rabbitmq", "postgres"} <= set(external)
    kinds = {d["kind"] for d in k8s_documents()}
    assert "StatefulSet" not in kinds


# --- compose -----------------------------------------------------------------


def test_compose_runs_every_service_from_the_image() -> None:
    services = compose()["services"]
    for service in SERVICES:
        spec = services[service]
        assert spec["command"][:3] == ["rollcall", "run", service]
        assert spec["build"]["dockerfile"] == "infra/Dockerfile"
        env = spec["environment"]
        assert "ROLLCALL_AMQP_URI" in env or "ROLLCALL_AMQP_URI_FILE" in env
        for other in SERVICES:
            assert env[f"ROLLCALL_DATABASE_URL_{other.upper()}"].endswith(f"/rollcall_{other}")
            port = env[f"ROLLCALL_METRICS_PORT_{other.upper()}"]
            assert int(port) == DEFAULT_METRICS_PORTS[other]
        for name in ("ROLLCALL_SMTP_HOST", "ROLLCALL_SMTP_PORT", "ROLLCALL_SECRETS_DIR"):
            assert env[name]
        inline = [k for k, v in env.items() if urlsplit(str(v)).password]
        assert inline == [], f"{service}: passwords in the environment"
        held = set(spec["secrets"]) - {"amqp_uri", "postgres_password"}
        assert held == set(KEYS.get(service, [])), f"{service} holds the wrong keys"
    assert "8000:8000" in services["gateway"]["ports"]


def test_compose_has_the_supporting_services() -> None:
    services = compose()["services"]
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3.13-management")
    assert services["postgres"]["image"] == "postgres:16"
    for name in ("mailpit", "prometheus", "grafana"):
        assert name in services
    plugins = (INFRA / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_management" in plugins and "rabbitmq_prometheus" in plugins
    init = [v for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init


def test_compose_bind_mounts_exist_and_secrets_are_generated() -> None:
    spec = compose()
    script = (INFRA / "make-secrets.sh").read_text()
    for service in spec["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("../var/secrets/"):
                assert Path(source).name in script
            elif source.startswith("."):
                assert (INFRA / source).exists(), f"{source} is mounted but missing"
    for secret in spec["secrets"].values():
        assert secret["file"].startswith("../var/secrets/")
        assert Path(secret["file"]).name in script, f"make-secrets.sh does not make {secret}"


# --- Prometheus, Grafana, runbook --------------------------------------------


def test_prometheus_scrapes_every_service_and_rabbitmq() -> None:
    config = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    for service, port in DEFAULT_METRICS_PORTS.items():
        assert f"{service}:{port}" in targets
    (rabbit,) = [j for j in config["scrape_configs"] if j["job_name"] == "rabbitmq"]
    assert rabbit["metrics_path"] == "/metrics/per-object"
    assert rabbit["static_configs"][0]["targets"] == ["rabbitmq:15692"]


def test_alerts_and_dashboard_use_only_metrics_the_code_exposes() -> None:
    exposed = exposed_metric_names()
    texts = [
        (INFRA / "prometheus" / "alerts.yml").read_text(),
        (INFRA / "grafana" / "dashboards" / "rollcall.json").read_text(),
    ]
    used = {name for text in texts for name in re.findall(r"\brollcall_[a-z_]+", text)}
    assert used - exposed == set(), "metrics referenced but not defined in rollcall.metrics"


def test_the_dashboard_shows_every_required_metric() -> None:
    text = (INFRA / "grafana" / "dashboards" / "rollcall.json").read_text()
    missing = [m for m in DASHBOARD_METRICS if m not in text]
    assert missing == []


def test_the_dashboard_uses_the_provisioned_datasource_and_path() -> None:
    datasources = yaml.safe_load(
        (INFRA / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    (uid,) = [d["uid"] for d in datasources["datasources"]]
    dashboard = json.loads((INFRA / "grafana" / "dashboards" / "rollcall.json").read_text())
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == uid
    provider = yaml.safe_load(
        (INFRA / "grafana" / "provisioning" / "dashboards" / "rollcall.yaml").read_text()
    )
    path = provider["providers"][0]["options"]["path"]
    mounts = compose()["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{path}:ro" in mounts


def test_every_alert_links_to_a_runbook_section() -> None:
    rules = yaml.safe_load((INFRA / "prometheus" / "alerts.yml").read_text())
    anchors = runbook_anchors()
    for group in rules["groups"]:
        for rule in group["rules"]:
            link = rule["annotations"]["runbook"]
            page, _, anchor = link.partition("#")
            assert page == "docs/operations.md"
            assert anchor in anchors, f"{rule['alert']}: no section #{anchor}"


def test_the_dockerfile_installs_the_project_and_copies_what_exists() -> None:
    text = (INFRA / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, flags=re.M)
    assert re.search(r"pip install .*\s\.(\s|$)", text)
    for source in re.findall(r"^COPY (\S+)", text, flags=re.M):
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
