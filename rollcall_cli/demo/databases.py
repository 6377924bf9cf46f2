"""Throwaway PostgreSQL service databases for a demo or a benchmark run.

Replicas of a service share its database, so they need PostgreSQL: an SQLite
file is one process's database. ``ScratchDatabases`` creates one database
per service on a PostgreSQL server (by default the local one) and drops
them at the end.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

#: The server throwaway databases are created on unless told otherwise.
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


class ScratchDatabases:
    """One new database per service on the server at ``server_url``, dropped by ``drop()``."""

    def __init__(self, server_url: str, services: tuple[str, ...], prefix: str = "rc_demo") -> None:
        self.server_url = server_url
        self.prefix = f"{prefix}_{uuid.uuid4().hex[:8]}"
        self.names = {s: f"{self.prefix}_{s}" for s in services}
        self.created: list[str] = []

    def where(self) -> str:
        """The server, as ``host:port``, for messages."""
        parts = urlsplit(self.server_url)
        return f"{parts.hostname}:{parts.port or 5432}"

    def create(self) -> dict[str, str]:
        """Create the databases; {service: URL}. Raises SQLAlchemy's errors if the server says no."""
        import sqlalchemy as sa

        engine = sa.create_engine(
            self.server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        urls = {}
        try:
            with engine.connect() as c:
                for service, name in self.names.items():
                    c.execute(sa.text(f'CREATE DATABASE "{name}"'))
                    self.created.append(name)
                    urls[service] = urlunsplit(urlsplit(self.server_url)._replace(path=f"/{name}"))
        finally:
            engine.dispose()
        return urls

    def drop(self) -> None:
        """Drop every database this made (closing any connection still open to it)."""
        import sqlalchemy as sa

        if not self.created:
            return
        engine = sa.create_engine(
            self.server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        try:
            with engine.connect() as c:
                for name in self.created:
                    c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.created = []
        finally:
            engine.dispose()
