"""The counting core of the tally: pure functions from ballots to a result.

Public API (the tally service and ``rollcall verify`` call exactly this)::

    count_ballots(method, candidates, ballots, seats=1, seed="", withdrawn=()) -> CountResult

``method`` is one of ``METHODS``. ``ballots`` yields ``(choices, weight)``:
for ``irv``, ``stv`` and ``meek`` the choices are candidate names in order of
preference; for ``fptp`` they are the X's (more than ``seats`` spoils the
ballot); for ``approval`` any number of distinct names. ``seed`` is the
published seed for drawing lots. ``withdrawn`` names candidates who withdrew
after the papers were out: they are excluded before the first stage, their
preferences skipped and their marks not counted (``counting.withdrawal``, the
same logic as a BLT file's withdrawn lines); the result lists the candidates
left.

``count_rows(method, candidates, prefs, weights, seats=1, seed="")`` counts
the same ballots given as arrays (``prefs[i]``: candidate indices padded with
``len(candidates)``; ``weights[i]``: whole numbers), as ballot file readers
give them, and returns exactly what ``count_ballots`` returns for them.

Guarantees: no I/O, no clock, no randomness beyond ``seed`` (the same input
always gives the same result, whatever the order of ``candidates`` or of the
ballots); identical ballots are folded together first; a ballot naming an
unknown candidate or repeating one raises ``InvalidBallot``; a bad method,
seat number or candidate list raises ``InvalidCount``; both are ``ValueError``.
The rules of each method are in docs/counting.md. ``RON`` (re-open
nominations) is counted like any other candidate; a result with RON among the
winners says so (``ron_elected``, and a ``note`` in ``to_dict``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np

from services.tally.counting.ballots import (
    RankedBallots,
    check_candidates,
    marked,
    ranked,
    ranked_rows,
)
from services.tally.counting.irv import count_irv
from services.tally.counting.marks import count_marks
from services.tally.counting.meek import count_meek
from services.tally.counting.model import (
    RON,
    CountingError,
    CountResult,
    InvalidBallot,
    InvalidCount,
    Stage,
    Tie,
    is_ron,
)
from services.tally.counting.stv import count_stv
from services.tally.counting.ties import draw_lot
from services.tally.counting.withdrawal import withdraw

METHODS: tuple[str, ...] = ("fptp", "approval", "irv", "stv", "meek")

__all__ = [
    "METHODS",
    "RON",
    "CountResult",
    "CountingError",
    "InvalidBallot",
    "InvalidCount",
    "Stage",
    "Tie",
    "count_ballots",
    "count_rows",
    "draw_lot",
    "is_ron",
]


def count_ballots(
    method: str,
    candidates: Sequence[str],
    ballots: Iterable[tuple[Sequence[str], int]],
    seats: int = 1,
    seed: str = "",
    withdrawn: Collection[str] = (),
) -> CountResult:
    """Count ``ballots`` for ``seats`` seats by ``method``; see the module docstring."""
    if method not in METHODS:
        raise InvalidCount(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    names = check_candidates(candidates, seats)
    if not isinstance(seed, str):
        raise InvalidCount(f"seed must be a string, not {type(seed).__name__}")
    if withdrawn:
        kept, prefs, weights = withdraw(names, ballots, withdrawn)
        return count_rows(method, kept, prefs, weights, seats, seed)
    if method == "fptp":
        return count_marks(method, marked(names, ballots, max_marks=seats), seats, seed)
    if method == "approval":
        return count_marks(method, marked(names, ballots, max_marks=None), seats, seed)
    return _count_ranked(method, ranked(names, ballots), seats, seed)


def _count_ranked(method: str, ballots: RankedBallots, seats: int, seed: str) -> CountResult:
    if method == "irv":
        if seats != 1:
            raise InvalidCount(f"irv fills one seat, not {seats}; use stv or meek for more")
        return count_irv(ballots, seed)
    if method == "stv":
        return count_stv(ballots, seats, seed)
    return count_meek(ballots, seats, seed)


def count_rows(
    method: str,
    candidates: Sequence[str],
    prefs: np.ndarray,
    weights: np.ndarray,
    seats: int = 1,
    seed: str = "",
) -> CountResult:
    """Count ballots given as arrays by ``method``; see the module docstring."""
    if method not in METHODS:
        raise InvalidCount(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    names = check_candidates(candidates, seats)
    if not isinstance(seed, str):
        raise InvalidCount(f"seed must be a string, not {type(seed).__name__}")
    if method in ("fptp", "approval"):
        n = len(names)
        ballots = [
            (tuple(names[c] for c in row if c < n), int(w))
            for row, w in zip(np.asarray(prefs).tolist(), np.asarray(weights).tolist(), strict=True)
        ]
        return count_ballots(method, names, ballots, seats, seed)
    return _count_ranked(method, ranked_rows(names, prefs, weights), seats, seed)
