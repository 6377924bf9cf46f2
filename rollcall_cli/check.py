"""``rollcall check`` (is this installation able to run a ballot?) and ``rollcall init``.

``check`` runs every service's start-up checks (``rollcall.preflight``), then
tries what the services will need: the broker, each service's database (and
whether it is migrated), the SMTP server and the gateway. It prints one row a
check (ok or problem, and how to fix it) and exits 1 if any failed.

``init DIR`` writes a configuration file and every secret in the right
format, so that ``ROLLCALL_CONFIG=DIR/rollcall.yaml`` is a working start.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from pathlib import Path

import click

from rollcall.config import SERVICES, ConfigError, Settings, load_settings


@dataclass(frozen=True)
class Row:
    check: str
    ok: bool
    detail: str
    fix: str = ""


def _secrets_and_settings(settings: Settings) -> list[Row]:
    from rollcall.preflight import OPTIONAL_SECRETS, SECRETS, secret_problem, service_problems

    rows: list[Row] = []
    needed = {s for names in SECRETS.values() for s in names}
    optional = {s for names in OPTIONAL_SECRETS.values() for s in names} - needed
    for name in sorted(needed | optional):
        users = ", ".join(s for s in SERVICES if name in SECRETS[s] + OPTIONAL_SECRETS.get(s, ()))
        problem = secret_problem(settings, name)
        if problem and name in optional and problem.message.startswith("missing"):
            rows.append(Row(f"secret {name}", True, f"not set: optional (used by {users})"))
        elif problem:
            rows.append(
                Row(f"secret {name}", False, f"{problem.message} (used by {users})", problem.fix)
            )
        else:
            rows.append(Row(f"secret {name}", True, f"present, well-formed (used by {users})"))
    for service in SERVICES:
        found = [
            p for p in service_problems(settings, service) if not p.subject.startswith("secret ")
        ]
        if found:
            rows += [
                Row(f"{service} settings", False, f"{p.subject}: {p.message}", p.fix) for p in found
            ]
        else:
            rows.append(Row(f"{service} settings", True, "valid"))
    return rows


def _broker(settings: Settings, timeout: float) -> Row:
    from kombu import Connection

    from rollcall_cli.operations import _redacted

    shown = _redacted(settings.amqp_uri)
    try:
        with Connection(settings.amqp_uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding
        return Row(
            "broker",
            False,
            f"{shown}: {str(exc).strip() or type(exc).__name__}",
            "start RabbitMQ, or set ROLLCALL_AMQP_URI (user, password, host, port, vhost)",
        )
    return Row("broker", True, f"{shown}: connected")


def _database(settings: Settings, service: str) -> Row:
    from sqlalchemy.exc import SQLAlchemyError

    from rollcall.db import revisions
    from rollcall_cli.operations import _reason, _redacted

    url = settings.database_url(service)
    shown = _redacted(url)
    try:
        current, heads = revisions(service, url)
    except SQLAlchemyError as exc:
        return Row(
            f"{service} database",
            False,
            f"{shown}: {_reason(exc)}",
            f"start the database or fix ROLLCALL_DATABASE_URL_{service.upper()}",
        )
    if current not in heads:
        at = f"at {current}" if current else "not migrated"
        return Row(
            f"{service} database",
            False,
            f"{shown}: {at}, needs {', '.join(heads)}",
            f"run `rollcall db upgrade {service}`",
        )
    return Row(f"{service} database", True, f"{shown}: at {current}")


def _smtp(settings: Settings, timeout: float) -> Row:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            code, _ = smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return Row(
            "smtp server",
            False,
            f"{where}: {str(exc).strip() or type(exc).__name__}",
            "start the mail server (the mailer needs one), or set ROLLCALL_SMTP_HOST/ROLLCALL_SMTP_PORT",
        )
    if code != 250:
        return Row(
            "smtp server", False, f"{where}: answered NOOP with {code}", "check the mail server"
        )
    return Row("smtp server", True, f"{where}: answers")


def _gateway(settings: Settings, timeout: float) -> Row:
    import requests

    url = f"{settings.public_url.rstrip('/')}/healthz"
    try:
        answer = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        return Row(
            "gateway",
            False,
            f"{url}: {type(exc).__name__}",
            "start it (`rollcall run gateway`), or set ROLLCALL_PUBLIC_URL to where it is served",
        )
    if not answer.ok:
        return Row("gateway", False, f"{url}: HTTP {answer.status_code}", "see the gateway's log")
    return Row("gateway", True, f"{url}: HTTP {answer.status_code}")


def run_checks(
    settings: Settings, *, timeout: float = 5.0, skip: tuple[str, ...] = ()
) -> list[Row]:
    """Every check, in the order a person would fix them."""
    rows = _secrets_and_settings(settings)
    if "broker" not in skip:
        rows.append(_broker(settings, timeout))
    if "databases" not in skip:
        rows += [_database(settings, service) for service in SERVICES]
    if "smtp" not in skip:
        rows.append(_smtp(settings, timeout))
    if "gateway" not in skip:
        rows.append(_gateway(settings, timeout))
    return rows


def render(rows: list[Row]) -> str:
    width = max(len(r.check) for r in rows)
    lines = []
    for r in rows:
        status = "ok     " if r.ok else "PROBLEM"
        lines.append(f"{r.check:<{width}}  {status}  {r.detail}")
        if not r.ok and r.fix:
            lines.append(f"{'':<{width}}  {'':7}  fix: {r.fix}")
    return "\n".join(lines)


@click.command("check")
@click.option(
    "--timeout", type=float, default=5.0, show_default=True, help="Seconds a probe waits."
)
@click.option(
    "--skip",
    type=click.Choice(["broker", "databases", "smtp", "gateway"]),
    multiple=True,
    help="Leave out a probe (for example the gateway, before it is started).",
)
def check(timeout: float, skip: tuple[str, ...]) -> None:
    """Check settings, secrets, broker, databases, SMTP server and gateway; non-zero on any problem."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        click.echo(f"configuration  PROBLEM  {exc}")
        raise SystemExit(1) from None
    socket.setdefaulttimeout(timeout)
    rows = run_checks(settings, timeout=timeout, skip=skip)
    click.echo(render(rows))
    problems = sum(not r.ok for r in rows)
    click.echo(f"{len(rows) - problems} ok, {problems} problem(s)")
    if problems:
        raise SystemExit(1)


