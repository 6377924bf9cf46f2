"""Withdrawn candidates, taken out of the ballots before the first stage. Pure.

A candidate who withdraws after the papers are out stays printed on them, so
papers still name them. The rules (docs/counting.md, "Withdrawn candidates")
exclude them before the count begins: they are dropped from the candidate
list, and on every paper their preference is skipped, the later preferences
moving up (a mark for them, on an FPTP or approval paper, is not counted). A
paper left with nothing is kept as a blank, for the count to report as
invalid.

Both readers of withdrawals go through ``withdraw_rows``: a BLT file's ``-n``
lines (``ballotfiles.blt``) and the tally's own withdrawals (``withdraw``,
which ``count_ballots(..., withdrawn=...)`` calls), so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np

from services.tally.counting.ballots import _indices, aggregate, fold_rows
from services.tally.counting.model import InvalidCount


def withdraw_rows(
    numbers: np.ndarray, totals: np.ndarray, n: int, withdrawn: Collection[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of candidate numbers (1..n, 0 = none or withdrawn) as indices into the candidates
    left after withdrawal, gaps closed, padded (with the number of candidates left, always a
    last pad column), identical rows folded; with their weights."""
    out = set(withdrawn)
    kept = n - len(out)
    lookup = np.full(n + 1, kept, dtype=np.int32)
    lookup[[c for c in range(1, n + 1) if c not in out]] = np.arange(kept, dtype=np.int32)
    rows = lookup[numbers] if numbers.size else np.zeros((len(numbers), 0), dtype=np.int32)
    if out and rows.size:
        rows = np.take_along_axis(rows, np.argsort(rows == kept, axis=1, kind="stable"), axis=1)
    rows = np.hstack([rows, np.full((len(rows), 1), kept, dtype=np.int32)])
    return fold_rows(rows, totals, kept)


def withdraw(
    candidates: Sequence[str],
    ballots: Iterable[tuple[Sequence[str], int]],
    withdrawn: Collection[str],
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The candidates left and the ballots without the withdrawn ones, as ``count_rows`` takes
    them. A ballot naming someone who is not a candidate, or naming one twice, raises
    ``InvalidBallot`` as the count would; withdrawing someone who is not a candidate raises
    ``InvalidCount``."""
    names = tuple(candidates)
    unknown = sorted(set(withdrawn) - set(names))
    if unknown:
        raise InvalidCount(f"withdrawn but not a candidate: {', '.join(map(str, unknown))}")
    number = {name: i for i, name in enumerate(names, 1)}
    totals = aggregate(ballots)
    rows = [_indices(key, number) for key in totals]
    numbers = np.zeros((len(rows), max(map(len, rows), default=0)), dtype=np.int64)
    for i, row in enumerate(rows):
        numbers[i, : len(row)] = row
    weights = np.array(list(totals.values()), dtype=np.int64)
    prefs, weights = withdraw_rows(numbers, weights, len(names), {number[w] for w in withdrawn})
    return tuple(name for name in names if name not in withdrawn), prefs, weights
