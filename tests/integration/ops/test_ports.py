"""``rollcall run --ports-file``: a service binds its own free ports and reports them, so
stacks sharing a host never collide; and what it serves on /metrics is its own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import requests
from click.testing import CliRunner

from rollcall.config import SERVICES
from rollcall_cli.check import check
from tests import support


def start(service: str, env: dict[str, str], ports_file) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rollcall_cli.main",
            "run",
            service,
            # Migrated once beforehand: replicas that each migrated on start would race.
            "--wait",
            "60",
            "--ports-file",
            str(ports_file),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def reported(proc, path, timeout: float = 60.0) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no ports reported"
        time.sleep(0.1)
    return json.loads(path.read_text())


def environment(vhost: str, tmp_path, namespace: str, **settings: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A service's environment of its own: secrets, var dir, vhost; no ROLLCALL_ from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLCALL_")}
    env.update(
        ROLLCALL_VAR_DIR=str(tmp_path / "var"),
        ROLLCALL_SECRETS_DIR=str(support.write_secrets(tmp_path / "secrets")),
        ROLLCALL_AMQP_URI=vhost,
        ROLLCALL_NAMESPACE=namespace,
        **settings,
    )
    return env


def test_two_gateways_and_a_service_bind_their_own_ports_and_report_them(vhost, tmp_path):
    env = environment(
        vhost,
        tmp_path,
        "rc-ports",
        # Configured ports that are taken would make a plain start fail; reported ones cannot.
        ROLLCALL_GATEWAY_PORT="1",
        **{f"ROLLCALL_METRICS_PORT_{s.upper()}": "1" for s in SERVICES},
    )
    migrated = subprocess.run(
        [sys.executable, "-m", "rollcall_cli.main", "db", "upgrade", "gateway", "codes"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert migrated.returncode == 0, migrated.stderr
    procs = []
    try:
        found = {}
        for name, service in (("g1", "gateway"), ("g2", "gateway"), ("codes", "codes")):
            path = tmp_path / f"{name}.json"
            procs.append(start(service, env, path))
            found[name] = (procs[-1], path)
        ports = {name: reported(proc, path) for name, (proc, path) in found.items()}
        bound = [p for r in ports.values() for k, p in r.items() if k in ("metrics", "http")]
        assert len(bound) == 5 and len(set(bound)) == 5
        for name in ("g1", "g2"):
            health = requests.get(f"http://127.0.0.1:{ports[name]['http']}/healthz", timeout=5)
            assert health.ok
        served = requests.get(f"http://127.0.0.1:{ports['codes']['metrics']}/metrics", timeout=5)
        names = set(re.findall(r"^# TYPE (rollcall_\w+)", served.text, re.M))
        assert "rollcall_codes_issued_total" in names
        assert not [
            n for n in names for s in SERVICES if s != "codes" and n.startswith(f"rollcall_{s}_")
        ]
        # rollcall check finds the running gateway where ROLLCALL_PUBLIC_URL says it is.
        checked = CliRunner().invoke(
            check,
            ["--skip", "smtp", "--skip", "databases"],
            env={**env, "ROLLCALL_PUBLIC_URL": f"http://127.0.0.1:{ports['g2']['http']}"},
        )
        assert re.search(
            r"^gateway +ok +http://127\.0\.0\.1:\d+/healthz: HTTP 200$", checked.output, re.M
        )
        gateway = requests.get(f"http://127.0.0.1:{ports['g1']['metrics']}/metrics", timeout=5)
        assert "rollcall_codes_issued_total" not in gateway.text
        assert "rollcall_gateway_requests_total" in gateway.text
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    # What a service prints is for its operator: no library's deprecation banner.
    for proc in procs:
        assert "deprecated" not in proc.stderr.read()


def test_two_mailers_each_bind_their_own_bounce_endpoint_and_report_it(vhost, tmp_path):
    """The bounce endpoint is not handed a port picked by another process (which two
    processes could be handed at once): each mailer binds one and reports it as ``bounce``."""
    import smtplib

    env = environment(
        vhost,
        tmp_path,
        "rc-bounce-ports",
        ROLLCALL_BOUNCE_SMTP_PORT="1",  # on; a configured port that would fail to bind
        ROLLCALL_METRICS_PORT_MAILER="1",
    )
    migrated = subprocess.run(
        [sys.executable, "-m", "rollcall_cli.main", "db", "upgrade", "mailer"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert migrated.returncode == 0, migrated.stderr
    procs = [start("mailer", env, tmp_path / f"m{n}.json") for n in (1, 2)]
    try:
        ports = [reported(proc, tmp_path / f"m{n}.json") for n, proc in enumerate(procs, 1)]
        bounce = [p["bounce"] for p in ports]
        assert len(set(bounce)) == 2 and 1 not in bounce
        for port in bounce:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                assert smtp.noop()[0] == 250
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
