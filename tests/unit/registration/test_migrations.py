"""Registration's migrations build what its models declare, and an old database keeps its dropped rows."""

from __future__ import annotations

import json

import sqlalchemy as sa

from rollcall.db import upgrade
from services.registration.models import Base
from tests import support

BEFORE_DROPPED_ROWS = "37fa39f90bdd"


def test_the_migrations_build_the_tables_the_models_declare(empty_database: str) -> None:
    assert support.schema_drift("registration", empty_database, Base.metadata) == []


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
