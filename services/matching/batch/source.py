"""Candidates from the register versions in the matching database.

``DatabaseSource(engine).fetch(members)`` finds, for a chunk of a few hundred
members, only the electors that share a blocking key with one of them, from the
newest complete version of each authority's register, with two indexed queries
(electors, then the name frequencies the scoring needs). It never loads a whole
register.

Street keys are stored within the elector's postcode district where it has one
(``models.registers.stored_keys``), as a member with a postcode looks them up, so
"10 High Street" is fetched from one district, not from all of London. A member
without a postcode looks a street key up city-wide: the stored key itself or any
district's (``LIKE 'sn|HIGH STREET|10@%'``, an index range scan).

On SQLite the electors query is written so that its plan does not depend on
statistics nobody gathers: a street key in every district is the range ``>=
'sn|HIGH STREET|10@' AND < 'sn|HIGH STREET|10A'`` ("A" follows "@", and SQLite
compares text bytewise, so exactly the keys with that prefix), since SQLite
searches no index for a ``LIKE`` (it folds case) and so none for an ``OR`` that
holds one; and the version filter is ``version_id + 0 IN (...)``, since SQLite,
knowing nothing of the table, would otherwise take the primary key's
``version_id`` for selective and read the whole version. Either way it would
read every elector of the register for each chunk, a cost that grows with the
register; as written, each key is one index search.

Guarantees: an incomplete (still loading or interrupted) version is never used;
the same members and versions give the same candidates as ``MemoryIndex`` built
from the same file, because both use ``records.member_keys`` and
``records.elector_keys``; ``taken_elector_ids`` is not kept here, since
decisions live in the service's own tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, or_, select

from rollcall.formats import REGISTER_COLUMNS
from services.matching.matcher.candidates import CandidateBatch
from services.matching.matcher.names import parse_name
from services.matching.matcher.probabilities import NameFrequencies
from services.matching.matcher.records import (
    STREET_PREFIXES,
    Elector,
    Member,
    found_at_house,
    inward_keys,
    member_keys,
)
from services.matching.models.registers import (
    KEY_COLUMNS,
    RegisterElector,
    RegisterNameFrequency,
    RegisterVersion,
    city_wide,
)

#: Which key columns hold keys of each prefix (see ``records.elector_keys``).
_COLUMNS_BY_PREFIX = {
    "pn": ("key_premise_postcode", "key_premise_postcode_2"),
    "sn": ("key_premise_street", "key_premise_street_2"),
    "pf": ("key_flat_postcode", "key_flat_street"),
    "ps": ("key_surname_postcode",),
    "ss": ("key_surname_street",),
    "p": ("key_postcode",),
    "pi": ("key_premise_inward",),
}


def newest_versions(engine: Engine) -> list[tuple[int, str, str, int]]:
    """(id, authority, label, elector_count) of the newest complete version per authority."""
    table = RegisterVersion.__table__
    query = (
        select(table.c.id, table.c.authority, table.c.label, table.c.elector_count)
        .where(table.c.is_complete.is_(True))
        .order_by(table.c.authority, table.c.id.desc())
    )
    newest: dict[str, tuple[int, str, str, int]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            newest.setdefault(row.authority, (row.id, row.authority, row.label, row.elector_count))
    return sorted(newest.values())


def _conditions(table: Any, keys: set[str], *, sqlite: bool) -> list[ColumnElement[bool]]:
    """Conditions on the key columns finding every elector stored under one of ``keys``.

    A street key without a district (the member has no postcode) is looked up
    as stored (electors without a postcode) and in every district: a prefix, or
    on SQLite the same keys as a range (see the module's docstring).
    """
    by_prefix: dict[str, set[str]] = {}
    for key in keys:
        by_prefix.setdefault(key.split("|", 1)[0], set()).add(key)
    conditions: list[ColumnElement[bool]] = []
    for prefix, found in by_prefix.items():
        everywhere = sorted(k for k in found if k.startswith(STREET_PREFIXES) and "@" not in k)
        for column in _COLUMNS_BY_PREFIX[prefix]:
            conditions.append(table.c[column].in_(sorted(found)))
            conditions += [_in_every_district(table.c[column], k, sqlite) for k in everywhere]
    return conditions


def _in_every_district(column: Any, key: str, sqlite: bool) -> ColumnElement[bool]:
    """``column`` holds ``key`` within some district (``key@...``)."""
    if sqlite:
        return and_(column >= f"{key}@", column < f"{key}A")
    return column.startswith(f"{key}@", autoescape=True)


class DatabaseSource:
    """A ``CandidateSource`` over the matching database."""

    def __init__(self, engine: Engine, versions: Sequence[int] | None = None) -> None:
        self.engine = engine
        self._versions = list(versions) if versions is not None else None

    def versions(self) -> dict[int, tuple[str, int]]:
        """version id -> (label for evidence, elector count), for the versions in use."""
        found = newest_versions(self.engine)
        if self._versions is not None:
            table = RegisterVersion.__table__
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(
                        table.c.id, table.c.authority, table.c.label, table.c.elector_count
                    ).where(table.c.id.in_(self._versions), table.c.is_complete.is_(True))
                ).all()
            found = [(r.id, r.authority, r.label, r.elector_count) for r in rows]
        return {
            vid: (f"{authority}/{label}#{vid}", count) for vid, authority, label, count in found
        }

    def fetch(self, members: Sequence[Member]) -> CandidateBatch:
        """Two rounds: every member's ``member_keys``, then the ``inward_keys`` of the
        members the first round found nobody at home for (one query each)."""
        versions = self.versions()
        per_member = {m.membership_number: member_keys(m) for m in members}
        if not versions or not members:
            return CandidateBatch({number: [] for number in per_member}, NameFrequencies())
        electors: list[Elector] = []
        by_key = self._by_key(versions, {k for keys in per_member.values() for k in keys}, electors)
        found: dict[str, list[Elector]] = {}
        second: dict[str, frozenset[str]] = {}
        for member in members:
            number = member.membership_number
            found[number] = _found(per_member[number], by_key)
            if not found_at_house(member, found[number]) and inward_keys(member):
                second[number] = inward_keys(member)
        if second:
            by_inward = self._by_key(versions, set().union(*second.values()), electors)
            for number, keys in second.items():
                seen = {e.elector_id for e in found[number]}
                found[number] += [e for e in _found(keys, by_inward) if e.elector_id not in seen]
        return CandidateBatch(found, self._frequencies(versions, members, electors))

    def _by_key(
        self, versions: dict[int, tuple[str, int]], keys: set[str], electors: list[Elector]
    ) -> dict[str, list[Elector]]:
        """The electors stored under ``keys``, by key (each key as stored and, for a street
        key, city-wide); each elector read is also added to ``electors``."""
        table = RegisterElector.__table__
        by_key: dict[str, list[Elector]] = {}
        with self.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            version = table.c.version_id + 0 if sqlite else table.c.version_id
            query = select(
                table.c.version_id,
                *(table.c[c] for c in REGISTER_COLUMNS),
                *(table.c[c] for c in KEY_COLUMNS),
            ).where(version.in_(list(versions)), or_(*_conditions(table, keys, sqlite=sqlite)))
            for row in connection.execute(query):
                mapping: dict[str, Any] = dict(row._mapping)
                elector = Elector.from_row(mapping, versions[mapping["version_id"]][0])
                electors.append(elector)
                for column in KEY_COLUMNS:
                    key = mapping[column]
                    if key:
                        by_key.setdefault(key, []).append(elector)
                        everywhere = city_wide(key)
                        if everywhere != key:
                            by_key.setdefault(everywhere, []).append(elector)
        return by_key

    def _frequencies(
        self,
        versions: dict[int, tuple[str, int]],
        members: Sequence[Member],
        electors: list[Elector],
    ) -> NameFrequencies:
        forenames: set[str] = set()
        surnames: set[str] = set()
        for person in [m.name for m in members] + [e.name for e in electors]:
            forenames.add(person.first)
            surnames.add(person.surname_key)
        for member in members:  # the swapped reading of each member's name, as scoring reads it
            swapped = parse_name(member.name.raw_surname, member.name.raw_forenames)
            forenames.add(swapped.first)
            surnames.add(swapped.surname_key)
        table = RegisterNameFrequency.__table__
        query = select(table.c.kind, table.c.value, table.c.count).where(
            table.c.version_id.in_(list(versions)),
            or_(
                and_(table.c.kind == "forename", table.c.value.in_(sorted(forenames - {""}))),
                and_(table.c.kind == "surname", table.c.value.in_(sorted(surnames - {""}))),
            ),
        )
        counts: dict[str, dict[str, int]] = {"forename": {}, "surname": {}}
        with self.engine.connect() as connection:
            for kind, value, count in connection.execute(query):
                counts[kind][value] = counts[kind].get(value, 0) + count
        total = sum(count for _, count in versions.values())
        return NameFrequencies(counts["forename"], counts["surname"], total)


def _found(keys: frozenset[str], by_key: dict[str, list[Elector]]) -> list[Elector]:
    seen: dict[int, Elector] = {}
    for key in keys:
        for elector in by_key.get(key, ()):
            seen.setdefault(id(elector), elector)
    return list(seen.values())
