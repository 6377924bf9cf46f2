"""The mailer's migrations build what its models declare, and a pending delivery survives them."""

from __future__ import annotations

import sqlalchemy as sa

from rollcall.db import upgrade
from services.mailer.models import Base
from tests import support

BEFORE_NEXT_ATTEMPT = "f49a147943fd"


def test_the_migrations_build_the_tables_the_models_declare(empty_database: str) -> None:
    assert support.schema_drift("mailer", empty_database, Base.metadata) == []


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
