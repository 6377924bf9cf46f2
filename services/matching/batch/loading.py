"""Loading an electoral register CSV into the matching database as a new version.

``load_register(engine, path, authority, label)`` takes or refuses each row of
the file (``checking``) and stores the rows it takes with their blocking keys,
the refused rows with their reasons, and the name frequencies the matcher's
term-frequency weights need; ``list_versions`` lists what was loaded.

On PostgreSQL the version gets a partition of its own (``partitions``), loaded
the way PostgreSQL loads fastest: ``workers`` processes (two by default) parse
and COPY the rows into the unindexed partition (``copying``); the parent then
builds the indexes, as many at a time as there are workers, and attaches the
partition in the transaction that marks the version complete. Elsewhere
(SQLite) this process inserts the rows in batches into the one table.

Guarantees:

- A load never changes an earlier version: it adds a ``register_versions`` row
  and its electors; older versions stay for audit and are simply no longer the
  newest.
- No row disappears silently: a refused row is stored in ``register_refusals``
  with its line number, the reason in plain words and its text, and
  rows read = electors loaded + rows refused (checked: a load where they differ
  fails). Of several rows with one elector number the first is loaded.
- The version is marked complete only after every row, refusal and frequency is
  written (on PostgreSQL, in the transaction that attaches its partition); an
  interrupted load leaves an incomplete version that is never used for matching
  and shows as such in ``rollcall register list``.
- A file whose header lacks a required column is refused whole with
  ``RegisterFileInvalid`` before anything is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from rollcall.db import is_postgres
from services.matching.batch import partitions
from services.matching.batch.checking import (
    ELECTOR_COLUMNS,
    RegisterFileInvalid,
    Share,
    check_header,
    checked_rows,
    merge_shares,
)
from services.matching.batch.copying import copy_in_workers
from services.matching.models.registers import (
    RegisterElector,
    RegisterNameFrequency,
    RegisterRefusal,
    RegisterVersion,
)


@dataclass
class LoadSummary:
    """What a load did: every row read is either loaded or refused."""

    version_id: int
    authority: str
    label: str
    rows: int = 0
    loaded: int = 0
    refused: int = 0
    seconds: float = 0.0
    refusals: list[tuple[int, str]] = field(default_factory=list)
    #: Seconds per phase: ``parse_and_copy`` (or ``parse_and_insert``), ``index``, ``attach``.
    phases: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id, "authority": self.authority, "label": self.label,
            "rows": self.rows, "loaded": self.loaded, "refused": self.refused,
            "seconds": round(self.seconds, 1), "first_refusals": self.refusals[:10],
            "phases": {name: round(s, 1) for name, s in self.phases.items()},
        }  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    written = str(value)
    if "\\" in written or "\t" in written or "\n" in written or "\r" in written:
        written = (
            written.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return written


def _write(
    engine: Engine, table: Any, columns: Sequence[str], rows: Sequence[tuple[object, ...]]
) -> None:
    """Write rows of one table: COPY on PostgreSQL, one batch of inserts elsewhere."""
    if not rows:
        return
    if not is_postgres(engine):
        with engine.begin() as connection:
            connection.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in rows]
            )
        return
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    raw = engine.raw_connection()
    # COPY cannot run under a green wait callback (psycogreen): a load is a
    # batch job, so it lets the callback go for the COPY and puts it back.
    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        cursor = raw.cursor()
        cursor.copy_expert(f"COPY {table.__tablename__} ({', '.join(columns)}) FROM STDIN", buffer)
        raw.commit()
    finally:
        psycopg2.extensions.set_wait_callback(callback)
        raw.close()


def _insert_in_batches(
    engine: Engine, source: Path, version_id: int, batch: int, say: Callable[[str], None]
) -> Share:
    share = Share()
    rows = checked_rows(source, version_id, share)
    while pending := list(itertools.islice(rows, batch)):
        _write(engine, RegisterElector, ELECTOR_COLUMNS, pending)
        say(f"loaded {share.loaded} electors")
    return merge_shares([share])


def _complete(connection: Connection, summary: LoadSummary) -> None:
    connection.execute(
        update(RegisterVersion).where(RegisterVersion.id == summary.version_id).values(
            is_complete=True, completed_at=datetime.now(UTC), row_count=summary.rows,
            elector_count=summary.loaded, refused_count=summary.refused,
        )
    )  # fmt: skip


def load_register(
    engine: Engine,
    path: str | Path,
    authority: str,
    label: str | None = None,
    *,
    batch: int = 50_000,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> LoadSummary:
    """Load ``path`` as a new, complete version of ``authority``'s register.

    ``batch`` is the number of rows per insert where there is no COPY (SQLite);
    ``workers`` the number of processes that parse and COPY on PostgreSQL.
    """
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    source = Path(path)
    if not source.is_file():
        raise RegisterFileInvalid(f"{source}: no such file")
    check_header(source)  # a bad file writes nothing
    label = label or source.stem
    postgres = is_postgres(engine)
    with engine.begin() as connection:
        version_id = connection.execute(
            insert(RegisterVersion).values(
                authority=authority, label=label, source_name=source.name,
                sha256=_sha256(source), started_at=datetime.now(UTC), is_complete=False,
            ).returning(RegisterVersion.id)
        ).scalar_one()  # fmt: skip
        if postgres:
            partitions.create_partition(connection, version_id)
    summary = LoadSummary(version_id, authority, label)
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        summary.phases[name] = now - clock
        clock = now

    try:
        if postgres:
            found = copy_in_workers(engine, source, version_id, max(1, workers), progress)
        else:
            found = _insert_in_batches(engine, source, version_id, batch, say)
        refusal_columns = ("version_id", "line_number", "reason", "text")
        _write(engine, RegisterRefusal, refusal_columns, [(version_id, *r) for r in found.refused])
        frequencies = [(version_id, "forename", v, n) for v, n in found.forenames.items() if v]
        frequencies += [(version_id, "surname", v, n) for v, n in found.surnames.items() if v]
        _write(engine, RegisterNameFrequency, ("version_id", "kind", "value", "count"), frequencies)
        summary.rows, summary.loaded, summary.refused = (
            found.rows_read,
            found.loaded,
            len(found.refused),
        )
        summary.refusals = [(line, reason) for line, reason, _ in found.refused]
        phase("parse_and_copy" if postgres else "parse_and_insert")
        if postgres:
            partitions.index_partition(engine, version_id, sessions=max(1, workers), progress=say)
            phase("index")
        with engine.begin() as connection:
            if postgres:
                partitions.attach_partition(connection, version_id)
            _complete(connection, summary)
        if postgres:
            phase("attach")
    except BaseException:
        if postgres:  # a clean-up that fails must not hide why the load failed
            with contextlib.suppress(SQLAlchemyError):
                partitions.drop_partition(engine, version_id)
        raise
    summary.seconds = time.perf_counter() - started
    say(f"version {version_id}: {summary.loaded} electors loaded, {summary.refused} refused")
    return summary


def list_versions(engine: Engine) -> list[dict[str, Any]]:
    """Every version, newest first, with its counts and whether it is complete."""
    with engine.connect() as connection:
        table = RegisterVersion.__table__
        found = connection.execute(select(table).order_by(table.c.id.desc())).mappings()
        return [dict(row) for row in found]
