"""Membership files written the way the tools people use write them, for tests/unit/kernel/test_intake.py.

Each writer follows what the tool does by default: Excel's "CSV UTF-8" (BOM,
CRLF), Excel's plain "CSV" (Windows-1252, CRLF), Excel's "Unicode Text"
(UTF-16 with BOM, tabs, CRLF), LibreOffice's CSV with a semicolon (UTF-8, LF),
a TSV, and .xlsx workbooks written with XlsxWriter, a different library from
the reader's openpyxl.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rollcall.formats import EXTRACT_COLUMNS

#: Names a Windows-1252 or a UTF-8 export must keep exactly.
NAMES = (
    ("Zoë", "Lefèvre"),
    ("Siân", "Ó Súilleabháin"),
    ("José", "Muñoz"),
)


def member(n: int, first: str, last: str, **changes: str) -> dict[str, str]:
    row = {
        "membership_number": f"M{n:06d}",
        "title": "Ms",
        "first_name": first,
        "last_name": last,
        "address_1": f"{n} Church Street",
        "address_2": "",
        "address_3": "",
        "town": "London",
        "postcode": "N16 0AA",
        "email": f"member{n}@example.org",
        "phone": "07700 900123",
        "date_of_birth": "1980-02-29",
        "joined_on": "2019-06-01",
        "association": "HACK-N",
        "status": "current",
    }
    row.update(changes)
    return row


def members() -> list[dict[str, str]]:
    return [member(n, first, last) for n, (first, last) in enumerate(NAMES, start=1)]


def table(
    rows: Sequence[dict[str, str]], columns: Sequence[str] = EXTRACT_COLUMNS
) -> list[list[str]]:
    return [list(columns), *([row.get(c, "") for c in columns] for row in rows)]


def delimited(
    cells: Sequence[Sequence[str]], *, delimiter: str = ",", newline: str = "\r\n"
) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(cells)
    return out.getvalue()


def excel_csv_utf8(path: Path, cells: Sequence[Sequence[str]]) -> Path:
    """Excel's "CSV UTF-8 (Comma delimited)": a BOM, commas, CRLF."""
    path.write_bytes(delimited(cells).encode("utf-8-sig"))
    return path


def excel_csv(path: Path, cells: Sequence[Sequence[str]]) -> Path:
    """Excel's plain "CSV (Comma delimited)" on a British Windows: Windows-1252, CRLF."""
    path.write_bytes(delimited(cells).encode("cp1252"))
    return path


def excel_unicode_text(path: Path, cells: Sequence[Sequence[str]]) -> Path:
    """Excel's "Unicode Text": UTF-16 little-endian with a BOM, tabs, CRLF."""
    path.write_bytes(delimited(cells, delimiter="\t").encode("utf-16"))
    return path


def libreoffice_semicolon(path: Path, cells: Sequence[Sequence[str]]) -> Path:
    """LibreOffice Calc's "Text CSV" with field delimiter ';' on Linux: UTF-8, LF."""
    path.write_bytes(delimited(cells, delimiter=";", newline="\n").encode("utf-8"))
    return path


def tsv(path: Path, cells: Sequence[Sequence[str]]) -> Path:
    path.write_bytes(delimited(cells, delimiter="\t", newline="\n").encode("utf-8"))
    return path


def xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """A workbook written by XlsxWriter: dates as dates, numbers as numbers, text as text."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, date):
                    sheet.write_datetime(r, c, value, day)
                elif isinstance(value, Formula):
                    sheet.write_formula(r, c, value.formula, None, value.saved)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)  # text stays text, leading zeros and all
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


class Formula:
    """A formula cell with the value Excel would have saved for it."""

    def __init__(self, formula: str, saved: object) -> None:
        self.formula, self.saved = formula, saved
