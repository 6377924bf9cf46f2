"""The compose file and the Kubernetes manifests can run a ballot: schema-valid, every
secret each service checks at start is given to it, the files that must outlive a
container are on persistent volumes, migrations run once and the services wait for them,
the operators have a toolbox, and every service has probes and resource requests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from rollcall.config import SERVICES
from rollcall.preflight import OPTIONAL_SECRETS, SECRET_SPECS, SECRETS

ROOT = Path(__file__).resolve().parents[3]
INFRA = ROOT / "infra"
K8S = INFRA / "k8s"
BIN = Path(sys.executable).parent
#: Directories under /app/var (the image's ROLLCALL_VAR_DIR) whose files must survive a restart.
PERSISTENT = {"tally": "/app/var/bulletins", "mailer": "/app/var/postal"}


def compose() -> dict[str, Any]:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def k8s() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def component(doc: dict[str, Any]) -> str:
    return doc["metadata"]["labels"]["app.kubernetes.io/component"]


def workloads(kind: str) -> dict[str, dict[str, Any]]:
    return {component(d): d for d in k8s() if d["kind"] == kind}


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed: make install"
    return found


# --- schemas -------------------------------------------------------------------------


def test_compose_is_valid_against_the_compose_spec():
    done = subprocess.run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(INFRA / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "path",
    sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"),
    ids=lambda p: p.name,
)
def test_each_kubernetes_manifest_is_valid_offline(path):
    done = subprocess.run(
        [tool("kubernetes-validate"), "--strict", "--quiet", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ERROR" not in done.stdout + done.stderr


def test_kustomization_lists_the_migration_job_and_the_toolbox():
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert {"migrate.yaml", "toolbox.yaml", "retention.yaml"} <= set(listed)


def test_kubernetes_erases_due_ballots_daily_one_run_at_a_time():
    """Personal data is erased at each ballot's retention date without anyone remembering to."""
    job = workloads("CronJob")["retention"]["spec"]
    assert job["concurrencyPolicy"] == "Forbid"
    assert len(job["schedule"].split()) == 5 and job["schedule"].split()[2:] == ["*", "*", "*"]
    (container,) = job["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"][:3] == ["rollcall", "retention", "run"]
    assert "ROLLCALL_AMQP_URI" in {e["name"] for e in container["env"]}


# --- secrets -------------------------------------------------------------------------


def test_compose_gives_each_service_exactly_the_keys_it_checks_at_start():
    spec = compose()
    for service in SERVICES:
        held = set(spec["services"][service]["secrets"]) & set(SECRET_SPECS)
        assert held == set(SECRETS[service] + OPTIONAL_SECRETS.get(service, ())), service
    assert set(SECRET_SPECS) <= set(spec["secrets"])
    script = (INFRA / "make-secrets.sh").read_text()
    for name in SECRET_SPECS:
        assert f"create {name} " in script, f"make-secrets.sh does not make {name}"
    assert "create mail_seal_key fernet_key" in script


def test_kubernetes_gives_each_service_exactly_the_keys_it_checks_at_start():
    deployments = workloads("Deployment")
    for service in SERVICES:
        volumes = deployments[service]["spec"]["template"]["spec"]["volumes"]
        held = {i["key"] for v in volumes if "secret" in v for i in v["secret"].get("items", [])}
        assert held == set(SECRETS[service] + OPTIONAL_SECRETS.get(service, ())), service
    readme = (K8S / "README.md").read_text()
    for name in SECRET_SPECS:
        assert f"--from-file={name}" in readme, f"the README does not create {name}"


# --- volumes -------------------------------------------------------------------------


def test_compose_keeps_bulletins_and_postal_batches_on_named_volumes():
    spec = compose()
    for service, path in PERSISTENT.items():
        mounts = dict(v.rsplit(":", 1)[::-1] for v in spec["services"][service]["volumes"])
        assert path in mounts, f"{service}: {path} is on no volume"
        assert mounts[path] in spec["volumes"], f"{service}: {mounts[path]} is not a named volume"


def test_kubernetes_keeps_bulletins_and_postal_batches_on_claims():
    deployments = workloads("Deployment")
    claims = {d["metadata"]["name"] for d in k8s() if d["kind"] == "PersistentVolumeClaim"}
    for service, path in PERSISTENT.items():
        pod = deployments[service]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        mount = next(m for m in container["volumeMounts"] if m["mountPath"] == path)
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        assert volume.get("persistentVolumeClaim", {}).get("claimName") in claims, service
        if deployments[service]["spec"]["replicas"] == 1:
            assert deployments[service]["spec"]["strategy"]["type"] == "Recreate"


# --- migrations ----------------------------------------------------------------------


def test_compose_migrates_once_and_every_service_waits_for_it():
    spec = compose()["services"]
    assert spec["migrate"]["command"] == ["rollcall", "db", "upgrade"]
    assert spec["migrate"]["restart"] == "no"
    for service in SERVICES:
        assert spec[service]["command"][3] == "--wait", service
        assert spec[service]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_kubernetes_migrates_in_a_job_and_every_deployment_waits_for_it():
    (job,) = workloads("Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["rollcall", "db", "upgrade"]
    urls = {e["name"] for e in container["env"]}
    assert {f"ROLLCALL_DATABASE_URL_{s.upper()}" for s in SERVICES} <= urls
    for service, doc in workloads("Deployment").items():
        if service in SERVICES:
            (c,) = doc["spec"]["template"]["spec"]["containers"]
            assert c["command"][3] == "--wait", service


# --- the toolbox ---------------------------------------------------------------------


def test_both_have_a_toolbox_with_an_uploads_volume_and_every_key():
    box = compose()["services"]["toolbox"]
    assert "uploads:/uploads" in box["volumes"]
    assert set(SECRET_SPECS) <= set(box["secrets"])
    pod = workloads("Deployment")["toolbox"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert any(m["mountPath"] == "/uploads" for m in container["volumeMounts"])
    keys = next(v for v in pod["volumes"] if v["name"] == "keys")
    assert "items" not in keys["secret"], "the toolbox gets every key (rollcall check)"


# --- probes, resources, disruption ---------------------------------------------------


def test_every_service_has_probes_and_resource_requests():
    deployments = workloads("Deployment")
    for service in SERVICES:
        (container,) = deployments[service]["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"] and container["livenessProbe"], service
        assert container["resources"]["requests"]["memory"], service
        assert compose()["services"][service]["healthcheck"]["test"], service
    assert compose()["services"]["registration"]["deploy"]["resources"]["reservations"]


def test_each_service_with_more_than_one_replica_has_a_disruption_budget():
    budgets = workloads("PodDisruptionBudget")
    scaled = [s for s, d in workloads("Deployment").items() if d["spec"]["replicas"] > 1]
    assert scaled, "no service runs more than one replica"
    for service in scaled:
        assert budgets[service]["spec"]["minAvailable"] == 1
        assert (
            budgets[service]["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
            == service
        )
