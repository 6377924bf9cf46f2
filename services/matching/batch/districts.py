"""Which worker of a file run owns each postcode district, and so each member and elector.

A file run splits the register between its workers by postcode district: each
elector is parsed and held by the one worker owning its district, and each member
is matched by the worker of its own district (its *home*).

Guarantees: every postcode, register row and member has exactly one worker in
``range(workers)``; a register row's postcode text gives the same worker as its
normalised postcode (``of_text`` agrees with ``of_postcode``), so a worker can pick
its rows without parsing the others; with one worker everything is worker 0.
"""

from __future__ import annotations

import csv
import re
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from services.matching.batch.reading import cell, column
from services.matching.matcher.addresses import normalise_postcode, outward

_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class Districts:
    """Which worker owns each postcode district.

    ``balanced`` reads the extract's postcodes and hands districts out largest first to
    the least loaded worker, so every worker gets about the same number of members
    (and, since members follow electors, of electors). A district no member lives in
    goes by a hash: only shared keys can reach its electors, and those are swapped.
    """

    workers: int
    owner: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def balanced(cls, members: Path, workers: int) -> Districts:
        if workers == 1:
            return cls(1)
        sizes: Counter[str] = Counter()
        load = [0] * workers
        with members.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            at_number, at_postcode = (
                column(header, "membership_number"),
                column(header, "postcode"),
            )
            for row in filter(None, reader):
                postcode = normalise_postcode(cell(row, at_postcode).strip())
                if postcode:
                    sizes[outward(postcode)] += 1
                else:
                    load[_by_number(cell(row, at_number), workers)] += 1
        owner: dict[str, int] = {}
        for district, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
            lightest = min(range(workers), key=lambda w: (load[w], w))
            owner[district] = lightest
            load[lightest] += size
        return cls(workers, owner)

    def of_postcode(self, postcode: str | None) -> int:
        """The worker of a normalised postcode's district (0 when there is none)."""
        if self.workers == 1 or not postcode:
            return 0
        return self._of_district(outward(postcode))

    def _of_district(self, district: str) -> int:
        found = self.owner.get(district)
        return zlib.crc32(district.encode()) % self.workers if found is None else found

    def of_text(self, text: str) -> int:
        """``of_postcode`` of a register row's postcode text, without the full check:
        for every text ``normalise_postcode`` accepts it gives the same worker (the
        outward code is what precedes the last three characters either way); any other
        text gets one worker too, and such a row has no postcode keys, only shared ones."""
        if self.workers == 1:
            return 0
        code = text.replace(" ", "").upper()
        if not (code.isalnum() and code.isascii()):
            code = _NOT_ALPHANUMERIC.sub("", code)
        return self._of_district(code[:-3]) if 5 <= len(code) <= 7 else 0

    def of_member(self, number: str, postcode: str) -> int:
        """A member's home worker, from the extract's text: the postcode district's, or
        one by membership number for a member with no usable postcode."""
        if self.workers == 1:
            return 0
        normalised = normalise_postcode(postcode.strip())
        if normalised:
            return self.of_postcode(normalised)
        return _by_number(number, self.workers)


def _by_number(number: str | None, workers: int) -> int:
    return zlib.crc32((number or "").strip().encode()) % workers
