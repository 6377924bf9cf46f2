"""The counting core of the tally: pure functions from ballots to a result.

Public API (the tally service and ``rollcall verify`` call exactly this)::

    count_ballots(method, candidates, ballots, seats=1, seed="") -> CountResult

``method`` is one of ``METHODS``. ``ballots`` yields ``(choices, weight)``:
for ``irv``, ``stv`` and ``meek`` the choices are candidate names in order of
preference; for ``fptp`` they are the X's (more than ``seats`` spoils the
ballot); for ``approval`` any number of distinct names. ``seed`` is the
published seed for drawing lots.

Guarantees: no I/O, no clock, no randomness beyond ``seed`` (the same input
always gives the same result, whatever the order of ``candidates`` or of the
ballots); identical ballots are folded together first; a ballot naming an
unknown candidate or repeating one raises ``InvalidBallot``; a bad method,
seat number or candidate list raises ``InvalidCount``; both are ``ValueError``.
The rules of each method are in docs/counting.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.tally.counting.ballots import check_candidates, marked, ranked
from services.tally.counting.irv import count_irv
from services.tally.counting.marks import count_marks
from services.tally.counting.meek import count_meek
from services.tally.counting.model import (
    CountingError,
    CountResult,
    InvalidBallot,
    InvalidCount,
    Stage,
    Tie,
)
from services.tally.counting.stv import count_stv
from services.tally.counting.ties import draw_lot

METHODS: tuple[str, ...] = ("fptp", "approval", "irv", "stv", "meek")

__all__ = [
    "METHODS",
    "CountResult",
    "CountingError",
    "InvalidBallot",
    "InvalidCount",
    "Stage",
    "Tie",
    "count_ballots",
    "draw_lot",
]


def count_ballots(
    method: str,
    candidates: Sequence[str],
    ballots: Iterable[tuple[Sequence[str], int]],
    seats: int = 1,
    seed: str = "",
) -> CountResult:
    """Count ``ballots`` for ``seats`` seats by ``method``; see the module docstring."""
    if method not in METHODS:
        raise InvalidCount(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    names = check_candidates(candidates, seats)
    if not isinstance(seed, str):
        raise InvalidCount(f"seed must be a string, not {type(seed).__name__}")
    if method == "fptp":
        return count_marks(method, marked(names, ballots, max_marks=seats), seats, seed)
    if method == "approval":
        return count_marks(method, marked(names, ballots, max_marks=None), seats, seed)
    if method == "irv":
        if seats != 1:
            raise InvalidCount(f"irv fills one seat, not {seats}; use stv or meek for more")
        return count_irv(ranked(names, ballots), seed)
    if method == "stv":
        return count_stv(ranked(names, ballots), seats, seed)
    return count_meek(ranked(names, ballots), seats, seed)
