"""Registration's migrations build what its models declare, and an old database keeps its dropped rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from rollcall.db import upgrade
from services.registration.models import Base
from tests import support

BEFORE_DROPPED_ROWS = "37fa39f90bdd"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of each kind, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registration.sqlite'}"
        return
    pg_url = request.getfixturevalue("pg_url")
    name = f"rc_registration_migrations_{uuid.uuid4().hex[:8]}"
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
    upgrade("registration", empty_database)
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrading_keeps_every_rejected_and_duplicate_row_as_a_dropped_row(
    empty_database: str,
) -> None:
    upgrade("registration", empty_database, BEFORE_DROPPED_ROWS)
    header = ["membership_number", "last_name", "association"]
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO ballots (id, title, method, seats, candidates, area, timetable,"
                    " eligibility, seed, phase, created_at) VALUES (1, 't', 'fptp', 1, '[]', '[]',"
                    " '{}', '{}', 's', 'draft', '2026-01-01 00:00:00+00:00')"
                )
            )
            c.execute(
                sa.text(
                    "INSERT INTO extracts (id, ballot_id, source, file_name, header, declared_rows,"
                    " sha256, status, refusal, received_rows, accepted, rejected, duplicates,"
                    " created_at) VALUES ('x1', 1, 'test', 'm.csv', :header, 3, '', 'complete', '',"
                    " 3, 1, 1, 1, '2026-01-01 00:00:00+00:00')"
                ),
                {"header": json.dumps(header)},
            )
            c.execute(
                sa.text(
                    "INSERT INTO rejected_rows (extract_id, line_no, record, reasons) VALUES"
                    " ('x1', 3, :record, :reasons)"
                ),
                {"record": json.dumps(["M2", "", "HACK"]), "reasons": '["the last name is empty"]'},
            )
            c.execute(
                sa.text(
                    "INSERT INTO duplicate_rows (extract_id, line_no, membership_number, record,"
                    " first_seen) VALUES ('x1', 4, 'M1', :record, 'x1 line 2')"
                ),
                {"record": json.dumps(["M1", "Byron", "HACK"])},
            )
        upgrade("registration", empty_database)
        with engine.begin() as c:
            rows = c.execute(
                sa.text(
                    "SELECT ballot_id, line_no, kind, status, membership_number, row, reasons,"
                    " first_seen FROM dropped_rows ORDER BY line_no"
                )
            ).all()
            extract = c.execute(sa.text("SELECT corrected, read_as FROM extracts")).one()
        loaded = [(r[0], r[1], r[2], r[3], r[4], _json(r[5]), _json(r[6]), r[7]) for r in rows]
        assert loaded == [
            (1, 3, "rejected", "open", "M2", dict(zip(header, ["M2", "", "HACK"], strict=True)),
             ["the last name is empty"], None),
            (1, 4, "duplicate", "open", "M1", dict(zip(header, ["M1", "Byron", "HACK"], strict=True)), [],
             "x1 line 2"),
        ]  # fmt: skip
        assert (extract[0], _json(extract[1])) == (0, {})
    finally:
        engine.dispose()


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value
