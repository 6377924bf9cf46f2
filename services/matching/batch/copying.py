"""Parsing and COPYing a register into its PostgreSQL partition in several processes.

Parsing a row is the slow part of a load, so ``copy_in_workers`` starts
``workers`` processes (spawned: nothing of the parent's state is shared), each
reading the whole file with ``checking.checked_rows`` and parsing its own blocks of
lines, and COPYing them into the version's unindexed partition on a connection of
its own while it parses (PostgreSQL works in parallel). Each commits its COPY when
it has sent every row.

Guarantees: the parent gets every worker's ``Share`` merged (rows read = taken +
refused, checked); a worker that raises or dies fails the load naming it, and
the others are stopped; while the workers run, the parent reports how many rows
the COPYs have taken every ``_PROGRESS_EVERY`` seconds.
"""

from __future__ import annotations

import csv
import io
import itertools
import multiprocessing
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy import Engine, text

from rollcall.formats import REGISTER_COLUMNS
from services.matching.batch import partitions
from services.matching.batch.checking import ELECTOR_COLUMNS, Share, checked_rows, merge_shares

#: Rows a worker hands to COPY at a time (about 100 kB).
_ROWS_PER_READ = 500
#: Seconds between progress reports while the workers copy.
_PROGRESS_EVERY = 20


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


def _copy_part(connection_string: str, path: str, version_id: int, part: int, parts: int) -> Share:
    """Parse this part's rows and COPY them into the version's partition."""
    share = Share()
    rows = checked_rows(Path(path), version_id, share, part, parts)
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


def copy_in_workers(
    engine: Engine,
    source: Path,
    version_id: int,
    workers: int,
    progress: Callable[[str], None] | None,
) -> Share:
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
    shares: list[Share] = []
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
    return merge_shares(shares)
