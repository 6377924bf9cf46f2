"""Which column of a file holds which column of the format: the header, mapped.

Header names match case-, space- and punctuation-insensitively
(``Membership Number``, ``membership-number`` and ``MEMBERSHIP_NUMBER`` are
all ``membership_number``); columns may come in any order; columns the format
does not name are extra: kept with each record, named in the summary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rollcall.intake.refusal import Refused, shown

_NOT_ALNUM = re.compile(r"[\W_]+")
_DELIMITER_LIKE = re.compile(r"[^\w\s\"'()\-.]")


def compact(name: str) -> str:
    """The form header names are compared in: lower case, letters and digits only."""
    return _NOT_ALNUM.sub("", name.casefold())


@dataclass(frozen=True)
class Layout:
    """Where each format column is in the file's rows, and the extra columns."""

    width: int  # cells in the header row
    columns: dict[str, int]  # format column -> position
    extra: dict[str, int]  # extra column's name (as received, made unique) -> position
    absent: tuple[str, ...]  # optional format columns the file does not have


def map_header(
    cells: Sequence[str],
    required: Sequence[str],
    optional: Sequence[str],
    *,
    where: str,
) -> Layout:
    """The layout of a file whose header row is ``cells``; Refused if a column is missing.

    ``where`` names the header in the file for messages ("members.csv, line 1").
    """
    known = {compact(c): c for c in (*required, *optional)}
    if len(known) != len(required) + len(optional):
        raise ValueError("two format columns compare equal once compacted")
    while cells and not cells[-1].strip():
        cells = cells[:-1]  # empty trailing header cells (a trailing delimiter) are no column
    positions: dict[str, list[int]] = {}
    extra: dict[str, int] = {}
    for at, cell in enumerate(cells):
        column = known.get(compact(cell))
        if column is not None:
            positions.setdefault(column, []).append(at)
        else:
            extra[_extra_name(cell, at, extra)] = at
    missing = [c for c in required if c not in positions]
    if missing:
        raise Refused(f"{where}: the header lacks column(s) {', '.join(missing)}; {_advice(cells)}")
    repeated = [c for c, at in positions.items() if len(at) > 1]
    if repeated:
        detail = ", ".join(
            f"{c} (columns {' and '.join(str(a + 1) for a in positions[c])})" for c in repeated
        )
        raise Refused(f"{where}: the header repeats {detail}: keep one of each and export it again")
    return Layout(
        width=len(cells),
        columns={c: positions[c][0] for c in (*required, *optional) if c in positions},
        extra=extra,
        absent=tuple(c for c in optional if c not in positions),
    )


def _extra_name(cell: str, at: int, taken: dict[str, int]) -> str:
    name = cell.strip() or f"column {at + 1}"
    return name if name not in taken else f"{name} (column {at + 1})"


def _advice(cells: Sequence[str]) -> str:
    """What to do about a header that lacks columns, and what it seems to be instead."""
    if len(cells) == 1:
        marks = Counter(_DELIMITER_LIKE.findall(cells[0]))
        if marks:
            mark, _ = marks.most_common(1)[0]
            return (
                f"it is one cell that seems to use {mark!r} as its delimiter: "
                "export it again separated by commas, semicolons or tabs"
            )
        return f"it is one cell, {shown(cells[0])}: is this the right file?"
    listed = ", ".join(shown(c, 24) for c in cells[:20]) + (", …" if len(cells) > 20 else "")
    return f"add them to the export (the header has {listed})"
