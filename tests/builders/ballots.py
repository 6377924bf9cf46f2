"""Builders of test data, in one place."""

from __future__ import annotations

from typing import Any

from rollcall.formats import EXTRACT_COLUMNS


def ballot_definition(**overrides: Any) -> dict[str, Any]:
    base = {
        "title": "Selection for Hackney North",
        "method": "fptp",
        "seats": 1,
        "candidates": ["Ada Lovelace", "Mary Seacole", "Sylvia Pankhurst"],
        "area": ["E05009367", "E05009368"],
        "timetable": {},
        "eligibility": {},
        "seed": "published-seed",
    }
    base.update(overrides)
    return base


def contests_definition(**overrides: Any) -> dict[str, Any]:
    """A ballot with two contests: a selection (STV, 1 seat, RON, statements) and a motion."""
    base = ballot_definition(
        contests=[
            {
                "id": "selection",
                "title": "Candidate for Hackney North",
                "method": "stv",
                "seats": 1,
                "candidates": [
                    "Ada Lovelace",
                    "Mary Seacole",
                    "Sylvia Pankhurst",
                    "RON (re-open nominations)",
                ],
                "instructions": "Number the candidates in order of preference.",
                "statements": {
                    "Ada Lovelace": {
                        "text": 'Engines <and> numbers & "poetry".',
                        "link": "https://example.org/ada",
                    }
                },
            },
            {
                "id": "motion",
                "title": "Motion 1: open selections",
                "method": "fptp",
                "seats": 1,
                "candidates": ["Yes", "No"],
                "instructions": "Mark one.",
            },
        ]
    )
    for key in ("method", "seats", "candidates"):
        del base[key]
    base.update(overrides)
    return base


def member_values(number: str = "M0001", **overrides: str) -> dict[str, str]:
    """A well-formed member's extract values by column (``overrides`` replace some)."""
    return dict(zip(EXTRACT_COLUMNS, member_record(number, **overrides), strict=True))


def member_record(number: str = "M0001", **overrides: str) -> list[str]:
    row = {
        "membership_number": number,
        "title": "Ms",
        "first_name": "Ada",
        "last_name": "Byron",
        "address_1": "Flat 2",
        "address_2": "10 High Street",
        "address_3": "",
        "town": "London",
        "postcode": "E8 1AA",
        "email": f"{number.lower()}@example.org",
        "phone": "",
        "date_of_birth": "1980-01-01",
        "joined_on": "2020-01-01",
        "association": "HACK",
        "status": "current",
    }
    row.update(overrides)
    return [row[c] for c in EXTRACT_COLUMNS]


HEADER = list(EXTRACT_COLUMNS)


def extract_opening(ballot_id: int, extract_id: str, declared_rows: int = 1) -> dict[str, Any]:
    """The arguments that open an extract (``begin_extract``) of a well-formed file."""
    return {
        "ballot_id": ballot_id,
        "extract_id": extract_id,
        "source": "test",
        "file_name": "m.csv",
        "header": HEADER,
        "declared_rows": declared_rows,
        "sha256": "0" * 64,
    }


def extract_text(
    rows: list[list[str]],
    columns: list[str] | None = None,
    delimiter: str = ",",
    newline: str = "\n",
) -> str:
    """An extract as CSV text (quoted where the csv module quotes), header first."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(columns or HEADER)
    writer.writerows(rows)
    return out.getvalue()


def extract_workbook(path: Any, rows: list[list[str]], sheet: str = "Members") -> None:
    """An extract as an .xlsx workbook (written with XlsxWriter, not the reader's library)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    try:
        worksheet = book.add_worksheet("Notes")
        worksheet.write(0, 0, "not the members")
        worksheet = book.add_worksheet(sheet)
        for r, row in enumerate([HEADER, *rows]):
            for c, value in enumerate(row):
                worksheet.write_string(r, c, value)
    finally:
        book.close()
