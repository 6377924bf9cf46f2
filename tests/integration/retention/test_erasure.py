"""Erasing a ballot at its retention date: nothing personal of its members stays in any
service's database or files, while the counts, ``rollcall verify`` and ``rollcall audit
verify`` still hold.

A small demo ballot runs to its result (every service its own process, the real broker,
SQLite files under the demo's directory). Then the five services that hold its data are
started again on those databases, with ``retention_days`` 0 so the ballot is due, and
``rollcall retention run --ballot 1`` erases it. Every table of every database and every
file the services wrote are searched for the members' names, street lines, postcodes,
emails and phone numbers, as the extract file gave them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from rollcall_cli.retention import retention
from services.codes.service import CodesService
from services.mailer.service import MailerService
from services.matching.service import MatchingService
from services.registration.service import RegistrationService
from services.tally.service import TallyService
from tests import support
from tests.integration.retention import traces

pytestmark = pytest.mark.timeout(900)

SERVICES = ("registration", "matching", "codes", "mailer", "tally", "gateway")
#: The authorities' electoral registers, which the matching service holds for every
#: ballot (not this ballot's data: docs/retention.md), are not searched.
REGISTER_TABLES = ("register_electors", "register_refusals", "register_name_frequencies")
#: What in the demo's directory is not a service's: the input files the operator gave,
#: the voters' mailboxes and the mail server's journal, the demo's own report.
NOT_A_SERVICES = ("members.csv", "register.csv", "mailbox", "sink.jsonl", "report.json")


def _rollcall(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rollcall_cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return int(c.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def _without_register(urls: dict[str, str], values: set[str]) -> list[str]:
    """Where ``values`` are found in the databases, but for the electoral registers."""
    found = traces.in_databases(urls, values)
    return [f for f in found if not f.split(":")[0].split(".")[1].startswith(REGISTER_TABLES)]


def _service_files(demo: Path) -> list[Path]:
    return [p for p in demo.iterdir() if not p.name.startswith(NOT_A_SERVICES) and p.name != "db"]


def test_an_erased_ballot_leaves_no_personal_data_and_still_verifies(tmp_path, vhost):
    var = tmp_path / "var"
    report_path = tmp_path / "demo.json"
    env = {**os.environ, "ROLLCALL_VAR_DIR": str(var), "ROLLCALL_AMQP_URI": vhost}
    ran = _rollcall("demo", "--members", "40", "--seed", "3", "--report", str(report_path), env=env)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    report = json.loads(report_path.read_text())
    demo = Path(report["dir"])
    urls = {s: f"sqlite:///{demo / 'db' / f'{s}.sqlite'}" for s in SERVICES}
    values = traces.personal_values(demo / "members.csv")
    # Before: the ballot's members are in the databases and in the postal batches.
    before = _without_register(urls, values)
    assert any(f.startswith("registration.members.") for f in before), before[:5]
    assert any(f.startswith("mailer.deliveries.contact") for f in before), before[:5]
    assert list(traces.in_files(_service_files(demo), values))
    members = _count(urls["registration"], "select count(*) from members")
    marks = _count(urls["tally"], "select count(*) from marks")

    settings = support.settings_for_test(
        vhost,
        {s: urls[s] for s in SERVICES if s != "gateway"},
        var_dir=str(demo),
        secrets_dir=str(demo / "secrets"),
        retention_days=0,
    )
    cli_env = {
        "ROLLCALL_AMQP_URI": settings.amqp_uri,
        "ROLLCALL_NAMESPACE": settings.namespace,
        "ROLLCALL_VAR_DIR": str(demo),
        "ROLLCALL_SECRETS_DIR": str(demo / "secrets"),
    }
    runner = CliRunner()
    with support.running(
        settings, RegistrationService, MatchingService, CodesService, MailerService, TallyService
    ):
        shown = runner.invoke(retention, ["show", "--json"], env=cli_env)
        assert shown.exit_code == 0, shown.output
        (ballot,) = json.loads(shown.output)
        assert ballot["is_due"] and ballot["erased_at"] is None
        assert ballot["services"]["registration"]["holds"]["members"] == members
        assert ballot["services"]["mailer"]["holds"]["postal_files"] > 0
        erased = runner.invoke(retention, ["run", "--ballot", "1"], env=cli_env)
        assert erased.exit_code == 0, erased.output
        for service in ("registration", "matching", "codes", "mailer", "tally"):
            assert f"ballot 1: {service:<13}erased" in erased.output, erased.output
        again = runner.invoke(retention, ["run", "--ballot", "1"], env=cli_env)
        assert again.exit_code == 0 and "already erased" in again.output, again.output
        # The roll still balances, every member in the state they were in.
        with support.rpc_proxy(settings) as rpc:
            roll = rpc.registration.reconcile(1)
        assert roll["unaccounted"] == 0 and roll["ledger"] == report["ledger"]
        # Nothing of the members is left in any table (but the registers) or file.
        assert _without_register(urls, values) == []
        assert list(traces.in_files(_service_files(demo), values)) == []
        after = json.loads(runner.invoke(retention, ["show", "--json"], env=cli_env).output)
        for name, state in after[0]["services"].items():
            assert state["erased_at"], name
            assert not any(state["holds"].values()), (name, state["holds"])

    # The counts stay, and every service audited its erasure.
    assert _count(urls["registration"], "select count(*) from members") == members
    assert _count(urls["tally"], "select count(*) from marks") == marks
    for service in ("registration", "matching", "codes", "mailer", "tally"):
        recorded = _count(
            urls[service], "select count(*) from audit_log where action = 'retention.erased'"
        )
        assert recorded == 1, service
    offline = {**os.environ, "ROLLCALL_VAR_DIR": str(demo)}
    verified = _rollcall("verify", report["bulletin"], env=offline)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    audited = _rollcall("audit", "verify", env=offline)
    assert audited.returncode == 0, audited.stdout + audited.stderr
