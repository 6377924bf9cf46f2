"""Excel workbooks (.xlsx): the first worksheet or a named one, read as text.

Read with openpyxl in read-only mode with ``data_only=True``: a formula cell
gives the value Excel last saved for it, never the formula (a workbook written
by a program and never saved by Excel may hold no value, read as empty). Cells
become text the way they show in Excel: whole numbers without '.0', other
numbers to 15 significant digits, dates as YYYY-MM-DD (with the time if not
midnight), TRUE/FALSE. A number loses what only its formatting showed: a phone
number stored as a number has lost its leading zero before intake sees it (it
survives only if the column was stored as text).
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol, cast

from rollcall.intake.export import Export
from rollcall.intake.layout import map_header
from rollcall.intake.records import Limits, Record, build
from rollcall.intake.refusal import Refused, shown
from rollcall.intake.scanning import Scan


class _Sheet(Protocol):
    title: str

    def reset_dimensions(self) -> None: ...
    def iter_rows(self, *, values_only: bool) -> Iterator[tuple[object, ...]]: ...


class _Book(Protocol):
    sheetnames: list[str]
    worksheets: list[_Sheet]

    def close(self) -> None: ...


def _load(path: Path) -> _Book:
    from openpyxl import load_workbook  # only when a workbook comes in

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no default style", data validation extensions, …
        return cast(_Book, load_workbook(path, read_only=True, data_only=True))


def _choose(book: _Book, name: str | None, path: Path) -> _Sheet:
    sheets = {s.title: s for s in book.worksheets}
    if name is None:
        if not book.worksheets:
            raise Refused(f"{path.name} has no worksheet (only charts): {_AGAIN}")
        return book.worksheets[0]
    found = sheets.get(name) or next(
        (s for title, s in sheets.items() if title.casefold() == name.casefold()), None
    )
    if found is None:
        names = ", ".join(shown(n) for n in sheets)
        raise Refused(f"{path.name} has no worksheet {shown(name)}: its worksheets are {names}")
    return found


_AGAIN = "open it in Excel and save it again as .xlsx or CSV (UTF-8)"


def text(value: object) -> str:
    """A cell's value as the text Excel shows for it (see the module's note)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _open(path: Path, name: str | None) -> tuple[_Book, _Sheet]:
    try:
        book = _load(path)
    except Exception as exc:  # noqa: BLE001 - openpyxl fails on damaged files in many ways
        raise Refused(f"{path.name} cannot be read as a workbook ({_why(exc)}): {_AGAIN}") from None
    try:
        return book, _choose(book, name, path)
    except BaseException:
        book.close()
        raise


def _sheet_rows(
    book: _Book, sheet: _Sheet, path: Path
) -> Generator[tuple[int, list[str]], None, None]:
    """(row number, cells as text, empty trailing cells dropped) of each non-empty row."""
    try:
        sheet.reset_dimensions()  # read every stored row, whatever the file says its size is
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [text(v) for v in values]
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                yield number, cells
    except Exception as exc:  # noqa: BLE001 - as above, for damage past the first rows
        raise Refused(f"{path.name} cannot be read as a workbook ({_why(exc)}): {_AGAIN}") from None
    finally:
        book.close()


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:120]


def _raw(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def open_workbook(
    path: Path,
    scan: Scan,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    sheet: str | None,
    limits: Limits,
) -> Export:
    book, chosen = _open(path, sheet)
    title = chosen.title
    rows = _sheet_rows(book, chosen, path)
    try:
        first = next(rows, None)
    finally:
        rows.close()
    if first is None:
        raise Refused(f"{path.name}: the worksheet {shown(title)} is empty, not even a header row")
    header_line, header = first
    layout = map_header(
        header, required, optional, where=f"{path.name}, sheet {shown(title)}, row {header_line}"
    )

    def records() -> Iterator[Record]:
        rows = _sheet_rows(*_open(path, title), path)
        next(rows, None)  # the header
        for number, cells in rows:
            yield build(
                layout, cells, line=number, raw=_raw(cells), limits=limits, short_is_empty=True
            )

    export = Export(
        path=path,
        kind="xlsx",
        encoding=None,
        delimiter=None,
        sheet=title,
        header=tuple(header),
        header_line=header_line,
        columns=layout.columns,
        extra_columns=tuple(layout.extra),
        sha256=scan.sha256,
        size=scan.size,
        _records=records,
    )
    # Read it all once now: a workbook damaged further on is refused here, not midway.
    return replace(export, _count=export.count())
