"""Reading a service's own database from a test, to assert on rows the service wrote."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def rows(settings: Any, service: str, sql: str, **params: Any) -> list[sa.Row]:
    """The rows ``sql`` selects from ``service``'s database."""
    engine = sa.create_engine(settings.database_url(service))
    try:
        with engine.connect() as c:
            return list(c.execute(sa.text(sql), params))
    finally:
        engine.dispose()
