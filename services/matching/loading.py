"""Loading an electoral register CSV into the matching database as a new version.

``load_register(engine, path, authority, label)`` reads the file once, checks each
row, computes its blocking keys (``records.elector_keys``) and writes it with
COPY on PostgreSQL (batched inserts elsewhere, such as SQLite). Name frequencies
are stored with the version for the matcher's term-frequency weights.

Guarantees:

- A load never changes an earlier version: it adds a ``register_versions`` row
  and its electors; older versions stay for audit and are simply no longer the
  newest.
- No row disappears silently: a refused row is stored in ``register_refusals``
  with its line number, the reason in plain words and its text, and
  rows read = electors loaded + rows refused.
- The version is marked complete only after every row, refusal and frequency is
  written; an interrupted load leaves an incomplete version that is never used
  for matching and shows as such in ``rollcall register list``.
- A file whose header lacks a required column is refused whole with
  ``RegisterFileInvalid`` before anything is written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2.extensions
from sqlalchemy import Engine, insert, select, update

from rollcall.db import is_postgres
from services.matching.records import REGISTER_COLUMNS, Elector, elector_keys
from services.matching.register_models import (
    KEY_COLUMNS,
    RegisterElector,
    RegisterNameFrequency,
    RegisterRefusal,
    RegisterVersion,
)

REQUIRED = ("elector_id", "surname", "forenames", "address_1", "postcode")
ELECTOR_COLUMNS = ("version_id", "line_number", *REGISTER_COLUMNS, *KEY_COLUMNS)


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id, "authority": self.authority, "label": self.label,
            "rows": self.rows, "loaded": self.loaded, "refused": self.refused,
            "seconds": round(self.seconds, 1), "first_refusals": self.refusals[:10],
        }  # fmt: skip


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


class _Rows:
    """Checked rows of a register file: ``(line, row dict)`` or a refusal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.refused: list[tuple[int, str, str]] = []
        self.forenames: Counter[str] = Counter()
        self.surnames: Counter[str] = Counter()

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        seen: set[str] = set()
        with self.path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise RegisterFileInvalid(f"{self.path}: the header lacks {', '.join(missing)}")
            width = len(header)
            for line, row in enumerate(reader, start=2):
                reason = None
                record: dict[str, str] = {}
                if len(row) != width:
                    reason = f"has {len(row)} fields where the header has {width}"
                else:
                    record = {c: (v or "").strip() for c, v in zip(header, row, strict=True)}
                    elector_id = record.get("elector_id", "")
                    if not elector_id:
                        reason = "has no elector number"
                    elif not (record.get("surname") or record.get("forenames")):
                        reason = "has no name"
                    elif not (record.get("address_1") or record.get("postcode")):
                        reason = "has no address"
                    elif elector_id in seen:
                        reason = f"repeats elector number {elector_id} from an earlier line"
                    else:
                        seen.add(elector_id)
                if reason:
                    self.refused.append((line, reason, _text_of(row)))
                    continue
                yield line, record


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


class _Writer:
    """Writes rows of one table: COPY on PostgreSQL, batched inserts elsewhere."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = is_postgres(engine)
        self._behind: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def write_behind(
        self, table: Any, columns: Sequence[str], rows: Sequence[tuple[object, ...]]
    ) -> None:
        """Write while the caller reads on: PostgreSQL works through one batch while
        Python parses the next (at most one batch is in flight)."""
        if not self.postgres:
            self.write(table, columns, rows)
            return
        self.wait()
        if self._behind is None:
            self._behind = ThreadPoolExecutor(max_workers=1, thread_name_prefix="register-copy")
        self._pending = self._behind.submit(self.write, table, columns, rows)

    def wait(self) -> None:
        """Wait for the batch in flight; its error, if any, is raised here."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        self.wait()
        if self._behind is not None:
            self._behind.shutdown()
            self._behind = None

    def write(self, table: Any, columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None:
        if not rows:
            return
        if self.postgres:
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(_copy_value(v) for v in row))
                buffer.write("\n")
            buffer.seek(0)
            raw = self.engine.raw_connection()
            # COPY cannot run under a green wait callback (psycogreen): a load is a
            # batch job, so it lets the callback go for the COPY and puts it back.
            callback = psycopg2.extensions.get_wait_callback()
            psycopg2.extensions.set_wait_callback(None)
            try:
                cursor = raw.cursor()
                cursor.copy_expert(
                    f"COPY {table.__tablename__} ({', '.join(columns)}) FROM STDIN", buffer
                )
                raw.commit()
            finally:
                psycopg2.extensions.set_wait_callback(callback)
                raw.close()
            return
        with self.engine.begin() as connection:
            connection.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in rows]
            )


