"""Where a member's candidate electors come from.

A *candidate source* finds, for a chunk of members, the electors that share a
blocking key with each one (``records.member_keys`` against
``records.elector_keys``), with the register's name frequencies: ``CandidateBatch``.
``MemoryIndex`` is the source over register rows held in memory (files, tests);
``DatabaseSource`` (``services.matching.batch.source``) the one over the matching
database. The matcher asks only this protocol, so it decides alike whichever
source it is given.

Guarantees: pure, no I/O; a member's candidates are in register order (the
index) or elector-number order (``fetch``), each once; ``from_rows`` counts every
row in the name frequencies, even one it does not keep; a member's ``inward_keys``
are looked up only when its other keys found nobody at its house.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.matching.matcher.probabilities import NameFrequencies
from services.matching.matcher.records import (
    Elector,
    Member,
    found_at_house,
    inward_keys,
    key_list,
    member_keys,
)


@dataclass(frozen=True)
class CandidateBatch:
    """What a source returns for a chunk: candidates per member and name frequencies."""

    candidates: Mapping[str, Sequence[Elector]]
    frequencies: NameFrequencies


class CandidateSource(Protocol):
    """Anything that finds the blocking candidates of a chunk of members."""

    def fetch(self, members: Sequence[Member]) -> CandidateBatch: ...


class MemoryIndex:
    """Register electors held in memory, indexed by blocking key."""

    def __init__(
        self, electors: Iterable[Elector] = (), frequencies: NameFrequencies | None = None
    ) -> None:
        self.electors: list[Elector] = []
        self.frequencies = frequencies or NameFrequencies()
        self._index: dict[str, list[int]] = {}
        for elector in electors:
            self._add(elector, key_list(elector.name, elector.address))

    def _add(self, elector: Elector, keys: Iterable[str]) -> None:
        number = len(self.electors)
        self.electors.append(elector)
        index = self._index
        for key in keys:
            found = index.get(key)
            if found is None:
                index[key] = [number]
            else:
                found.append(number)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Mapping[str, str | None]],
        version: str = "file",
        keep_for: Iterable[Member] | None = None,
        wanted: Collection[str] | None = None,
    ) -> MemoryIndex:
        """Index register rows. Name frequencies count every row; with ``keep_for``
        (or a ready set of ``wanted`` keys) only electors sharing a blocking key with
        one of those members are kept, under those keys only."""
        if keep_for is not None:
            wanted = set(wanted or ())
            for member in keep_for:
                wanted.update(member_keys(member))
                wanted.update(inward_keys(member))
        forenames: Counter[str] = Counter()
        surnames: Counter[str] = Counter()
        built = cls()
        total = 0
        for row in rows:
            elector = Elector.from_row(row, version)
            total += 1
            forenames[elector.name.first] += 1
            surnames[elector.name.surname_key] += 1
            keys = key_list(elector.name, elector.address)
            if wanted is not None:
                keys = [k for k in keys if k in wanted]
                if not keys:
                    continue
            built._add(elector, keys)
        built.frequencies = NameFrequencies(forenames, surnames, total)
        return built

    def lookup(self, key: str) -> list[Elector]:
        """The electors indexed under one key, in register order."""
        return [self.electors[n] for n in self._index.get(key, ())]

    def fetch(self, members: Sequence[Member]) -> CandidateBatch:
        found: dict[str, list[Elector]] = {}
        for member in members:
            numbers: set[int] = set()
            for key in member_keys(member):
                numbers.update(self._index.get(key, ()))
            if not found_at_house(member, (self.electors[n] for n in numbers)):
                for key in inward_keys(member):
                    numbers.update(self._index.get(key, ()))
            found[member.membership_number] = [self.electors[n] for n in sorted(numbers)]
        return CandidateBatch(found, self.frequencies)
