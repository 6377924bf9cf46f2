"""Files the gateway hands out: the member list and the dropped extract rows as CSV. Pure: no I/O.

Guarantees:

- The member list's columns are ``MEMBER_COLUMNS``; the dropped rows' are
  ``DROPPED_ROW_COLUMNS`` (what the row is and why it was dropped) then
  ``RECEIVED_COLUMNS`` (the row as received, one column per extract column,
  and any extra columns the file had). Both in that order, under a header
  row; RFC 4180 quoting, CRLF line ends, UTF-8.
- A cell that a spreadsheet would read as a formula is neutralised
  (``rollcall.spreadsheet.safe_cell``: the one rule, shared with the
  printer's manifest of postal letters).
- The file name holds only letters, digits, ``-`` and ``_``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rollcall.formats import EXTRACT_COLUMNS, EXTRACT_OPTIONAL_COLUMNS
from rollcall.spreadsheet import safe_cell

MEMBER_COLUMNS = (
    "membership_number",
    "name",
    "association",
    "postcode",
    "state",
    "reason",
    "updated_at",
)
DROPPED_ROW_COLUMNS = (
    "id",
    "line",
    "kind",
    "status",
    "membership_number",
    "association",
    "association_as_given",
    "reasons",
    "first_seen",
    "differs",
    "outcome",
    "decided_by",
    "decided_at",
    "extract_id",
    "file_name",
)
#: Lists in a dropped row, and how their items are joined in one cell.
_JOINED = {"reasons": "; ", "differs": ", "}
RECEIVED_FIELDS = EXTRACT_COLUMNS + EXTRACT_OPTIONAL_COLUMNS
#: The row as received: ``received_<column>`` for each extract column, then the extra columns.
RECEIVED_COLUMNS = (*(f"received_{column}" for column in RECEIVED_FIELDS), "received_extra")


def _table(
    columns: Sequence[str],
    records: Iterable[Mapping[str, Any]],
    cells: Callable[[Mapping[str, Any]], Iterable[Any]],
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([safe_cell(value) for value in cells(record)])
    return out.getvalue()


def _filename(ballot_id: int, what: str, association: str | None) -> str:
    scope = re.sub(r"[^A-Za-z0-9_-]", "_", association) if association else "all"
    return f"ballot-{ballot_id}-{what}-{scope}.csv"


def members_csv(members: Iterable[Mapping[str, Any]]) -> str:
    """The member list (as ``registration.list_members`` gives it) as CSV text."""
    return _table(MEMBER_COLUMNS, members, lambda m: (m.get(c) for c in MEMBER_COLUMNS))


def members_filename(ballot_id: int, association: str | None) -> str:
    return _filename(ballot_id, "members", association)


def _dropped_row_cells(row: Mapping[str, Any]) -> list[Any]:
    received = row.get("row") or {}
    extra = row.get("extra") or {}
    described = [
        _JOINED[column].join(map(str, row.get(column) or ()))
        if column in _JOINED
        else row.get(column)
        for column in DROPPED_ROW_COLUMNS
    ]
    return [
        *described,
        *(received.get(column) for column in RECEIVED_FIELDS),
        "; ".join(f"{name}={value}" for name, value in extra.items()),
    ]


def dropped_rows_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Dropped extract rows (as ``registration.list_dropped_rows`` gives them) as CSV text.

    Every reason of a row is in its ``reasons`` cell, separated by ``; ``.
    """
    return _table(DROPPED_ROW_COLUMNS + RECEIVED_COLUMNS, rows, _dropped_row_cells)


def dropped_rows_filename(ballot_id: int, association: str | None) -> str:
    return _filename(ballot_id, "dropped-rows", association)
