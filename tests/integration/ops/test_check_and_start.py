"""Fail fast: a service with a missing or malformed secret stops at once, and
``rollcall check`` finds each misconfiguration against the real broker,
databases and SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from rollcall.config import SERVICES
from rollcall.preflight import SECRET_SPECS
from rollcall_cli.check import check, init
from tests import support


def service_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLCALL_")}
    env.update(ROLLCALL_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def run_service(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rollcall_cli.main", "run", service],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_service_without_its_secret_exits_at_once_naming_it(tmp_path):
    secrets = support.write_secrets(tmp_path / "secrets")
    (secrets / "mail_seal_key").unlink()
    done = run_service("codes", service_env(tmp_path, ROLLCALL_SECRETS_DIR=str(secrets)))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("codes cannot start: secret mail_seal_key: missing")
    assert "ROLLCALL_SECRET_MAIL_SEAL_KEY" in line and str(secrets / "mail_seal_key") in line
    assert "Traceback" not in done.stderr
    # It stopped before touching its database.
    assert not (tmp_path / "var" / "db" / "codes.sqlite").exists()


def test_a_hex_mail_seal_key_stops_the_mailer_naming_the_secret(tmp_path):
    secrets = support.write_secrets(tmp_path / "secrets")
    (secrets / "mail_seal_key").write_text("ab" * 32)
    done = run_service("mailer", service_env(tmp_path, ROLLCALL_SECRETS_DIR=str(secrets)))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "secret mail_seal_key" in line and "not a Fernet key" in line


def test_a_malformed_setting_stops_a_service_with_one_line(tmp_path):
    env = service_env(tmp_path, ROLLCALL_SMTP_PORT="twenty-five")
    done = run_service("matching", env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "rollcall: setting smtp_port: cannot use 'twenty-five': "
        "invalid literal for int() with base 10: 'twenty-five'"
    ]


@pytest.fixture
def installation(vhost, databases, tmp_path):  # type: ignore[no-untyped-def]
    """The environment of a complete installation, minus a gateway; and its SMTP server."""
    secrets = support.write_secrets(tmp_path / "secrets")
    env = {
        "ROLLCALL_VAR_DIR": str(tmp_path / "var"),
        "ROLLCALL_SECRETS_DIR": str(secrets),
        "ROLLCALL_AMQP_URI": vhost,
        "ROLLCALL_PUBLIC_URL": f"http://127.0.0.1:{support.free_port()}",
    }
    for service in SERVICES:
        env[f"ROLLCALL_DATABASE_URL_{service.upper()}"] = databases.fresh(service)
    for name in SECRET_SPECS:
        env[f"ROLLCALL_SECRET_{name.upper()}"] = ""
    with support.smtp_sink(tmp_path / "mail") as port:
        env["ROLLCALL_SMTP_PORT"] = str(port)
        yield env


def run_check(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(check, ["--timeout", "3", *args], env=env)
    rows = {}
    for line in result.output.splitlines():
        for status in ("ok     ", "PROBLEM"):
            if f"  {status}  " in line:
                name, rest = line.split(f"  {status}  ", 1)
                rows[name.strip()] = (status.strip(), rest)
    return result, rows


def test_check_passes_a_complete_installation(installation):
    result, rows = run_check(installation, "--skip", "gateway")
    assert result.exit_code == 0, result.output
    assert len(rows) == len(SECRET_SPECS) + 6 + 1 + 6 + 1
    assert rows["secret bounce_webhook_secret"] == ("ok", "not set: optional (used by gateway)")
    assert all(status == "ok" for status, _ in rows.values()), result.output


def test_check_reports_an_unreachable_gateway(installation):
    result, rows = run_check(installation)
    assert result.exit_code == 1
    assert rows["gateway"][0] == "PROBLEM"
    assert [n for n, (s, _) in rows.items() if s == "PROBLEM"] == ["gateway"]


def test_check_finds_each_misconfiguration(installation, pg_url, tmp_path):
    empty = f"rc_check_{uuid.uuid4().hex[:8]}"
    admin = support.admin_engine(pg_url)
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{empty}"'))
    try:
        secrets = Path(installation["ROLLCALL_SECRETS_DIR"])
        (secrets / "signing_key_passphrase").unlink()
        (secrets / "mail_seal_key").write_text("ab" * 32)
        env = dict(
            installation,
            ROLLCALL_AMQP_URI=f"amqp://guest:guest@127.0.0.1:{support.free_port()}/",
            ROLLCALL_DATABASE_URL_TALLY=support.with_database(pg_url, empty),
            ROLLCALL_DATABASE_URL_CODES=f"postgresql://postgres@127.0.0.1:{support.free_port()}/x",
            ROLLCALL_SMTP_PORT=str(support.free_port()),
            ROLLCALL_MAIL_FROM="nobody",
        )
        result, rows = run_check(env, "--skip", "gateway")
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)'))
        admin.dispose()
    assert result.exit_code == 1
    problems = {n: detail for n, (s, detail) in rows.items() if s == "PROBLEM"}
    assert set(problems) == {
        "secret signing_key_passphrase",
        "secret mail_seal_key",
        "mailer settings",
        "broker",
        "codes database",
        "tally database",
        "smtp server",
    }, result.output
    assert "missing" in problems["secret signing_key_passphrase"]
    assert "not a Fernet key" in problems["secret mail_seal_key"]
    assert "mail_from" in problems["mailer settings"]
    assert "not migrated" in problems["tally database"]
    assert "fix: run `rollcall db upgrade tally`" in result.output
    assert "Connection refused" in problems["codes database"]
    assert "Traceback" not in result.output


def test_init_writes_an_installation_that_check_passes(vhost, tmp_path):
    directory = tmp_path / "site"
    with support.smtp_sink(tmp_path / "mail") as port:
        runner = CliRunner()
        made = runner.invoke(
            init, [str(directory), "--amqp-uri", vhost, "--smtp-port", str(port)], env={}
        )
        assert made.exit_code == 0, made.output
        env = {"ROLLCALL_CONFIG": str(directory / "rollcall.yaml")}
        env.update({f"ROLLCALL_SECRET_{n.upper()}": "" for n in SECRET_SPECS})
        env.update({f"ROLLCALL_DATABASE_URL_{s.upper()}": "" for s in SERVICES})
        upgraded = subprocess.run(
            [sys.executable, "-m", "rollcall_cli.main", "db", "upgrade"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
        )
        assert upgraded.returncode == 0, upgraded.stderr
        assert upgraded.stdout.count("created the tables of a new database") == len(SERVICES)
        result, rows = run_check(env, "--skip", "gateway")
    assert result.exit_code == 0, result.output
    assert oct((directory / "rollcall.yaml").stat().st_mode & 0o777) == "0o600"
    again = CliRunner().invoke(init, [str(directory)])
    assert again.exit_code == 1 and "exists" in again.output
