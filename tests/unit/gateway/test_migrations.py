"""The gateway's migrations build what its models declare; a user's token survives the upgrade."""

from __future__ import annotations

import sqlalchemy as sa

from gateway import auth
from gateway.models import Base
from rollcall.db import upgrade
from tests import support

BEFORE_TOKENS = "9f30cd6f46b1"


def test_the_migrations_build_the_tables_the_models_declare(empty_database: str) -> None:
    assert support.schema_drift("gateway", empty_database, Base.metadata) == []


def test_a_users_token_from_before_still_names_them_after_the_upgrade(empty_database: str) -> None:
    upgrade("gateway", empty_database, BEFORE_TOKENS)
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as c:
            c.execute(
                sa.text(
                    "INSERT INTO users (id, name, role, token_hash, created_at, created_by)"
                    " VALUES (7, 'Ada', 'operator', :h, '2026-12-01 10:00:00+00:00', 'cli')"
                ),
                {"h": auth.token_hash("old-token")},
            )
        upgrade("gateway", empty_database)
        with engine.connect() as c:
            rows = c.execute(sa.text("SELECT user_id, token_hash FROM tokens")).all()
        assert [tuple(r) for r in rows] == [(7, auth.token_hash("old-token"))]
    finally:
        engine.dispose()
