"""Test infrastructure: the real broker and database, isolated per test.

Where a Docker engine answers, testcontainers starts PostgreSQL and RabbitMQ;
otherwise the servers named by ``ROLLCALL_TEST_PG`` and ``ROLLCALL_TEST_AMQP``
are used (defaulting to the local ones). Neither is optional: if they cannot be
reached the tests fail loudly, they never skip.

Isolation: each test gets its own RabbitMQ vhost (via ``rabbitmqctl`` when it
is on this machine) and its own namespace of exchanges and queues, and its
own PostgreSQL database per service, cloned from a template migrated once per
run.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import sqlalchemy as sa
from nameko.containers import ServiceContainer

from rollcall.config import Settings, load_settings
from rollcall.db import upgrade
from rollcall.runtime import nameko_config
from tests.builders import ballots as builders


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def admin_engine(pg_url: str) -> sa.Engine:
    return sa.create_engine(pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def with_database(pg_url: str, name: str) -> str:
    parts = urlsplit(pg_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


class Databases:
    """Per-service template databases, migrated once; cheap clones per test."""

    def __init__(self, pg_url: str) -> None:
        self.pg_url = pg_url
        self.run_id = uuid.uuid4().hex[:8]
        self.templates: dict[str, str] = {}
        self.created: list[str] = []
        self.engine = admin_engine(pg_url)
        with self.engine.connect() as c:
            c.execute(sa.text("select 1"))

    def template(self, service: str) -> str:
        if service not in self.templates:
            name = f"rc_tpl_{self.run_id}_{service}"
            with self.engine.connect() as c:
                c.execute(sa.text(f'CREATE DATABASE "{name}"'))
            self.created.append(name)
            upgrade(service, with_database(self.pg_url, name))
            self.templates[service] = name
        return self.templates[service]

    def fresh(self, service: str) -> str:
        template = self.template(service)
        name = f"rc_{self.run_id}_{uuid.uuid4().hex[:8]}_{service}"
        with self.engine.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self.created.append(name)
        return with_database(self.pg_url, name)

    def drop_all(self) -> None:
        with self.engine.connect() as c:
            for name in reversed(self.created):
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


class Broker:
    """Vhost per test where ``rabbitmqctl`` is here; a unique namespace always."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.ctl = shutil.which("rabbitmqctl")
        from kombu import Connection

        with Connection(amqp_url, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)

    @contextlib.contextmanager
    def vhost(self) -> Iterator[str]:
        if not self.ctl:
            yield self.amqp_url
            return
        name = f"rc-test-{uuid.uuid4().hex[:10]}"
        subprocess.run([self.ctl, "-q", "add_vhost", name], check=True, capture_output=True)
        subprocess.run(
            [self.ctl, "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
        parts = urlsplit(self.amqp_url)
        try:
            yield urlunsplit(parts._replace(path="/" + quote(name, safe="")))
        finally:
            subprocess.run([self.ctl, "-q", "delete_vhost", name], capture_output=True)


def write_secrets(directory):  # type: ignore[no-untyped-def]
    """Fresh secrets for one test: nothing in code has a default."""
    import secrets as _secrets

    from rollcall.sealing import new_key

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "code_hash_key").write_text(_secrets.token_hex(32))
    (directory / "mail_seal_key").write_bytes(new_key())
    (directory / "signing_key_passphrase").write_text(_secrets.token_hex(32))
    (directory / "personal_data_key").write_text(_secrets.token_hex(32))
    return directory


def publish_event(
    settings: Settings,
    event_type: str,
    payload: Any,
    *,
    message_id: str | None = None,
    version: int | None = None,
    body: bytes | None = None,
) -> str:
    """Publish one event as a producer's relay would (or a malformed one, for tests)."""
    import json as _json

    from rollcall.messaging.contracts import contract
    from rollcall.messaging.publisher import ConfirmingPublisher, Outgoing
    from rollcall.messaging.topology import SCHEMA_HEADER, Topology

    message_id = message_id or uuid.uuid4().hex
    topology = Topology.of(settings)
    publisher = ConfirmingPublisher(settings.amqp_uri)
    try:
        channel = publisher.channel()
        topology.declare(channel)
        channel.close()
        publisher.publish(
            [
                Outgoing(
                    exchange=topology.events_exchange,
                    routing_key=event_type,
                    body=body if body is not None else _json.dumps(payload).encode(),
                    message_id=message_id,
                    correlation_id="test",
                    type=event_type,
                    headers={
                        SCHEMA_HEADER: version
                        if version is not None
                        else contract(event_type).version
                    },
                )
            ]
        )
    finally:
        publisher.close()
    return message_id


def queue_messages(settings: Settings, queue: str) -> list[Any]:
    """Take every message waiting in ``queue`` (py-amqp messages)."""
    from rollcall.messaging.publisher import ConfirmingPublisher

    publisher = ConfirmingPublisher(settings.amqp_uri)
    try:
        channel = publisher.channel()
        taken = []
        while (msg := channel.basic_get(queue, no_ack=True)) is not None:
            taken.append(msg)
        channel.close()
        return taken
    finally:
        publisher.close()


def settings_for_test(amqp_uri: str, database_urls: dict[str, str], **overrides: Any) -> Settings:
    base = load_settings({})
    values: dict[str, Any] = {
        "amqp_uri": amqp_uri,
        "namespace": f"rc{uuid.uuid4().hex[:8]}",
        "database_urls": database_urls,
        "metrics_ports": {
            s: 0 for s in ("registration", "matching", "codes", "mailer", "tally", "gateway")
        },
        "retry_delays": (0.2, 0.4),
        "relay_interval": 0.05,
    }
    values.update(overrides)
    return replace(base, **values)


@contextlib.contextmanager
def running(
    settings: Settings, *service_classes: type, **extra: Any
) -> Iterator[list[ServiceContainer]]:
    """Run services in this process against the real broker; stop them after."""
    containers = [
        ServiceContainer(cls, config=nameko_config(settings, **extra)) for cls in service_classes
    ]
    try:
        for c in containers:
            c.start()
        yield containers
    finally:
        for c in containers:
            c.stop()


def rpc_proxy(settings: Settings):  # type: ignore[no-untyped-def]
    from nameko.standalone.rpc import ClusterRpcProxy

    return ClusterRpcProxy(nameko_config(settings), timeout=30)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns a truthy value; fail with ``what`` on timeout."""
    import eventlet

    deadline = eventlet.hubs.get_hub().clock() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if eventlet.hubs.get_hub().clock() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; last value {value!r}"
            )
        eventlet.sleep(interval)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def aiosmtpd(handler: list[str], port: int | None = None) -> Iterator[tuple[int, int]]:
    """A real SMTP server (aiosmtpd, in its own process) with ``handler`` (``-c`` and its
    arguments); (its port, its pid) once it answers, stopped after."""
    import socket
    import sys
    import time

    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", *handler],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the SMTP sink did not start") from None
                time.sleep(0.1)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def smtp_sink(mail_dir, port: int | None = None) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A real SMTP server (aiosmtpd, in its own process) saving mail to a Maildir."""
    with aiosmtpd(["-c", "aiosmtpd.handlers.Mailbox", str(mail_dir)], port) as (port, _):
        yield port


def mails(mail_dir) -> list[Any]:  # type: ignore[no-untyped-def]
    import email
    import email.policy

    found = []
    for sub in ("new", "cur"):
        folder = mail_dir / sub
        if folder.exists():
            found += [
                email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(folder.iterdir())
            ]
    return found


def collect_messages(
    settings: Settings, queue: str, count: int, timeout: float = 30.0
) -> list[Any]:
    """Wait until ``count`` messages have been taken from ``queue`` (across polls); return them."""
    taken: list[Any] = []

    def enough() -> bool:
        taken.extend(queue_messages(settings, queue))
        return len(taken) >= count

    wait_for(enough, timeout=timeout, what=f"{count} message(s) in {queue}")
    return taken


def outbox_drained(settings: Settings, service: str) -> bool:
    """True once every event ``service`` has written is confirmed by the broker."""
    engine = sa.create_engine(settings.database_url(service), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return (
                c.execute(
                    sa.text("select count(*) from outbox where published_at is null")
                ).scalar_one()
                == 0
            )
    finally:
        engine.dispose()


def schema_drift(service: str, url: str, metadata: sa.MetaData) -> list[Any]:
    """Migrate ``service``'s database at ``url`` to head; what differs from ``metadata``."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from rollcall.db import upgrade

    upgrade(service, url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def ballot_with_members(rpc: Any, records: list[list[str]], **definition: Any) -> int:
    """A new ballot (the builders' definition, ``definition`` over it) with ``records`` imported."""
    bid = int(rpc.registration.create_ballot(builders.ballot_definition(**definition))["ballot_id"])
    extract_id = f"x{bid}"
    rpc.registration.begin_extract(**builders.extract_opening(bid, extract_id, len(records)))
    rpc.registration.add_extract_rows(extract_id, 0, 2, records)
    rpc.registration.finish_extract(extract_id, 1)
    return bid
