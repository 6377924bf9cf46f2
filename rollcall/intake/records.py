"""Record: one row of a file, mapped to the format's columns, with its problems in words.

A row is never an exception: a wrong field count, a field over the limit, a
control character or a row cut short by the end of the file is a problem on
the record (the caller rejects it, kept for review). Cells that look like
spreadsheet formulas (``=``, ``+``, ``-``, ``@``) are kept as text and never
evaluated; making them safe to open in a spreadsheet is the job of whatever
writes them out again (CSV injection is an output concern).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rollcall.intake.layout import Layout

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Record:
    """One row as read: ``line`` is its first line in the file (or its row in the sheet)."""

    line: int
    values: dict[str, str]  # every format column (required and optional); absent ones ''
    extra: dict[str, str]  # the file's extra columns, by name
    raw: str  # the row as received, for review (cut at the raw limit, with a note)
    problems: list[str] = field(default_factory=list)  # plain words; empty if the row is sound


@dataclass(frozen=True)
class Limits:
    field_chars: int = 2_000
    raw_chars: int = 32_000


def build(
    layout: Layout,
    cells: Sequence[str],
    *,
    line: int,
    raw: str,
    limits: Limits,
    short_is_empty: bool = False,
    notes: Sequence[str] = (),
) -> Record:
    """The record of ``cells``, with ``notes`` first among its problems.

    ``short_is_empty``: a row with fewer cells than the header is fine (a sheet's
    empty trailing cells are not stored); in a CSV file it is a problem.
    """
    problems = list(notes)
    filled = len(cells)
    while filled > layout.width and not cells[filled - 1].strip():
        filled -= 1  # empty cells past the header's last column are no field
    if filled > layout.width or (filled < layout.width and not short_is_empty):
        problems.append(f"the row has {filled} fields but the header has {layout.width}")

    def cell(name: str, at: int) -> str:
        value = cells[at] if at < len(cells) else ""
        if len(value) > limits.field_chars:
            problems.append(
                f"the field in column {name} has {len(value):,} characters, over the limit "
                f"of {limits.field_chars:,} (kept cut to the limit)"
            )
            value = value[: limits.field_chars]
        if control := _CONTROL.search(value):
            problems.append(
                f"the field in column {name} holds a control character "
                f"(0x{ord(control.group()):02X})"
            )
        return value

    values = {c: cell(c, at) for c, at in layout.columns.items()}
    values.update({c: "" for c in layout.absent})
    extra = {name: cell(name, at) for name, at in layout.extra.items()}
    if len(raw) > limits.raw_chars:
        raw = f"{raw[: limits.raw_chars]} … [cut: {len(raw):,} characters in all]"
    return Record(line=line, values=values, extra=extra, raw=raw, problems=problems)
