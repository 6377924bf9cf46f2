"""The shipped alert rules, live: a real Prometheus scrapes a running stack's services with
``infra/prometheus/prometheus.yml`` and ``alerts.yml`` (a test copy with short windows),
the mailer is stopped, the stuck-members alert fires, the mailer comes back, it resolves."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests import support

ROOT = Path(__file__).resolve().parents[2]
ALERT = "RollcallMembersStuckAwaitingCode"

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="prometheus is not on PATH (Debian package prometheus; .ci/run installs it)",
)


def rules_copy(directory: Path) -> Path:
    """alerts.yml with the stuck-members rule's windows cut from minutes to seconds."""
    rules = yaml.safe_load((ROOT / "infra/prometheus/alerts.yml").read_text())
    (rule,) = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == ALERT]
    assert "[30m]" in rule["expr"]
    rule["expr"] = rule["expr"].replace("[30m]", "[10s]")
    rule["for"] = "5s"
    path = directory / "alerts.yml"
    path.write_text(yaml.safe_dump(rules))
    return path


def prometheus_config(directory: Path, ports: dict[str, dict[str, int]]) -> Path:
    """The shipped prometheus.yml, scraping this stack's services every second."""
    config = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config.pop("alerting")
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "rollcall"]
    for static in job["static_configs"]:
        service = static["labels"]["component"]
        static["targets"] = [f"127.0.0.1:{ports[service]['metrics']}"]
    config["scrape_configs"] = [job]
    config["rule_files"] = [str(rules_copy(directory))]
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def alert_state(base: str) -> str | None:
    alerts = requests.get(f"{base}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    states = [a["state"] for a in alerts if a["labels"]["alertname"] == ALERT]
    return "firing" if "firing" in states else (states[0] if states else None)


def wait(what: str, predicate, timeout: float = 240.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def test_stuck_members_alert_fires_with_the_mailer_down_and_resolves_when_it_is_back(
    tmp_path, amqp_url, monkeypatch
):
    from rollcall_cli.demo.processes import DemoRun

    monkeypatch.setenv("ROLLCALL_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ROLLCALL_AMQP_URI", amqp_url)
    run = DemoRun(members=60, seed=7, method="fptp", seats=1, turnout=0.0, keep=False)
    prometheus = None
    try:
        register, extract, area, _ = run.make_data()
        run.start()
        run.load_register(register)
        mailer = run.procs["mailer"]
        mailer.terminate()
        mailer.wait(timeout=30)

        ballot = tmp_path / "ballot.yaml"
        ballot.write_text(
            yaml.safe_dump({"title": "Alert test", "candidates": ["A", "B"], "area": area})
        )
        for args in (
            ["ballot", "create", str(ballot)],
            ["extract", "import", str(extract), "--ballot", "1"],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "rollcall_cli.main", *args],
                env=run.env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout + done.stderr

        port = support.free_port()
        prometheus = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={prometheus_config(tmp_path, run.ports)}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "prometheus.log").open("wb"),
        )
        base = f"http://127.0.0.1:{port}"

        def state() -> str | None:
            try:
                return alert_state(base)
            except requests.RequestException:
                return None

        wait("the stuck-members alert to fire", lambda: state() == "firing")
        targets = requests.get(f"{base}/api/v1/targets", timeout=5).json()["data"]
        health = {t["labels"]["component"]: t["health"] for t in targets["activeTargets"]}
        assert health["mailer"] == "down" and health["registration"] == "up"

        run._run_service("mailer", run.dir / "logs")
        wait("the alert to resolve", lambda: state() is None)
    finally:
        if prometheus is not None:
            prometheus.terminate()
            prometheus.wait(timeout=30)
        run.stop()
