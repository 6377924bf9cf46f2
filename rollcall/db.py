"""Database engines, sessions and migrations for every service.

Guarantees:

- ``make_engine`` never blocks the eventlet hub on PostgreSQL: when eventlet
  has patched the process it installs psycogreen's wait callback first, so a
  query yields to other green threads instead of freezing the service.
- On SQLite (the demo default) each process gets one connection guarded by a
  green-friendly pool of one, with WAL and a busy timeout, so concurrent
  workers queue for the database instead of failing with "database is locked";
  a transaction is one transaction (``BEGIN IMMEDIATE`` at its start), so a
  savepoint inside it commits nothing on its own.
- ``upgrade(service, url)`` brings a service's database to its newest Alembic
  revision; services never create tables any other way. On PostgreSQL it
  holds an advisory lock of the service's for the whole upgrade, so replicas
  that start together and each migrate on start (``rollcall run``) do it one
  at a time: the first migrates, the others wait for it and find nothing left
  to do, instead of racing to create the same tables.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, TypeDecorator, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool


def _green_postgres() -> None:
    try:
        import eventlet.patcher
    except ImportError:  # pragma: no cover - eventlet is a hard dependency
        return
    if eventlet.patcher.is_monkey_patched("socket"):
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def is_postgres(engine_or_url: Engine | Connection | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.engine.url)
    return url.startswith("postgresql")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url`` that cooperates with eventlet."""
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=120,
            connect_args={"check_same_thread": False, "timeout": 60},
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite opens a transaction only at the first INSERT/UPDATE/DELETE, so a
            # SAVEPOINT before it opened one of its own and its RELEASE committed on the
            # spot. Take transactions out of its hands; SQLAlchemy begins them (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # IMMEDIATE: take the write lock at the start (waiting up to the busy
            # timeout), so a transaction that read first can always write after.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if is_postgres(url):
        _green_postgres()
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


def migrations_dir(service: str) -> Path:
    import importlib

    module = importlib.import_module(f"services.{service}" if service != "gateway" else "gateway")
    return Path(module.__file__).parent / "migrations"  # type: ignore[arg-type]


def alembic_config(service: str, url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir(service)))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


#: The advisory lock class ``upgrade`` takes on PostgreSQL (its key: a hash of the service name).
MIGRATION_LOCK_CLASS = 0x524D  # "RM": Rollcall migrations


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Migrate ``service``'s database at ``url`` to ``revision``.

    On PostgreSQL, one process at a time per database and service: the
    migration lock is held on a connection of its own until the upgrade is
    over (or the process dies, which lets it go).
    """
    from alembic import command

    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    if not is_postgres(url):
        command.upgrade(alembic_config(service, url), revision)
        return
    from sqlalchemy import text

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as lock:
            key = {"cls": MIGRATION_LOCK_CLASS, "service": service}
            lock.execute(text("SELECT pg_advisory_lock(:cls, hashtext(:service))"), key)
            lock.commit()
            try:
                command.upgrade(alembic_config(service, url), revision)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:cls, hashtext(:service))"), key)
                lock.commit()
    finally:
        engine.dispose()


def revisions(service: str, url: str) -> tuple[str | None, tuple[str, ...]]:
    """(the revision ``service``'s database at ``url`` is at, or None if never migrated; its heads).

    Connects, so it raises SQLAlchemy's ``OperationalError`` if the database
    cannot be reached. An SQLite file that does not exist yet is not created.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = tuple(ScriptDirectory.from_config(alembic_config(service, url)).get_heads())
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).exists():
            return None, heads
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return current, heads


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every database.

    PostgreSQL keeps the zone; SQLite does not, and hands back naive values
    that cannot be compared with aware ones. This stores UTC and always
    returns an aware UTC datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time zone")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


#: PostgreSQL's "deadlock detected" and "could not serialize access": the
#: transaction was rolled back whole and may simply be run again.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient(exc: BaseException) -> bool:
    """True for a database error after which running the same transaction again is right."""
    return getattr(getattr(exc, "orig", None), "pgcode", None) in TRANSIENT_SQLSTATES
