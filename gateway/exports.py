"""Files the gateway hands out: the member list as CSV. Pure: no I/O.

Guarantees:

- The columns are ``MEMBER_COLUMNS``, in that order, under a header row;
  RFC 4180 quoting, CRLF line ends, UTF-8.
- A cell that a spreadsheet would read as a formula (it starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``,
  so opening the list cannot run anything a member's name smuggled in.
- The file name holds only letters, digits, ``-`` and ``_``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

MEMBER_COLUMNS = (
    "membership_number",
    "name",
    "association",
    "postcode",
    "state",
    "reason",
    "updated_at",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def members_csv(members: Iterable[Mapping[str, Any]]) -> str:
    """The member list (as ``registration.list_members`` gives it) as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MEMBER_COLUMNS)
    for member in members:
        writer.writerow([_cell(member.get(column)) for column in MEMBER_COLUMNS])
    return out.getvalue()


def members_filename(ballot_id: int, association: str | None) -> str:
    scope = re.sub(r"[^A-Za-z0-9_-]", "_", association) if association else "all"
    return f"ballot-{ballot_id}-members-{scope}.csv"
