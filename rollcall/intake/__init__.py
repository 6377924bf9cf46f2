"""Intake: read a membership extract or an electoral register the way people export them.

``open_export(path, required=..., optional=...)`` looks at the file's bytes,
not its name, and returns an ``Export`` (how it was read, to record and show,
and its ``records()``) or raises ``Refused`` with one line saying what is
wrong, where, and what to do:

- text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252
  (ISO-8859-1 if it holds a byte Windows-1252 leaves undefined); a file mixing
  UTF-8 with something else, or holding a NUL byte, is refused with the offset
  (``scanning``). Comma, semicolon or tab separated (``delimited``).
- ``.xlsx`` workbooks, first worksheet or ``sheet`` (``workbook``); ``.xls``,
  ``.xlsb``, ``.ods``, Numbers, HTML "Excel" exports, archives and images are
  refused, each in its own words.
- the header: columns in any order, names matched ignoring case, spaces and
  punctuation, extra columns kept (``layout``); a required column missing
  refuses the file.
- rows: a bad row (wrong field count, a field over the limit, a control
  character, cut short by the end of the file) is a ``Record`` with
  ``problems``, never an exception, never the whole file (``records``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rollcall.intake.delimited import open_delimited
from rollcall.intake.export import Export
from rollcall.intake.records import Limits, Record
from rollcall.intake.refusal import Refused, shown
from rollcall.intake.scanning import scan
from rollcall.intake.workbook import open_workbook

__all__ = ["Export", "Record", "Refused", "open_export"]


def open_export(
    path: str | Path,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    sheet: str | None = None,
    max_field_chars: int = Limits.field_chars,
    max_raw_chars: int = Limits.raw_chars,
) -> Export:
    """The file at ``path``, opened for reading; Refused (one line) if it cannot be.

    ``required`` and ``optional`` are the format's columns (``rollcall.formats``):
    e.g. ``EXTRACT_COLUMNS`` and ``EXTRACT_OPTIONAL_COLUMNS``, or ``REGISTER_COLUMNS``.
    """
    path = Path(path)
    found = scan(path)
    limits = Limits(field_chars=max_field_chars, raw_chars=max_raw_chars)
    if found.kind == "xlsx":
        return open_workbook(
            path, found, required=required, optional=optional, sheet=sheet, limits=limits
        )
    if sheet is not None:
        raise Refused(
            f"{path.name} is a text (CSV) file, not a workbook, so it has no sheet "
            f"{shown(sheet)}: import it without a sheet name"
        )
    return open_delimited(path, found, required=required, optional=optional, limits=limits)
