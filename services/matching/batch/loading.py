"""Loading an electoral register CSV into the matching database as a new version.

``load_register(engine, path, authority, label)`` checks each row of the file,
computes its blocking keys (``register_models.stored_keys``) and stores it, with
the name frequencies the matcher's term-frequency weights need.

On PostgreSQL the version gets a partition of its own (``partitions``), loaded
the way PostgreSQL loads fastest. Parsing a row is the slow part, so ``workers``
processes (two by default) each read the whole file, check every row (cheap, so
each knows which elector numbers earlier lines loaded) and parse their own
blocks of lines, COPYing them into the unindexed partition on their own
connection as they go. The parent then builds the indexes, as many at a time as
there are workers, and attaches the partition in the transaction that marks the
version complete. Elsewhere (SQLite) one process inserts the rows in batches
into the one table.

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
import csv
import hashlib
import io
import itertools
import multiprocessing
import operator
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
from sqlalchemy import Connection, Engine, String, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from rollcall.db import is_postgres
from rollcall.formats import REGISTER_COLUMNS
from services.matching.batch import partitions
from services.matching.matcher.addresses import parse_address
from services.matching.matcher.names import parse_name
from services.matching.models.registers import (
    KEY_COLUMNS,
    RegisterElector,
    RegisterNameFrequency,
    RegisterRefusal,
    RegisterVersion,
    stored_keys,
)

REQUIRED = ("elector_id", "surname", "forenames", "address_1", "postcode")
ELECTOR_COLUMNS = ("version_id", "line_number", *REGISTER_COLUMNS, *KEY_COLUMNS)
#: Rows a worker hands to COPY at a time (about 100 kB).
_ROWS_PER_READ = 500
#: Lines dealt to one worker at a time.
_BLOCK = 5000
#: Seconds between progress reports while the workers copy.
_PROGRESS_EVERY = 20
#: Where the name and the address are in a row of ``REGISTER_COLUMNS`` values.
_FORENAMES, _SURNAME, _POSTCODE = (
    REGISTER_COLUMNS.index(c) for c in ("forenames", "surname", "postcode")
)
_LINES = operator.itemgetter(*(REGISTER_COLUMNS.index(f"address_{i}") for i in range(1, 6)))
#: Register columns the table holds in a limited number of characters.
_LIMITS: dict[str, int] = {
    c.name: c.type.length
    for c in RegisterElector.__table__.columns
    if c.name in REGISTER_COLUMNS and isinstance(c.type, String) and c.type.length
}


class RegisterFileInvalid(ValueError):
    """The file cannot be read as a register at all (missing file, bad header)."""


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


@dataclass
class _Share:
    """What one reader found: the rows it read (all of the file's), and of its own
    share of them how many it loaded, what it refused and the names it counted."""

    rows_read: int = 0
    loaded: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    forenames: Counter[str] = field(default_factory=Counter)
    surnames: Counter[str] = field(default_factory=Counter)


def _merge(shares: Sequence[_Share]) -> _Share:
    total = _Share(rows_read=shares[0].rows_read)
    for share in shares:
        if share.rows_read != total.rows_read:
            raise RuntimeError(f"workers read {share.rows_read} and {total.rows_read} rows")
        total.loaded += share.loaded
        total.refused += share.refused
        total.forenames.update(share.forenames)
        total.surnames.update(share.surnames)
    total.refused.sort()
    if total.loaded + len(total.refused) != total.rows_read:
        raise RuntimeError(
            f"{total.rows_read} rows read but {total.loaded} loaded and "
            f"{len(total.refused)} refused"
        )
    return total


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _text_of(row: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue().rstrip("\r\n")


def _check_header(path: Path) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RegisterFileInvalid(f"{path}: the header lacks {', '.join(missing)}")


def _checked_rows(
    path: Path, version_id: int, share: _Share, part: int = 0, parts: int = 1
) -> Iterator[tuple[object, ...]]:
    """``ELECTOR_COLUMNS`` values of this part's loadable rows; its refusals into ``share``.

    The rows are dealt to the parts in blocks of ``_BLOCK`` lines (a household's
    lines are neighbours, so its address is parsed once). Every part checks every
    row, which needs no parsing, so each knows which elector numbers earlier lines
    loaded, whichever part they went to; it parses and yields only its own rows.
    """
    seen: set[str] = set()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        width = len(header)
        where = {column: i for i, column in enumerate(header)}  # the last of a repeated column
        # A register column the file lacks reads the empty field appended to each row.
        values_of = operator.itemgetter(*(where.get(c, width) for c in REGISTER_COLUMNS))
        limited = [(where[c], c, n) for c, n in _LIMITS.items() if c in where]
        lengths_of = operator.itemgetter(*(i for i, _, _ in limited))  # elector_id, postcode...
        limits = [n for _, _, n in limited]
        at_id, at_surname, at_forenames, at_address, at_postcode = (
            where[c] for c in ("elector_id", "surname", "forenames", "address_1", "postcode")
        )
        for line, row in enumerate(reader, start=2):
            share.rows_read += 1
            reason = None
            if len(row) != width:
                reason = f"has {len(row)} fields where the header has {width}"
            elif not (elector_id := row[at_id].strip()):
                reason = "has no elector number"
            elif not (row[at_surname].strip() or row[at_forenames].strip()):
                reason = "has no name"
            elif not (row[at_address].strip() or row[at_postcode].strip()):
                reason = "has no address"
            elif any(map(operator.gt, map(len, lengths_of(row)), limits)) and (
                too_long := next((c for i, c, n in limited if len(row[i].strip()) > n), None)
            ):
                reason = f"has a {too_long} longer than {_LIMITS[too_long]} characters"
            elif elector_id in seen:
                reason = f"repeats elector number {elector_id} from an earlier line"
            else:
                seen.add(elector_id)
            if (line // _BLOCK) % parts != part:
                continue
            if reason:
                share.refused.append((line, reason, _text_of(row)))
                continue
            row.append("")
            values = tuple(map(str.strip, values_of(row)))
            # As ``Elector.from_row`` reads a register row, without building the elector.
            name = parse_name(values[_FORENAMES], values[_SURNAME])
            address = parse_address(_LINES(values), values[_POSTCODE])
            share.forenames[name.first] += 1
            share.surnames[name.surname_key] += 1
            share.loaded += 1
            yield (version_id, line, *values, *stored_keys(name, address))


class _CsvStream:
    """A file-like object whose ``read`` parses the next rows and returns them as CSV,
    so COPY takes rows while they are parsed (PostgreSQL works in parallel)."""

    def __init__(self, rows: Iterator[tuple[object, ...]]) -> None:
        self._rows = rows
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def read(self, _size: int = -1) -> str:
        self._writer.writerows(itertools.islice(self._rows, _ROWS_PER_READ))
        chunk = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return chunk


def _copy_part(connection_string: str, path: str, version_id: int, part: int, parts: int) -> _Share:
    """Parse this part's rows and COPY them into the version's partition."""
    share = _Share()
    rows = _checked_rows(Path(path), version_id, share, part, parts)
    # In CSV an empty unquoted field is NULL: only key columns may be NULL.
    statement = (
        f"COPY {partitions.partition_name(version_id)} ({', '.join(ELECTOR_COLUMNS)}) "
        f"FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(REGISTER_COLUMNS)}))"
    )
    connection = psycopg2.connect(connection_string)
    try:
        connection.set_client_encoding("UTF8")
        with connection, connection.cursor() as cursor:  # commits when COPY succeeds
            cursor.copy_expert(statement, _CsvStream(rows))
    finally:
        connection.close()
    return share


def _worker(sender: Any, *args: Any) -> None:
    """A worker process: its share of the file, or why it failed, goes to the parent."""
    try:
        result: tuple[str, Any] = ("done", _copy_part(*args))
    except BaseException:  # noqa: BLE001 - not hidden: the parent raises it
        result = ("failed", traceback.format_exc())
    sender.send(result)
    sender.close()


def _copied(engine: Engine, version_id: int) -> int:
    """Rows the COPYs into the version's partition have taken so far."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT coalesce(sum(tuples_processed), 0) FROM pg_stat_progress_copy "
                "WHERE relid = to_regclass(:name)"
            ),
            {"name": partitions.partition_name(version_id)},
        ).scalar_one()


