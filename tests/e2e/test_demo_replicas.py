"""``rollcall demo --replicas 2``: every service twice, competing for the same queues, on
throwaway PostgreSQL databases migrated once; every check passes, every gateway and tally
replica took part, nothing was delivered twice and the databases are gone afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests import support

#: 300 members, twelve service processes on a loaded two-core machine: a few minutes.
pytestmark = pytest.mark.timeout(1200)


def _demo(
    *args: str, env: dict[str, str], timeout: float = 1100
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rollcall_cli.main", "demo", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _env(var, amqp_url: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLCALL_DATABASE_URL")}
    return {**env, "ROLLCALL_VAR_DIR": str(var), "ROLLCALL_AMQP_URI": amqp_url}


def test_demo_with_two_replicas_of_every_service_passes_every_check(tmp_path, amqp_url, pg_url):
    report_path = tmp_path / "r.json"
    done = _demo(
        "--members", "300", "--seed", "5", "--replicas", "2", "--postgres-server", pg_url,
        "--report", str(report_path),
        env=_env(tmp_path / "var", amqp_url),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["replicas"] == dict.fromkeys(
        ("registration", "matching", "codes", "mailer", "tally", "gateway"), 2
    )
    assert report["databases"] == "postgresql (throwaway)"
    assert "throwaway PostgreSQL databases" in done.stderr
    assert all(report["checks"].values()), report["checks"]
    # Both processes of every service ran to the end; both gateways answered and both tallies cast.
    assert len(report["cpu_seconds"]) == 13  # twelve services and the SMTP sink
    for name in ("gateway", "gateway-2", "tally", "tally-2"):
        assert report["replica_work"][name] > 0, report["replica_work"]
    assert not any(report["delivered_twice"].values()), report["delivered_twice"]
    voting = report["voting"]
    assert voting["votes_submitted"] == voting["ballots_cast"] == voting["marked_register"] > 0
    assert report["unaccounted"] == 0
    # The throwaway databases were dropped.
    prefix = report["throwaway_databases"].rstrip("*")
    admin = support.admin_engine(pg_url)
    with admin.connect() as c:
        left = c.execute(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": prefix + "%"}
        ).all()
    admin.dispose()
    assert left == []


def test_replicas_on_an_sqlite_database_are_refused_in_one_line(tmp_path, amqp_url):
    env = {
        **_env(tmp_path / "var", amqp_url),
        "ROLLCALL_DATABASE_URL_TALLY": f"sqlite:///{tmp_path / 'tally.sqlite'}",
    }
    done = _demo("--members", "50", "--replicas", "2", env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: replicas share their service's database and SQLite cannot be shared: "
        "ROLLCALL_DATABASE_URL_TALLY is SQLite; name a PostgreSQL database there or leave it "
        "unset for a throwaway one"
    ]
    assert "Traceback" not in done.stdout + done.stderr
