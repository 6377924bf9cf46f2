"""The tally's migrations build what its models declare, and an old database keeps its voters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from rollcall.db import upgrade
from services.tally.models import Base
from tests import support

BEFORE_VOTERS = "eedff523aa73"


def test_the_migrations_build_the_tables_the_models_declare(empty_database: str) -> None:
    assert support.schema_drift("tally", empty_database, Base.metadata) == []

    engine = sa.create_engine(empty_database)
    try:
        assert "electorate" not in sa.inspect(engine).get_table_names()
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
