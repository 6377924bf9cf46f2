"""Databases for the register tests: the real PostgreSQL (never skipped) and SQLite files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _server() -> str:
    return os.environ.get("ROLLCALL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="module")
def new_postgres() -> Iterator[Callable[[], str]]:
    """Makes empty PostgreSQL databases (``new_postgres()`` -> URL), dropped after the module."""
    import psycopg2

    server = _server()
    try:
        admin = psycopg2.connect(server)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"no PostgreSQL at {server}: {exc} (the tests need the real database)")
    admin.autocommit = True
    made: list[str] = []

    def make() -> str:
        name = f"rollcall_matching_test_{uuid.uuid4().hex[:8]}"
        admin.cursor().execute(f"CREATE DATABASE {name}")
        made.append(name)
        return server.rsplit("/", 1)[0] + f"/{name}"

    yield make
    for name in made:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="module")
def postgres_server(new_postgres: Callable[[], str]) -> str:
    """One empty PostgreSQL database for the module."""
    return new_postgres()


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(
    request: pytest.FixtureRequest, new_postgres: Callable[[], str], tmp_path: Path
) -> str:
    """The URL of an empty database of each kind, for one test."""
    if request.param == "postgresql":
        return new_postgres()
    return f"sqlite:///{tmp_path / 'matching.sqlite'}"