CONFIG_HEADER = """\
# Rollcall configuration written by `rollcall init`; docs/configuration.md
# describes every setting. Environment variables (ROLLCALL_<SETTING>) override it.
"""


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--amqp-uri", default="amqp://guest:guest@127.0.0.1:5672/", show_default=True)
@click.option(
    "--database-url",
    default="",
    help="A URL with {service} in it, e.g. postgresql://rollcall@db/rollcall_{service} "
    "(default: an SQLite file per service under DIR/var/db).",
)
@click.option("--smtp-host", default="127.0.0.1", show_default=True)
@click.option("--smtp-port", type=int, default=25, show_default=True)
@click.option("--mail-from", default="ballots@example.org", show_default=True)
@click.option("--gateway-port", type=int, default=8000, show_default=True)
@click.option("--public-url", default="", help="Where voters reach the gateway.")
@click.option("--namespace", default="rollcall", show_default=True)
def init(
    directory: Path,
    amqp_uri: str,
    database_url: str,
    smtp_host: str,
    smtp_port: int,
    mail_from: str,
    gateway_port: int,
    public_url: str,
    namespace: str,
) -> None:
    """Write DIR/rollcall.yaml and every secret (mode 0600) under DIR/secrets."""
    from rollcall.preflight import new_secrets

    directory = directory.resolve()
    config = directory / "rollcall.yaml"
    if config.exists():
        raise click.ClickException(f"{config} exists; remove it first to write a new one")
    if database_url and "{service}" not in database_url:
        raise click.ClickException("--database-url needs {service} in it (one database a service)")
    directory.mkdir(parents=True, exist_ok=True)
    import yaml

    urls = {
        s: database_url.format(service=s)
        if database_url
        else f"sqlite:///{directory / 'var' / 'db' / s}.sqlite"
        for s in SERVICES
    }
    values = {
        "var_dir": str(directory / "var"),
        "secrets_dir": str(directory / "secrets"),
        "amqp_uri": amqp_uri,
        "namespace": namespace,
        "database_urls": urls,
        "smtp_host": smtp_host,
        "smtp_port": smtp_port,
        "mail_from": mail_from,
        "gateway_host": "0.0.0.0",
        "gateway_port": gateway_port,
        "public_url": public_url or f"http://127.0.0.1:{gateway_port}",
    }
    text = CONFIG_HEADER + yaml.safe_dump(values, sort_keys=False)
    config.write_text(text)
    config.chmod(0o600)
    (directory / "var").mkdir(exist_ok=True)
    written = new_secrets(directory / "secrets")
    click.echo(f"wrote {config}")
    for path in written:
        click.echo(f"wrote {path} (mode 0600)")
    click.echo(
        f"next: export ROLLCALL_CONFIG={config}; rollcall db upgrade; rollcall check --skip gateway"
    )
