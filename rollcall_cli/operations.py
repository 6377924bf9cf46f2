"""Operations commands: run a service, migrate databases, the parking lot."""

from __future__ import annotations

import signal

import click

from rollcall.config import SERVICES
from rollcall_cli.common import SERVICE_CLASSES, echo_json, green, service_class


@click.command("run")
@click.argument("service", type=click.Choice(sorted(SERVICE_CLASSES)))
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the service's database first.")
def run_service(service: str, no_migrate: bool) -> None:
    """Run one service in this process until SIGTERM or SIGINT."""
    green()
    import eventlet
    from nameko.runners import ServiceRunner

    from rollcall.config import load_settings
    from rollcall.db import upgrade
    from rollcall.runtime import nameko_config

    settings = load_settings()
    if not no_migrate:
        upgrade(service, settings.database_url(service))
    runner = ServiceRunner(nameko_config(settings))
    runner.add_service(service_class(service))

    def shutdown(signum, frame):  # type: ignore[no-untyped-def]
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    click.echo(f"{service} running", err=True)
    runner.wait()


@click.group()
def db() -> None:
    """Service databases."""


@db.command("upgrade")
@click.argument("services", nargs=-1, type=click.Choice(SERVICES))
def db_upgrade(services: tuple[str, ...]) -> None:
    """Migrate the named services' databases (all if none is named) to the newest revision."""
    from rollcall.config import load_settings
    from rollcall.db import upgrade

    settings = load_settings()
    for service in services or SERVICES:
        upgrade(service, settings.database_url(service))
        click.echo(f"{service}: up to date")


def _messaging():  # type: ignore[no-untyped-def]
    green()
    from rollcall.config import load_settings
    from rollcall.messaging.publisher import ConfirmingPublisher
    from rollcall.messaging.topology import Topology

    settings = load_settings()
    topology = Topology(settings.namespace, settings.retry_delays)
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
