"""The tally's migrations build what its models declare, and an old database keeps its voters."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rollcall.db import upgrade
from services.tally.models import Base
from tests import support

BEFORE_VOTERS = "eedff523aa73"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tally.sqlite'}"
        return
    pg_url = request.getfixturevalue("pg_url")
    name = f"rc_tally_migrations_{uuid.uuid4().hex[:8]}"
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
    upgrade("tally", empty_database)
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            assert "electorate" not in sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_upgrading_a_database_from_before_the_rename_keeps_every_voter(
    empty_database: str,
) -> None:
    upgrade("tally", empty_database, BEFORE_VOTERS)
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO ballots (ballot_id, definition, phase) VALUES (1, '{}', 'open')"
                )
            )
            c.execute(
                sa.text(
                    "INSERT INTO electorate (ballot_id, membership_number, is_withdrawn) "
                    "VALUES (1, 'M1', false), (1, 'M2', true)"
                )
            )
        upgrade("tally", empty_database)
        with engine.begin() as c:
            rows = c.execute(
                sa.text(
                    "SELECT membership_number, is_withdrawn FROM voters ORDER BY membership_number"
                )
            ).all()
            assert [tuple(r) for r in rows] == [("M1", False), ("M2", True)]
            with pytest.raises(sa.exc.IntegrityError):
                c.execute(
                    sa.text(
                        "INSERT INTO voters (ballot_id, membership_number, is_withdrawn) "
                        "VALUES (1, 'M1', false)"
                    )
                )
    finally:
        engine.dispose()
