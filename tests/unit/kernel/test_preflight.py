"""A service's start-up checks: each misconfiguration is one line naming where it looked."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from rollcall.config import SERVICES, MissingSecret, load_settings
from rollcall.preflight import (
    OPTIONAL_SECRETS,
    SECRET_SPECS,
    SECRETS,
    new_secrets,
    service_problems,
)
from rollcall.runtime import SETTINGS_KEY, Secrets


@pytest.fixture
def settings(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    for name in SECRET_SPECS:
        monkeypatch.delenv(f"ROLLCALL_SECRET_{name.upper()}", raising=False)
    new_secrets(tmp_path / "secrets")
    return load_settings({}, var_dir=str(tmp_path / "var"), secrets_dir=str(tmp_path / "secrets"))


def lines(settings, service):  # type: ignore[no-untyped-def]
    return [p.line() for p in service_problems(settings, service)]


@pytest.mark.parametrize("service", SERVICES)
def test_a_complete_installation_has_no_problems(settings, service):
    assert lines(settings, service) == []


@pytest.mark.parametrize(
    ("service", "secret"), [(s, n) for s in SERVICES for n in SECRETS[s]], ids=str
)
def test_a_missing_secret_is_named_with_its_variable_and_file(settings, service, secret):
    path = f"{settings.secrets_dir}/{secret}"
    os.remove(path)
    found = lines(settings, service)
    assert len(found) == 1
    assert found[0].startswith(f"secret {secret}: missing")
    assert f"ROLLCALL_SECRET_{secret.upper()}" in found[0]
    assert path in found[0]


def test_every_secret_a_service_reads_is_checked_by_it():
    # Each `.secret("name")` and `Secrets("name", ...)` in a service's code must be in
    # SECRETS for that service, or the service could start without it and fail on first use.
    root = Path(__file__).resolve().parents[3]
    for service in SERVICES:
        folder = root / ("gateway" if service == "gateway" else f"services/{service}")
        read = {
            name
            for path in folder.rglob("*.py")
            for call in re.findall(r"[sS]ecrets?\(([^)]*)\)", path.read_text())
            for name in re.findall(r"\"(\w+)\"", call)
        }
        assert read == set(SECRETS[service]) | set(OPTIONAL_SECRETS.get(service, ())), service
    every = [*SECRETS.values(), *OPTIONAL_SECRETS.values()]
    assert set(SECRET_SPECS) == {n for names in every for n in names}


def test_a_hex_mail_seal_key_is_refused_as_not_a_fernet_key(settings):
    settings_path = f"{settings.secrets_dir}/mail_seal_key"
    with open(settings_path, "w") as f:
        f.write("ab" * 32)
    for service in ("codes", "mailer"):
        (line,) = lines(settings, service)
        assert "secret mail_seal_key" in line and "not a Fernet key" in line
        assert settings_path in line


def test_an_empty_secret_file_is_a_problem(settings):
    open(f"{settings.secrets_dir}/personal_data_key", "w").close()
    (line,) = lines(settings, "registration")
    assert "personal_data_key" in line and "is empty" in line


def test_a_short_key_is_refused(settings):
    with open(f"{settings.secrets_dir}/code_hash_key", "w") as f:
        f.write("short")
    (line,) = lines(settings, "codes")
    assert "code_hash_key" in line and "at least 32 characters" in line


def test_a_secret_from_the_environment_is_checked_too(settings, monkeypatch):
    monkeypatch.setenv("ROLLCALL_SECRET_MAIL_SEAL_KEY", "not-a-key")
    (line,) = lines(settings, "mailer")
    assert "the value in ROLLCALL_SECRET_MAIL_SEAL_KEY is not a Fernet key" in line


@pytest.mark.parametrize(
    ("overrides", "service", "expected"),
    [
        ({"amqp_uri": "http://localhost/"}, "codes", "amqp_uri"),
        ({"amqp_uri": "amqp://u:p@mq1:5672/;mq2:5672"}, "codes", "amqp_uri"),
        ({"database_urls": {"codes": "mysql://x/y"}}, "codes", "database_urls.codes"),
        ({"database_urls": {"codez": "sqlite:///x"}}, "codes", "no service is called codez"),
        ({"metrics_ports": {"tally": 70000}}, "tally", "ROLLCALL_METRICS_PORT_TALLY"),
        ({"gateway_port": -1}, "gateway", "gateway_port"),
        ({"public_url": "127.0.0.1:8000"}, "gateway", "public_url"),
        ({"mail_from": "nobody"}, "mailer", "mail_from"),
        ({"chunk_size": 0}, "registration", "chunk_size"),
        ({"retry_delays": (0.0,)}, "matching", "retry_delays"),
    ],
)
def test_each_bad_setting_is_one_problem_naming_it(settings, overrides, service, expected):
    found = lines(replace(settings, **overrides), service)
    assert len(found) == 1, found
    assert expected in found[0]


def test_a_postal_dir_that_cannot_be_made_is_a_problem(settings, tmp_path):
    (tmp_path / "a-file").write_text("")
    found = lines(replace(settings, postal_dir=str(tmp_path / "a-file" / "postal")), "mailer")
    assert len(found) == 1 and found[0].startswith("postal_dir:"), found


def test_new_secrets_are_private_well_formed_and_kept_when_present(tmp_path):
    directory = tmp_path / "s"
    written = new_secrets(directory)
    assert sorted(p.name for p in written) == sorted(SECRET_SPECS)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert SECRET_SPECS[path.name].valid(path.read_bytes().strip())
    before = (directory / "mail_seal_key").read_bytes()
    assert new_secrets(directory) == []
    assert (directory / "mail_seal_key").read_bytes() == before


def test_a_cluster_of_broker_uris_is_accepted(settings):
    cluster = replace(settings, amqp_uri="amqp://u:p@mq1:5672/rc;amqp://u:p@mq2:5672/rc")
    assert lines(cluster, "codes") == []


def test_passwords_are_hidden_in_every_uri_shown():
    from rollcall_cli.operations import _redacted

    shown = _redacted("amqp://u:s3cret@mq1:5672/rc;amqp://u:s3cret@mq2:5672/rc")
    assert "s3cret" not in shown and shown.count("u:***@") == 2
    assert _redacted("postgresql://rollcall:pw@db/x") == "postgresql://rollcall:***@db/x"


def test_an_optional_secret_may_be_absent_but_not_malformed(settings):
    os.remove(f"{settings.secrets_dir}/bounce_webhook_secret")
    assert lines(settings, "gateway") == []
    with open(f"{settings.secrets_dir}/bounce_webhook_secret", "w") as f:
        f.write("short")
    (line,) = lines(settings, "gateway")
    assert "bounce_webhook_secret" in line and "at least 32 characters" in line


# A service's secrets are read once, as its container starts; a missing one stops it there.
def started(settings, *names):  # type: ignore[no-untyped-def]
    secrets = Secrets(*names)
    secrets.container = SimpleNamespace(config={SETTINGS_KEY: settings})
    secrets.setup()
    return secrets


def test_the_secrets_are_read_at_start_and_not_again(settings, tmp_path):
    secrets = started(settings, "code_hash_key", "mail_seal_key")
    expected = tuple(
        (tmp_path / "secrets" / n).read_bytes().strip() for n in ("code_hash_key", "mail_seal_key")
    )
    (tmp_path / "secrets" / "code_hash_key").unlink()
    assert secrets.get_dependency(worker_ctx=None) == expected


def test_a_missing_secret_stops_the_start_naming_it(settings, tmp_path):
    (tmp_path / "secrets" / "mail_seal_key").unlink()
    with pytest.raises(MissingSecret, match="mail_seal_key"):
        started(settings, "code_hash_key", "mail_seal_key")