def load_register(
    engine: Engine,
    path: str | Path,
    authority: str,
    label: str | None = None,
    *,
    batch: int = 50_000,
    progress: Callable[[str], None] | None = None,
) -> LoadSummary:
    """Load ``path`` as a new, complete version of ``authority``'s register."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    source = Path(path)
    if not source.is_file():
        raise RegisterFileInvalid(f"{source}: no such file")
    rows = _Rows(source)
    iterator = iter(rows)
    first = next(iterator, None)  # reads the header: a bad file writes nothing
    label = label or source.stem
    with engine.begin() as connection:
        version_id = connection.execute(
            insert(RegisterVersion).values(
                authority=authority, label=label, source_name=source.name,
                sha256=_sha256(source), started_at=datetime.now(UTC), is_complete=False,
            ).returning(RegisterVersion.id)
        ).scalar_one()  # fmt: skip
    summary = LoadSummary(version_id, authority, label)
    writer = _Writer(engine)
    pending: list[tuple[object, ...]] = []
    for line, record in itertools.chain([first] if first is not None else [], iterator):
        elector = Elector.from_row(record, "")
        rows.forenames[elector.name.first] += 1
        rows.surnames[elector.name.surname_key] += 1
        keys = elector_keys(elector.name, elector.address).columns()
        values = tuple(record.get(c, "") for c in REGISTER_COLUMNS)
        pending.append((version_id, line, *values, *keys))
        summary.loaded += 1
        if len(pending) >= batch:
            writer.write_behind(RegisterElector, ELECTOR_COLUMNS, pending)
            pending = []
            say(f"loaded {summary.loaded} electors")
    writer.write_behind(RegisterElector, ELECTOR_COLUMNS, pending)
    writer.close()
    refusal_columns = ("version_id", "line_number", "reason", "text")
    writer.write(RegisterRefusal, refusal_columns, [(version_id, *r) for r in rows.refused])
    frequencies = [(version_id, "forename", v, n) for v, n in rows.forenames.items() if v]
    frequencies += [(version_id, "surname", v, n) for v, n in rows.surnames.items() if v]
    writer.write(RegisterNameFrequency, ("version_id", "kind", "value", "count"), frequencies)
    summary.refused = len(rows.refused)
    summary.rows = summary.loaded + summary.refused
    summary.refusals = [(line, reason) for line, reason, _ in rows.refused]
    with engine.begin() as connection:
        connection.execute(
            update(RegisterVersion).where(RegisterVersion.id == version_id).values(
                is_complete=True, completed_at=datetime.now(UTC), row_count=summary.rows,
                elector_count=summary.loaded, refused_count=summary.refused,
            )
        )  # fmt: skip
    summary.seconds = time.perf_counter() - started
    say(f"version {version_id}: {summary.loaded} electors loaded, {summary.refused} refused")
    return summary


def list_versions(engine: Engine) -> list[dict[str, Any]]:
    """Every version, newest first, with its counts and whether it is complete."""
    with engine.connect() as connection:
        table = RegisterVersion.__table__
        found = connection.execute(select(table).order_by(table.c.id.desc())).mappings()
        return [dict(row) for row in found]
