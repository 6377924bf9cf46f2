"""Reading the two input files of a file run: the membership extract and the register.

Both are read with the ``csv`` module as UTF-8 (a byte-order mark is skipped).

Guarantees: a register whose header lacks ``elector_id``, ``surname``, ``forenames``
or ``postcode`` fails with ``ValueError`` naming them; a register row with the wrong
number of fields or no elector number is refused with its line number and reason,
never silently dropped; an extract row is read as ``csv.DictReader`` reads it (a
blank line is no member, a short row is padded, a long one cut).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

from services.matching.matcher.records import Member

#: The register columns a file run cannot do without.
REQUIRED = ("elector_id", "surname", "forenames", "postcode")


def read_members(path: str | Path) -> list[Member]:
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        return [Member.from_row(row) for row in csv.DictReader(handle)]


def column(header: list[str], name: str) -> int | None:
    """Where ``name`` is in a header row, if it is there."""
    return header.index(name) if name in header else None


def cell(row: list[str], at: int | None) -> str:
    """The field at ``at`` (from ``column``), or empty where the row has none."""
    return row[at] if at is not None and at < len(row) else ""


def register_header(path: str | Path, reader: Iterator[list[str]]) -> list[str]:
    """The header row of a register, which must name every ``REQUIRED`` column."""
    header = next(reader, [])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"{path}: register header lacks {', '.join(missing)}")
    return header


def register_rows(
    path: str | Path,
    refused: list[tuple[int, str]],
    owner: Callable[[str], int] | None = None,
    part: int = 0,
) -> Iterator[dict[str, str]]:
    """Rows of a register CSV; a row with the wrong number of fields or no elector
    number is appended to ``refused`` as (line, reason).

    With ``owner`` (a row's postcode text to its worker) only the rows of worker
    ``part`` are given, and only worker 0 reports refused rows, so each is counted
    once over all the workers."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = register_header(path, reader)
        width, at_id, at_postcode = (
            len(header),
            header.index("elector_id"),
            header.index("postcode"),
        )
        for line, row in enumerate(reader, start=2):
            if len(row) != width or not row[at_id].strip():
                if part == 0:
                    reason = "wrong number of fields" if len(row) != width else "no elector_id"
                    refused.append((line, reason))
                continue
            if owner is not None and owner(row[at_postcode]) != part:
                continue
            yield dict(zip(header, row, strict=True))
