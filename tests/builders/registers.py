"""Builders of registers, members, indexes and register tables for the matching tests,
in one place."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from rollcall.db import make_engine
from rollcall.formats import REGISTER_COLUMNS
from services.matching.matcher.candidates import MemoryIndex
from services.matching.matcher.deciding import Decision, match_members
from services.matching.matcher.probabilities import NameFrequencies
from services.matching.matcher.records import Member
from services.matching.models import (
    Base,
    RegisterElector,
    RegisterNameFrequency,
    RegisterRefusal,
    RegisterVersion,
)
from services.matching.models.registers import PARTITION_PREFIX

#: A plausible London register's name frequencies (per million electors).
COMMON = {"JOHN": 9000, "MARY": 6000, "SARAH": 5000, "ROBERT": 6000, "JAMES": 9000,
          "ELIZABETH": 4000, "PETER": 4000, "JANE": 2500, "DAVID": 8000, "TOM": 1000}  # fmt: skip
COMMON_SURNAMES = {"SMITH": 12000, "JONES": 9000, "BROWN": 6000, "TAYLOR": 6000, "WILSON": 4000}


def elector(
    elector_id: str,
    forenames: str,
    surname: str,
    *lines: str,
    postcode: str = "E8 1AB",
    ward: str = "Dalston",
) -> dict[str, str]:
    """A register row; ``lines`` are the address lines, as printed."""
    padded = (list(lines) + ["London", "", "", "", ""])[:5]
    row = dict.fromkeys(REGISTER_COLUMNS, "")
    row.update(
        elector_id=elector_id, forenames=forenames, surname=surname, postcode=postcode, ward=ward,
        address_1=padded[0], address_2=padded[1], address_3=padded[2], address_4=padded[3],
        address_5=padded[4],
    )  # fmt: skip
    return row


def member_row(
    number: str, first: str, last: str, *lines: str, postcode: str = "E8 1AB", town: str = "London"
) -> dict[str, str]:
    padded = (list(lines) + ["", "", ""])[:3]
    return {
        "membership_number": number, "title": "", "first_name": first, "last_name": last,
        "address_1": padded[0], "address_2": padded[1], "address_3": padded[2], "town": town,
        "postcode": postcode, "email": "", "phone": "", "date_of_birth": "", "joined_on": "",
        "association": "HACK", "status": "current",
    }  # fmt: skip


def member(number: str, first: str, last: str, *lines: str, **kw: str) -> Member:
    return Member.from_row(member_row(number, first, last, *lines, **kw))


def index(rows: Sequence[dict[str, str]], version: str = "test-register") -> MemoryIndex:
    """An index over ``rows`` with a big register's name frequencies, so that weights
    behave as they do at scale rather than on a twenty-row file."""
    built = MemoryIndex.from_rows(rows, version)
    forenames = dict(built.frequencies.forenames)
    surnames = dict(built.frequencies.surnames)
    for name, count in COMMON.items():
        forenames[name] = forenames.get(name, 0) + count
    for name, count in COMMON_SURNAMES.items():
        surnames[name] = surnames.get(name, 0) + count
    built.frequencies = NameFrequencies(forenames, surnames, 1_000_000)
    return built


def decide(rows: Sequence[dict[str, str]], *members: Member, **kw: Any) -> list[Decision]:
    return match_members(list(members), index(rows), **kw)


def one(rows: Sequence[dict[str, str]], m: Member) -> Decision:
    return decide(rows, m)[0]


def write_lines(path: Path, header: Sequence[str], lines: Sequence[str]) -> Path:
    """A CSV file of ``header`` and ``lines`` written as they are, broken ones too."""
    path.write_text("\n".join([",".join(header), *lines]) + "\n", encoding="utf-8")
    return path


def write_register(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    """A register CSV of ``rows`` (see ``elector``), as an authority would send it."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(REGISTER_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


#: The tables a register load writes, for tests that build them without the migrations.
REGISTER_TABLES = [
    t.__table__ for t in (RegisterVersion, RegisterElector, RegisterRefusal, RegisterNameFrequency)
]


@contextlib.contextmanager
def register_tables(url: str) -> Iterator[Engine]:
    """An engine on ``url`` with fresh register tables, dropped afterwards."""
    built = make_engine(url)
    Base.metadata.drop_all(built, tables=REGISTER_TABLES)
    Base.metadata.create_all(built, tables=REGISTER_TABLES)
    try:
        yield built
    finally:
        Base.metadata.drop_all(built, tables=REGISTER_TABLES)
        if built.dialect.name == "postgresql":  # and any partition a failed load left
            for name in partition_tables(built):
                with built.begin() as connection:
                    connection.execute(text(f"DROP TABLE {name}"))
        built.dispose()


def partition_tables(engine: Engine) -> dict[str, bool]:
    """Tables named as version partitions -> whether each is attached to register_electors."""
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT c.relname, i.inhparent IS NOT NULL FROM pg_class c "
                "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid "
                "WHERE c.relkind = 'r' AND c.relname LIKE :prefix"
            ),
            {"prefix": f"{PARTITION_PREFIX}%"},
        ).all()
    return {name: attached for name, attached in found}
