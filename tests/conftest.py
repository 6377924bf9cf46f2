"""Shared fixtures: the real PostgreSQL and RabbitMQ (see tests/support.py)."""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402 - nameko needs it before anything else imports socket

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import support


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = os.environ.get("ROLLCALL_TEST_PG")
    if url is None and support.docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16") as pg:
            yield pg.get_connection_url().replace("+psycopg2", "")
        return
    yield url or "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    url = os.environ.get("ROLLCALL_TEST_AMQP")
    if url is None and support.docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13") as mq:
            params = mq.get_connection_params()
            yield f"amqp://guest:guest@{params.host}:{params.port}/"
        return
    yield url or "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture(scope="session")
def databases(pg_url: str) -> Iterator[support.Databases]:
    dbs = support.Databases(pg_url)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def broker(amqp_url: str) -> support.Broker:
    return support.Broker(amqp_url)


@pytest.fixture
def vhost(broker: support.Broker) -> Iterator[str]:
    with broker.vhost() as uri:
        yield uri


@pytest.fixture
def secrets_dir(tmp_path):  # type: ignore[no-untyped-def]
    return support.write_secrets(tmp_path / "secrets")


@pytest.fixture
def make_settings(vhost: str, databases: support.Databases, secrets_dir, tmp_path):  # type: ignore[no-untyped-def]
    """``make_settings("registration", "matching", **overrides)``: fresh DBs, own vhost."""

    def make(*services: str, **overrides):  # type: ignore[no-untyped-def]
        urls = {s: databases.fresh(s) for s in services}
        overrides.setdefault("secrets_dir", str(secrets_dir))
        overrides.setdefault("var_dir", str(tmp_path / "var"))
        return support.settings_for_test(vhost, urls, **overrides)

    return make


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind (for migration tests), dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    pg_url = request.getfixturevalue("pg_url")
    name = f"rc_migrations_{uuid.uuid4().hex[:8]}"
    admin = support.admin_engine(pg_url)
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield support.with_database(pg_url, name)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
