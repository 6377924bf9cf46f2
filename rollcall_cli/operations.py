"""Operations commands: run a service, migrate databases, the parking lot."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import click

from rollcall.config import SERVICES
from rollcall_cli.common import SERVICE_CLASSES, echo_json, green, service_class


def _settings_or_exit():  # type: ignore[no-untyped-def]
    """The settings, or exit 2 with the one line that says what is malformed."""
    from rollcall.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        click.echo(f"rollcall: {exc}", err=True)
        raise SystemExit(2) from None


@click.command("run")
@click.argument("service", type=click.Choice(sorted(SERVICE_CLASSES)))
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the service's database first.")
@click.option(
    "--wait",
    "wait_seconds",
    type=float,
    default=None,
    help="Do not migrate: wait up to this many seconds for the database to be migrated "
    "(by a one-shot `rollcall db upgrade`), then start.",
)
@click.option(
    "--ports-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Bind the metrics (and the gateway's HTTP) server on free ports of the service's "
    "own choosing and write them to this JSON file once it is running.",
)
def run_service(
    service: str, no_migrate: bool, wait_seconds: float | None, ports_file: Path | None
) -> None:
    """Run one service in this process until SIGTERM or SIGINT.

    It first checks its settings and every secret it uses and exits with
    status 2, one line per problem, if any is missing or malformed.
    """
    from rollcall.preflight import service_problems

    settings = _settings_or_exit()
    problems = service_problems(settings, service)
    if problems:
        for problem in problems:
            click.echo(problem.line(f"{service} cannot start"), err=True)
        raise SystemExit(2)
    green()
    import eventlet
    from nameko.runners import ServiceRunner

    from rollcall.db import upgrade
    from rollcall.runtime import nameko_config

    if wait_seconds is not None:
        _wait_migrated((service,), settings, wait_seconds)
    elif not no_migrate:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            upgrade(service, settings.database_url(service))
        except SQLAlchemyError as exc:
            url = _redacted(settings.database_url(service))
            click.echo(f"{service} cannot start: migrating {url} failed: {_reason(exc)}", err=True)
            raise SystemExit(1) from None
    runner = ServiceRunner(nameko_config(settings, any_port=ports_file is not None))
    runner.add_service(service_class(service))

    def shutdown(signum, frame):  # type: ignore[no-untyped-def]
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    if ports_file is not None:
        from rollcall.runtime import bound_ports

        (container,) = runner.containers
        ports = {"service": service, "pid": os.getpid(), **bound_ports(container)}
        partial = ports_file.with_name(ports_file.name + ".partial")
        partial.write_text(json.dumps(ports))
        partial.replace(ports_file)
    click.echo(f"{service} running", err=True)
    runner.wait()


@click.group()
def db() -> None:
    """Service databases."""


@db.command("upgrade")
@click.argument("services", nargs=-1, type=click.Choice(SERVICES))
def db_upgrade(services: tuple[str, ...]) -> None:
    """Migrate the named services' databases (all if none is named) to the newest revision.

    Says for each what it did: created from nothing, upgraded from one
    revision to another, or already up to date.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from rollcall.db import revisions, upgrade

    settings = _settings_or_exit()
    for service in services or SERVICES:
        url = settings.database_url(service)
        try:
            before, heads = revisions(service, url)
            upgrade(service, url)
            after, _ = revisions(service, url)
        except SQLAlchemyError as exc:
            raise click.ClickException(
                f"{service}: cannot migrate {_redacted(url)}: {_reason(exc)}"
            ) from None
        if before == after:
            click.echo(f"{service}: already at {after} (up to date)")
        elif before is None:
            click.echo(f"{service}: created the tables of a new database, now at {after}")
        else:
            click.echo(f"{service}: upgraded from {before} to {after}")


@db.command("wait")
@click.argument("services", nargs=-1, type=click.Choice(SERVICES))
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds.")
def db_wait(services: tuple[str, ...], timeout: float) -> None:
    """Wait until the named services' databases (all if none) are at their newest revision."""
    settings = _settings_or_exit()
    _wait_migrated(services or SERVICES, settings, timeout)
    click.echo(f"{', '.join(services or SERVICES)}: migrated")


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _redacted(url: str) -> str:
    """``url`` (or ``;``-separated URLs) with every password replaced by ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    shown = []
    for part in url.split(";"):
        try:
            parts = urlsplit(part)
            if parts.password:
                netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
                part = urlunsplit(parts._replace(netloc=netloc))
        except ValueError:
            part = "(a URL that does not parse)"
        shown.append(part)
    return ";".join(shown)


def _wait_migrated(services, settings, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """Return when every service's database is at its head; exit 1 saying which is not."""
    import time

    from sqlalchemy.exc import SQLAlchemyError

    from rollcall.db import revisions

    deadline = time.monotonic() + timeout
    while True:
        waiting = []
        for service in services:
            url = settings.database_url(service)
            try:
                current, heads = revisions(service, url)
            except SQLAlchemyError as exc:
                waiting.append(f"{service} ({_redacted(url)}: {_reason(exc)})")
                continue
            if current not in heads:
                at = f"at {current}" if current else "never migrated"
                waiting.append(f"{service} ({at}, needs {', '.join(heads)})")
        if not waiting:
            return
        if time.monotonic() >= deadline:
            raise click.ClickException(
                f"databases not migrated after {timeout:g} s: {'; '.join(waiting)}; "
                "run `rollcall db upgrade` (the migration job)"
            )
        time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))


def _messaging():  # type: ignore[no-untyped-def]
    green()
    from rollcall.config import load_settings
    from rollcall.messaging.publisher import ConfirmingPublisher
    from rollcall.messaging.topology import Topology

    settings = load_settings()
    topology = Topology.of(settings)
    publisher = ConfirmingPublisher(settings.amqp_uri)
    channel = publisher.channel()
    topology.declare(channel)
    channel.close()
    return publisher, topology


@click.group()
def parked() -> None:
    """The parking lot of messages that could not be handled."""


@parked.command("list")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def parked_list(limit: int, as_json: bool) -> None:
    """Show parked messages and why they were parked (they stay parked)."""
    from rollcall.messaging.parking import browse

    publisher, topology = _messaging()
    items = list(browse(publisher, topology, limit))
    publisher.close()
    if as_json:
        echo_json([i.__dict__ for i in items])
        return
    for i in items:
        click.echo(f"{i.message_id}  {i.event_type:<24} {i.queue}\n    {i.reason}")
    click.echo(f"{len(items)} parked message(s) shown")


@click.command("replay")
@click.option("--limit", type=int, default=None, help="At most this many.")
@click.option("--queue", default=None, help="Only messages parked from this queue.")
@click.option("--event", "event_type", default=None, help="Only this event type.")
def replay(limit: int | None, queue: str | None, event_type: str | None) -> None:
    """Put parked messages back on the queues they came from."""
    from rollcall.messaging.parking import replay as do_replay

    publisher, topology = _messaging()
    done = do_replay(publisher, topology, limit=limit, queue=queue, event_type=event_type)
    publisher.close()
    for p in done:
        click.echo(f"replayed {p.message_id} ({p.event_type}) to {p.queue}")
    click.echo(f"{len(done)} message(s) replayed")
