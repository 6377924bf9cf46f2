"""Where each ballot paper sits during a transferable-vote count, as numpy arrays.

IRV and Scottish STV both move whole parcels of papers from one candidate to
each paper's next available preference. ``Piles`` keeps, for every distinct
ballot, the position of the candidate it currently counts for and the value of
one such paper, in integer fixed-point units, so moving a parcel is a few
vectorised operations instead of a loop over papers.

Guarantees: arithmetic is exact integer arithmetic (``InvalidCount`` is raised
rather than risk int64 overflow); a paper only ever sits with a continuing
candidate or, once it has no further preference for one, with the
non-transferable pile (index ``n``, the sentinel).
"""

from __future__ import annotations

import numpy as np

from services.tally.counting.ballots import RankedBallots
from services.tally.counting.model import InvalidCount

INT64_SAFE = 2**62


class Piles:
    """The papers of a count, grouped by the candidate each currently counts for."""

    def __init__(self, ballots: RankedBallots, unit: int) -> None:
        if ballots.valid * unit >= INT64_SAFE:
            raise InvalidCount("too many ballots to count exactly in 64-bit fixed point")
        self.n = len(ballots.candidates)
        self.unit = unit
        self.prefs = ballots.prefs
        self.counts = ballots.counts
        rows = len(self.counts)
        self.value = np.full(rows, unit, dtype=np.int64)
        self.pos = np.zeros(rows, dtype=np.int64)
        self.cur = self.prefs[:, 0].astype(np.int64)
        # stop[c] is True where a paper comes to rest: a continuing candidate or the sentinel.
        self.stop = np.ones(self.n + 1, dtype=bool)

    def totals(self) -> list[int]:
        """Value held by each candidate; the last entry is the non-transferable pile."""
        out = np.zeros(self.n + 1, dtype=np.int64)
        np.add.at(out, self.cur, self.value * self.counts)
        return [int(x) for x in out]

    def withdraw(self, candidate: int) -> None:
        """Mark ``candidate`` as no longer continuing (elected or excluded)."""
        self.stop[candidate] = False

    def papers_of(self, candidate: int) -> np.ndarray:
        """Rows of the distinct ballots currently counting for ``candidate``."""
        return np.flatnonzero(self.cur == candidate)

    def move(self, rows: np.ndarray, new_value: np.ndarray | None = None) -> list[int]:
        """Send ``rows`` on to their next continuing preference; value gained by each.

        ``new_value``, if given, is the value of one paper of each row from now
        on (a transfer value). The result has one entry per candidate and a
        last one for papers that became non-transferable.
        """
        if new_value is not None:
            self.value[rows] = new_value
        moving = rows
        while moving.size:
            at = self.prefs[moving, self.pos[moving]]
            moving = moving[~self.stop[at]]
            self.pos[moving] += 1
        self.cur[rows] = self.prefs[rows, self.pos[rows]]
        gained = np.zeros(self.n + 1, dtype=np.int64)
        np.add.at(gained, self.cur[rows], self.value[rows] * self.counts[rows])
        return [int(x) for x in gained]
