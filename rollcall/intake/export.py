"""Export: a file intake has opened, what it found in it, and its records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rollcall.intake.records import Record

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "windows-1252": "Windows-1252",
    "iso-8859-1": "ISO-8859-1 (Latin-1)",
}


@dataclass(frozen=True)
class Export:
    """An opened file: how it was read (to record with it and show), and its records."""

    path: Path
    kind: Literal["csv", "xlsx"]
    encoding: str | None  # a Python codec name; None for a workbook
    delimiter: str | None  # ',', ';' or '\t'; None for a workbook
    sheet: str | None  # the worksheet read; None for a CSV file
    header: tuple[str, ...]  # the header row as received
    header_line: int
    columns: dict[str, int]  # format column -> position in the row
    extra_columns: tuple[str, ...]  # columns the format does not name (kept with each record)
    sha256: str
    size: int
    _records: Callable[[], Iterator[Record]] = field(repr=False, compare=False)
    _count: int | None = field(default=None, repr=False, compare=False)

    def records(self) -> Iterator[Record]:
        """Every row after the header, blank ones skipped; never raises for a bad row."""
        return self._records()

    def count(self) -> int:
        """How many records ``records()`` yields."""
        if self._count is not None:
            return self._count
        return sum(1 for _ in self._records())

    def describe(self) -> str:
        """How the file was read, in one line: 'CSV, Windows-1252, semicolon-separated; …'."""
        if self.kind == "xlsx":
            how = f"Excel workbook, sheet {self.sheet!r}"
        else:
            encoding = _ENCODINGS.get(self.encoding or "", self.encoding or "")
            how = f"CSV, {encoding}, {_DELIMITERS.get(self.delimiter or '', 'comma')}-separated"
        if self.extra_columns:
            how += f"; extra columns ignored and kept: {', '.join(self.extra_columns)}"
        return how

    def summary(self) -> dict[str, str | int | list[str] | None]:
        """What to record with the file (JSON-ready)."""
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "header": list(self.header),
            "extra_columns": list(self.extra_columns),
            "sha256": self.sha256,
            "size": self.size,
        }
