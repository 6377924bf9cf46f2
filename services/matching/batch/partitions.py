"""The PostgreSQL partitions of ``register_electors``: one per register version.

A version is bulk-loaded the way PostgreSQL loads fastest: into a table of its
own with no index (``create_partition``), then indexed in a few sessions at
once with plenty of sort memory (``index_partition``), then attached to
``register_electors`` in the same transaction that marks the version complete
(``attach_partition``).

Guarantees:

- Until it is attached a partition is invisible to every query on
  ``register_electors``: an interrupted load leaves a detached table (dropped by
  ``drop_partition`` when the loader sees the failure) and an incomplete version.
- The partition's indexes, primary key and foreign key are those the model
  declares on ``register_electors``, so attaching adopts them instead of
  building them again, and a ``CHECK`` on ``version_id`` spares it a scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from queue import Empty, Queue
from typing import Any

import psycopg2
from sqlalchemy import Connection, Engine, Index, text

from services.matching.models.registers import RegisterElector, partition_name

#: Sort memory of each index-building session (a 5.5M-row key index sorts in about 400 MB).
INDEX_MEMORY = "1GB"


def _table() -> Any:
    return RegisterElector.__table__


def create_partition(connection: Connection, version_id: int) -> str:
    """Create the empty, unindexed table for ``version_id``'s electors; return its name."""
    name = partition_name(version_id)
    connection.execute(
        text(
            f"CREATE TABLE {name} (LIKE {_table().name} INCLUDING DEFAULTS, "
            f"CONSTRAINT {name}_version CHECK (version_id = {int(version_id)})) "
            # No autovacuum while loading: it would compete for the CPU with the load,
            # and the loader analyses the table itself once it is indexed.
            "WITH (autovacuum_enabled = false)"
        )
    )
    return name


def _index_statements(name: str) -> list[str]:
    """CREATE INDEX statements for the partition, one per index of the model."""
    statements = [f"CREATE UNIQUE INDEX {name}_pkey ON {name} (version_id, elector_id)"]
    index: Index
    for index in sorted(_table().indexes, key=lambda i: i.name or ""):
        ops = index.dialect_options["postgresql"]["ops"] or {}
        columns = ", ".join(f"{c.name} {ops.get(c.name, '')}".strip() for c in index.columns)
        unique = "UNIQUE " if index.unique else ""
        suffix = "_".join(c.name for c in index.columns)
        where = index.dialect_options["postgresql"]["where"]
        statements.append(
            f"CREATE {unique}INDEX {name}_{suffix} ON {name} ({columns})"
            + (f" WHERE {where}" if where is not None else "")
        )
    return statements


def dsn(engine: Engine) -> str:
    """The libpq connection string of ``engine`` (for raw psycopg2 connections)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _session(connection_string: str, memory: str) -> Any:
    connection = psycopg2.connect(connection_string)
    connection.autocommit = True
    cursor = connection.cursor()
    cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", (memory,))
    # As many sessions as cores, one index each: parallel workers would only compete.
    cursor.execute("SET max_parallel_maintenance_workers = 0")
    return connection


def _queue(statements: Iterable[str]) -> Queue[str]:
    queue: Queue[str] = Queue()
    for statement in statements:
        queue.put(statement)
    return queue


def _run(connection_string: str, statements: Queue[str], memory: str) -> None:
    """Run statements from the shared queue until it is empty."""
    connection = _session(connection_string, memory)
    try:
        cursor = connection.cursor()
        while True:
            try:
                statement = statements.get_nowait()
            except Empty:
                return
            cursor.execute(statement)
    finally:
        connection.close()


def _dense_first(statement: str) -> int:
    """Longest first, so the sessions finish together: the sparse keys' indexes last."""
    return ("_2 " in statement) * 2 + ("_flat_" in statement)


def index_partition(
    engine: Engine,
    version_id: int,
    *,
    sessions: int = 2,
    memory: str = INDEX_MEMORY,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Build the partition's indexes in ``sessions`` sessions at once, then make the
    unique index its primary key, add the foreign key and analyse the table."""
    name = partition_name(version_id)
    statements = sorted(_index_statements(name), key=_dense_first)
    queue = _queue(statements)
    connection_string = dsn(engine)
    with ThreadPoolExecutor(sessions, thread_name_prefix="register-index") as pool:
        running = [pool.submit(_run, connection_string, queue, memory) for _ in range(sessions)]
        for done in running:
            done.result()
    if progress:
        progress(f"{len(statements)} indexes built on {name}")
    last = (
        f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY USING INDEX {name}_pkey",
        f"ALTER TABLE {name} ADD CONSTRAINT {name}_version_id_fkey FOREIGN KEY (version_id) "
        "REFERENCES register_versions (id) ON DELETE CASCADE",
        f"ALTER TABLE {name} RESET (autovacuum_enabled)",
        f"ANALYZE {name}",
    )
    _run(connection_string, _queue(last), memory)


def attach_partition(connection: Connection, version_id: int) -> None:
    """Attach the indexed partition (in the caller's transaction)."""
    connection.execute(
        text(
            f"ALTER TABLE {_table().name} ATTACH PARTITION {partition_name(version_id)} "
            f"FOR VALUES IN ({int(version_id)})"
        )
    )


def drop_partition(engine: Engine, version_id: int) -> None:
    """Drop a partition that was never attached (a load that failed)."""
    name = partition_name(version_id)
    with engine.begin() as connection:
        attached = connection.execute(
            text("SELECT relispartition FROM pg_class WHERE oid = to_regclass(:name)"),
            {"name": name},
        ).scalar()
        if attached is False:
            connection.execute(text(f"DROP TABLE {name}"))
