"""Which rows of a register file a load takes, and the values it stores for each.

A load checks every row in order, without parsing it, and refuses a row with the
wrong number of fields, no elector number, no name, no address, a value longer
than its column holds, or an elector number an earlier line already had. Only a
row it takes is parsed (``parse_name``, ``parse_address``) into the table's
columns and blocking keys (``registers.stored_keys``), and counted in the name
frequencies.

Several workers can share a file (``checked_rows(..., part, parts)``): lines are
dealt to them in blocks, each checks every row but parses only its own, and
``merge_shares`` adds up what they found.

Guarantees: every row read is either taken or refused with its line number, its
reason in plain words and its text (``merge_shares`` fails if the counts
disagree); of several rows with one elector number the first is taken, whichever
worker it went to; a header lacking a ``REQUIRED`` column fails with
``RegisterFileInvalid``.
"""

from __future__ import annotations

import csv
import io
import operator
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import String

from rollcall.formats import REGISTER_COLUMNS
from services.matching.matcher.addresses import parse_address
from services.matching.matcher.names import parse_name
from services.matching.models.registers import KEY_COLUMNS, RegisterElector, stored_keys

REQUIRED = ("elector_id", "surname", "forenames", "address_1", "postcode")
ELECTOR_COLUMNS = ("version_id", "line_number", *REGISTER_COLUMNS, *KEY_COLUMNS)
#: Lines dealt to one worker at a time.
_BLOCK = 5000
#: Where the name and the address are in a row of ``REGISTER_COLUMNS`` values.
_FORENAMES, _SURNAME, _POSTCODE = (
    REGISTER_COLUMNS.index(c) for c in ("forenames", "surname", "postcode")
)
_LINES = operator.itemgetter(*(REGISTER_COLUMNS.index(f"address_{i}") for i in range(1, 6)))
#: Register columns the table holds in a limited number of characters.
_LIMITS: dict[str, int] = {
    c.name: c.type.length
    for c in RegisterElector.__table__.columns
    if c.name in REGISTER_COLUMNS and isinstance(c.type, String) and c.type.length
}


class RegisterFileInvalid(ValueError):
    """The file cannot be read as a register at all (missing file, bad header)."""


@dataclass
class Share:
    """What one reader found: the rows it read (all of the file's), and of its own
    share of them how many it loaded, what it refused and the names it counted."""

    rows_read: int = 0
    loaded: int = 0
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    forenames: Counter[str] = field(default_factory=Counter)
    surnames: Counter[str] = field(default_factory=Counter)


def merge_shares(shares: Sequence[Share]) -> Share:
    total = Share(rows_read=shares[0].rows_read)
    for share in shares:
        if share.rows_read != total.rows_read:
            raise RuntimeError(f"workers read {share.rows_read} and {total.rows_read} rows")
        total.loaded += share.loaded
        total.refused += share.refused
        total.forenames.update(share.forenames)
        total.surnames.update(share.surnames)
    total.refused.sort()
    if total.loaded + len(total.refused) != total.rows_read:
        raise RuntimeError(
            f"{total.rows_read} rows read but {total.loaded} loaded and "
            f"{len(total.refused)} refused"
        )
    return total


def text_of(row: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue().rstrip("\r\n")


def check_header(path: Path) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RegisterFileInvalid(f"{path}: the header lacks {', '.join(missing)}")


def checked_rows(
    path: Path, version_id: int, share: Share, part: int = 0, parts: int = 1
) -> Iterator[tuple[object, ...]]:
    """``ELECTOR_COLUMNS`` values of this part's loadable rows; its refusals into ``share``.

    The rows are dealt to the parts in blocks of ``_BLOCK`` lines (a household's
    lines are neighbours, so its address is parsed once). Every part checks every
    row, which needs no parsing, so each knows which elector numbers earlier lines
    loaded, whichever part they went to; it parses and yields only its own rows.
    """
    seen: set[str] = set()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        width = len(header)
        where = {column: i for i, column in enumerate(header)}  # the last of a repeated column
        # A register column the file lacks reads the empty field appended to each row.
        values_of = operator.itemgetter(*(where.get(c, width) for c in REGISTER_COLUMNS))
        limited = [(where[c], c, n) for c, n in _LIMITS.items() if c in where]
        lengths_of = operator.itemgetter(*(i for i, _, _ in limited))  # elector_id, postcode...
        limits = [n for _, _, n in limited]
        at_id, at_surname, at_forenames, at_address, at_postcode = (
            where[c] for c in ("elector_id", "surname", "forenames", "address_1", "postcode")
        )
        for line, row in enumerate(reader, start=2):
            share.rows_read += 1
            reason = None
            if len(row) != width:
                reason = f"has {len(row)} fields where the header has {width}"
            elif not (elector_id := row[at_id].strip()):
                reason = "has no elector number"
            elif not (row[at_surname].strip() or row[at_forenames].strip()):
                reason = "has no name"
            elif not (row[at_address].strip() or row[at_postcode].strip()):
                reason = "has no address"
            elif any(map(operator.gt, map(len, lengths_of(row)), limits)) and (
                too_long := next((c for i, c, n in limited if len(row[i].strip()) > n), None)
            ):
                reason = f"has a {too_long} longer than {_LIMITS[too_long]} characters"
            elif elector_id in seen:
                reason = f"repeats elector number {elector_id} from an earlier line"
            else:
                seen.add(elector_id)
            if (line // _BLOCK) % parts != part:
                continue
            if reason:
                share.refused.append((line, reason, text_of(row)))
                continue
            row.append("")
            values = tuple(map(str.strip, values_of(row)))
            # As ``Elector.from_row`` reads a register row, without building the elector.
            name = parse_name(values[_FORENAMES], values[_SURNAME])
            address = parse_address(_LINES(values), values[_POSTCODE])
            share.forenames[name.first] += 1
            share.surnames[name.surname_key] += 1
            share.loaded += 1
            yield (version_id, line, *values, *stored_keys(name, address))
