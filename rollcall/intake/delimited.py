"""Delimited text (CSV, semicolon-separated, TSV): the delimiter found, the rows read.

The delimiter is the one of comma, semicolon and tab that makes the header
name the most format columns (ties go to the comma). Rows are read with the
csv module, so quoted fields may hold delimiters, quotes and newlines; a
record's line is its first physical line. The csv module's own field limit
(131,072 characters, process-wide) is raised once so that a huge field is a
problem on its record, checked against intake's limit, not an exception.
"""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rollcall.intake.export import Export
from rollcall.intake.layout import compact, map_header
from rollcall.intake.records import Limits, Record, build
from rollcall.intake.refusal import Refused
from rollcall.intake.scanning import Scan

DELIMITERS = (",", ";", "\t")
_CSV_FIELD_CEILING = 2**31 - 1
_CUT_SHORT = (
    "the file ends inside a quoted field of this row: the row is cut short or a closing quote "
    "is missing"
)


@dataclass(frozen=True)
class _Row:
    line: int  # first physical line
    cells: list[str]
    raw: str
    notes: tuple[str, ...]


class _Lines:
    """The file's lines for csv.reader, keeping those of the current row and noting the end."""

    def __init__(self, handle: Iterator[str]) -> None:
        self._handle = handle
        self.taken: list[str] = []
        self.ended = False

    def __iter__(self) -> Iterator[str]:
        for line in self._handle:
            self.taken.append(line)
            yield line
        self.ended = True


def _rows(path: Path, encoding: str, delimiter: str) -> Generator[_Row, None, None]:
    """The non-blank rows of the file, header included."""
    if csv.field_size_limit() < _CSV_FIELD_CEILING:
        csv.field_size_limit(_CSV_FIELD_CEILING)
    with path.open(encoding=encoding, newline="") as handle:
        lines = _Lines(handle)
        reader = csv.reader(iter(lines), delimiter=delimiter)
        read = 0
        while True:
            lines.taken.clear()
            notes: tuple[str, ...] = ()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                cells, notes = [], (f"the row cannot be read as CSV ({exc})",)
            except UnicodeDecodeError:
                raise Refused(f"{path.name} changed while it was read: import it again") from None
            first, read = read + 1, reader.line_num
            if not notes and not any(c.strip() for c in cells):
                continue  # a blank line, or one of empty cells only
            if lines.ended and not notes:
                notes = (_CUT_SHORT,)
            raw = "".join(lines.taken)
            for end in ("\r\n", "\n", "\r"):
                if raw.endswith(end):
                    raw = raw[: -len(end)]
                    break
            yield _Row(first, cells, raw, notes)


def _first_row(path: Path, encoding: str, delimiter: str) -> _Row | None:
    rows = _rows(path, encoding, delimiter)
    try:
        return next(rows, None)
    finally:
        rows.close()


def open_delimited(
    path: Path,
    scan: Scan,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    limits: Limits,
) -> Export:
    encoding = scan.encoding or "utf-8"
    known = {compact(c) for c in (*required, *optional)}
    best: tuple[int, int] | None = None
    header, delimiter = None, DELIMITERS[0]
    for candidate in DELIMITERS:
        row = _first_row(path, encoding, candidate)
        if row is None:
            raise Refused(
                f"{path.name} has no header row, only blank lines: export it again with a header row"
            )
        score = (sum(compact(c) in known for c in row.cells), len(row.cells))
        if best is None or score > best:
            best, header, delimiter = score, row, candidate
    assert header is not None
    layout = map_header(header.cells, required, optional, where=f"{path.name}, line {header.line}")

    def records() -> Iterator[Record]:
        rows = _rows(path, encoding, delimiter)
        next(rows, None)  # the header
        for row in rows:
            yield build(
                layout, row.cells, line=row.line, raw=row.raw, limits=limits, notes=row.notes
            )

    return Export(
        path=path,
        kind="csv",
        encoding=encoding,
        delimiter=delimiter,
        sheet=None,
        header=tuple(header.cells),
        header_line=header.line,
        columns=layout.columns,
        extra_columns=tuple(layout.extra),
        sha256=scan.sha256,
        size=scan.size,
        _records=records,
    )