def _copy_in_workers(
    engine: Engine,
    source: Path,
    version_id: int,
    workers: int,
    progress: Callable[[str], None] | None,
) -> _Share:
    """Run ``workers`` processes over the file; merge what they found."""
    say = progress or (lambda _message: None)
    context = multiprocessing.get_context("spawn")  # nothing of the parent's state is shared
    connection_string = partitions.dsn(engine)
    running = []
    for part in range(workers):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker,
            args=(sender, connection_string, str(source), version_id, part, workers),
            name=f"register-load-{part}",
            daemon=True,
        )
        process.start()
        sender.close()
        running.append((process, receiver))
    say(f"reading {source.name} in {workers} worker processes")
    shares: list[_Share] = []
    try:
        for process, receiver in running:
            while progress and not receiver.poll(_PROGRESS_EVERY):
                say(f"{_copied(engine, version_id)} electors copied")
            try:
                status, result = receiver.recv()
            except EOFError:
                process.join()
                status, result = "failed", f"exited with code {process.exitcode}"
            if status != "done":
                raise RuntimeError(f"register load worker {process.name} failed: {result}")
            shares.append(result)
            say(f"{process.name}: {result.loaded} electors copied")
    finally:
        for process, receiver in running:
            if len(shares) < workers and process.is_alive():
                process.terminate()
            process.join()
            receiver.close()
    return _merge(shares)


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
) -> _Share:
    share = _Share()
    rows = _checked_rows(source, version_id, share)
    while pending := list(itertools.islice(rows, batch)):
        _write(engine, RegisterElector, ELECTOR_COLUMNS, pending)
        say(f"loaded {share.loaded} electors")
    return _merge([share])


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
    _check_header(source)  # a bad file writes nothing
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
            found = _copy_in_workers(engine, source, version_id, max(1, workers), progress)
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
