"""The codes service's migrations build what its models declare (SQLite and PostgreSQL)."""

from __future__ import annotations

from services.codes.models import Base
from tests import support


def test_the_migrations_build_the_tables_the_models_declare(empty_database: str) -> None:
    assert support.schema_drift("codes", empty_database, Base.metadata) == []
