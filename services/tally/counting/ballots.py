"""Checking ballots and folding identical ones together before a count.

Every method counts aggregated ballots: each distinct ballot once, with the
sum of its weights. This module owns that step and the checks at the door:

- a ballot naming someone who is not a candidate, naming a candidate twice or
  carrying a weight that is not a whole number >= 0 raises ``InvalidBallot``
  naming the problem (nothing is counted);
- a blank ballot is not an error: it is invalid and reported as ``blank``;
- for FPTP, a ballot with more marks than seats is spoilt and reported as
  ``too many marks``.

Ranked ballots come out as numpy arrays: ``prefs[i]`` is the i-th distinct
ballot as candidate indices, padded with ``len(candidates)`` (a sentinel that
stands for "no further preference"); ``counts[i]`` is its total weight.
``ranked_rows`` takes ballots already in that array form (a file reader's)
and checks and folds them without a Python object per ballot.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

from services.tally.counting.model import InvalidBallot, InvalidCount


def check_candidates(candidates: Sequence[str], seats: int) -> tuple[str, ...]:
    """The candidate list as a tuple, after checking it and the number of seats."""
    names = tuple(candidates)
    if not names:
        raise InvalidCount("there are no candidates")
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidCount(f"candidate name {name!r} is not a non-empty string")
    if len(set(names)) != len(names):
        dupes = sorted(name for name, times in Counter(names).items() if times > 1)
        raise InvalidCount(f"candidates listed more than once: {', '.join(dupes)}")
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise InvalidCount(f"seats must be a whole number of at least 1, not {seats!r}")
    return names


def aggregate(ballots: Iterable[tuple[Sequence[str], int]]) -> dict[tuple[str, ...], int]:
    """Identical ballots folded together: choices -> total weight (zero totals dropped)."""
    totals: dict[tuple[str, ...], int] = {}
    get = totals.get
    index = operator.index
    for choices, weight in ballots:
        try:
            w = index(weight)
        except TypeError:
            raise InvalidBallot(
                f"ballot {tuple(choices)!r} has weight {weight!r}, not a whole number"
            ) from None
        if w < 0:
            raise InvalidBallot(f"ballot {tuple(choices)!r} has negative weight {w}")
        key = choices if type(choices) is tuple else tuple(choices)
        try:
            totals[key] = get(key, 0) + w
        except TypeError:
            raise InvalidBallot(f"ballot {key!r} holds something that is not a name") from None
    return {key: w for key, w in totals.items() if w}


def _indices(key: tuple[str, ...], index: dict[str, int]) -> tuple[int, ...]:
    try:
        row = tuple(map(index.__getitem__, key))
    except KeyError as missing:
        raise InvalidBallot(
            f"ballot {key!r} names {missing.args[0]!r}, who is not a candidate"
        ) from None
    except TypeError:
        raise InvalidBallot(f"ballot {key!r} holds something that is not a name") from None
    if len(set(row)) != len(row):
        twice = next(name for name in key if key.count(name) > 1)
        raise InvalidBallot(f"ballot {key!r} names {twice!r} more than once")
    return row


@dataclass(frozen=True)
class RankedBallots:
    """Distinct valid ranked ballots as arrays, plus what was set aside."""

    candidates: tuple[str, ...]
    prefs: np.ndarray
    counts: np.ndarray
    valid: int
    invalid: dict[str, int]


def ranked(
    candidates: tuple[str, ...], ballots: Iterable[tuple[Sequence[str], int]]
) -> RankedBallots:
    """Check and aggregate preference ballots (first choice first)."""
    index = {name: i for i, name in enumerate(candidates)}
    rows: list[tuple[int, ...]] = []
    weights: list[int] = []
    blank = 0
    for key, weight in aggregate(ballots).items():
        if not key:
            blank += weight
            continue
        rows.append(_indices(key, index))
        weights.append(weight)
    n = len(candidates)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    width = int(lengths.max()) + 1 if rows else 1
    prefs = np.full((len(rows), width), n, dtype=np.int32)
    if rows:
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.int32, count=int(lengths.sum()))
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        row_of = np.repeat(np.arange(len(rows)), lengths)
        prefs[row_of, np.arange(flat.size) - starts] = flat
    counts = np.array(weights, dtype=np.int64) if weights else np.zeros(0, dtype=np.int64)
    return RankedBallots(
        candidates=candidates,
        prefs=prefs,
        counts=counts,
        valid=sum(weights),
        invalid={"blank": blank} if blank else {},
    )


def fold_rows(prefs: np.ndarray, weights: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Identical rows of ``prefs`` (values 0..``pad``) folded together, weights summed.

    Rows come back in order of first appearance; ``weights`` may be any dtype
    ``np.add.at`` accepts (int64, or object for exact fractions).
    """
    if len(prefs) == 0:
        return prefs, weights
    width = prefs.shape[1]
    base = pad + 1
    if width and base**width < 2**62:
        keys = prefs.astype(np.int64) @ (base ** np.arange(width, dtype=np.int64))
        ordered = np.sort(keys)
        if not (ordered[1:] == ordered[:-1]).any():
            return prefs, weights  # already distinct (a reader's rows are): nothing to fold
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(prefs, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    totals = np.zeros(len(first), dtype=weights.dtype)
    np.add.at(totals, inverse, weights)
    order = np.argsort(first, kind="stable")
    return prefs[first[order]], totals[order]


def ranked_rows(
    candidates: tuple[str, ...], prefs: np.ndarray, weights: np.ndarray
) -> RankedBallots:
    """Check and fold ranked ballots given as arrays: ``prefs[i]`` candidate indices padded
    with ``len(candidates)``, ``weights[i]`` a whole number >= 0. Same result as ``ranked``."""
    n = len(candidates)
    prefs = np.asarray(prefs)
    weights = np.asarray(weights)
    if prefs.ndim != 2 or len(prefs) != len(weights):
        raise InvalidBallot("ballot rows and weights do not line up")
    if weights.dtype.kind not in "iu":
        raise InvalidBallot(f"ballot weights must be whole numbers, not {weights.dtype}")
    if len(weights) and int(weights.min()) < 0:
        raise InvalidBallot(f"a ballot has negative weight {int(weights.min())}")
    if prefs.size:
        if prefs.dtype.kind not in "iu" or int(prefs.min()) < 0 or int(prefs.max()) > n:
            raise InvalidBallot("a ballot names someone who is not a candidate")
        padded = prefs == n
        if (padded[:, :-1] & ~padded[:, 1:]).any():
            raise InvalidBallot("a ballot has a gap between its preferences")
        ordered = np.sort(prefs, axis=1)
        if ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] < n)).any():
            raise InvalidBallot("a ballot names a candidate more than once")
    rows, totals = fold_rows(prefs.astype(np.int32), weights.astype(np.int64), n)
    keep = totals > 0
    rows, totals = rows[keep], totals[keep]
    blank_rows = rows[:, 0] == n if rows.shape[1] else np.ones(len(rows), dtype=bool)
    blank = int(totals[blank_rows].sum())
    rows, totals = rows[~blank_rows], totals[~blank_rows]
    lengths = (rows < n).sum(axis=1)
    width = int(lengths.max()) + 1 if len(rows) else 1
    out = np.full((len(rows), width), n, dtype=np.int32)
    take = min(width, rows.shape[1])
    out[:, :take] = rows[:, :take]
    return RankedBallots(
        candidates=candidates,
        prefs=out,
        counts=totals,
        valid=int(totals.sum()),
        invalid={"blank": blank} if blank else {},
    )


@dataclass(frozen=True)
class MarkedBallots:
    """Marks per candidate from valid X ballots, plus what was set aside."""

    candidates: tuple[str, ...]
    marks: list[int]
    valid: int
    invalid: dict[str, int]


def marked(
    candidates: tuple[str, ...],
    ballots: Iterable[tuple[Sequence[str], int]],
    max_marks: int | None,
) -> MarkedBallots:
    """Check and total X ballots; more than ``max_marks`` marks spoils a ballot."""
    index = {name: i for i, name in enumerate(candidates)}
    marks = [0] * len(candidates)
    valid = 0
    invalid: dict[str, int] = {}
    for key, weight in aggregate(ballots).items():
        row = _indices(key, index)
        if not row:
            invalid["blank"] = invalid.get("blank", 0) + weight
        elif max_marks is not None and len(row) > max_marks:
            invalid["too many marks"] = invalid.get("too many marks", 0) + weight
        else:
            valid += weight
            for i in row:
                marks[i] += weight
    return MarkedBallots(candidates=candidates, marks=marks, valid=valid, invalid=invalid)
