"""The mailer's migrations build what its models declare, and a pending delivery survives them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rollcall.db import upgrade
from services.mailer.models import Base
from tests import support

BEFORE_NEXT_ATTEMPT = "f49a147943fd"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mailer.sqlite'}"
        return
    pg_url = request.getfixturevalue("pg_url")
    name = f"rc_mailer_migrations_{uuid.uuid4().hex[:8]}"
    admin = support.admin_engine(pg_url)
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield support.with_database(pg_url, name)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_migrations_build_the_tables_the_models_declare(empty_database: str) -> None:
    upgrade("mailer", empty_database)
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_a_delivery_pending_before_the_upgrade_is_due_at_once_after_it(empty_database: str) -> None:
    upgrade("mailer", empty_database, BEFORE_NEXT_ATTEMPT)
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO deliveries (ballot_id, membership_number, kind, channel, status,"
                    " contact, attempts, last_error, message_id, postal_batch, created_at)"
                    " VALUES (1, 'M1', 'initial', 'email', 'pending', '{}', 2, 'refused', '', '',"
                    " '2026-12-07 01:00:00+00:00')"
                )
            )
        upgrade("mailer", empty_database)
        with engine.begin() as c:
            rows = c.execute(
                sa.text("SELECT membership_number, attempts, next_attempt_at FROM deliveries")
            ).all()
        assert [tuple(r) for r in rows] == [("M1", 2, None)]
    finally:
        engine.dispose()
