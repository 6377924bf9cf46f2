"""What a ballot file holds once read (``ElectionFile``), the error for what cannot be
read (``BallotFileError``: file, line, column, what was expected), and the helpers
both readers share. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np

from services.tally.counting.ballots import fold_rows

PREFLIB_FORMATS = ("soi", "toi", "soc", "toc")
FORMATS = (*PREFLIB_FORMATS, "blt")

Weight = int | Fraction
Ballot = tuple[tuple[str, ...], Weight]


class BallotFileError(ValueError):
    """A ballot file could not be read; says which file, line and column, and what was expected."""

    def __init__(self, source: str, line: int, message: str, column: int | None = None) -> None:
        where = f"{source}:{line}:{column}" if column else f"{source}:{line}"
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.column = column
        self.message = message


@dataclass(frozen=True)
class ElectionFile:
    """What a ballot file holds.

    The ballots are held as arrays, the form the count takes (``count_rows``):
    ``prefs[i]`` is the i-th distinct ballot as indices into ``candidates``,
    padded with ``len(candidates)``; ``weights[i]`` its total weight (int64, or
    object holding ``Fraction``s where the file gave fractional weights).
    ``ballots`` gives the same as ``(names, weight)`` pairs.
    """

    source: str
    format: str
    title: str
    candidates: tuple[str, ...]
    prefs: np.ndarray
    weights: np.ndarray
    seats: int | None = None
    withdrawn: tuple[str, ...] = ()
    overvotes: Weight = 0
    parties: dict[str, str] = field(default_factory=dict)

    @cached_property
    def ballots(self) -> list[Ballot]:
        names = self.candidates
        n = len(names)
        return [
            (tuple(names[c] for c in row if c < n), w)
            for row, w in zip(self.prefs.tolist(), self.weights.tolist(), strict=True)
        ]

    @property
    def voters(self) -> Weight:
        total = self.weights.sum() if len(self.weights) else 0
        return total if isinstance(total, Fraction) and total.denominator != 1 else int(total)

    @property
    def fractional(self) -> bool:
        """True where some weight is not a whole number (the file gave fractions)."""
        return self.weights.dtype == object

    def label(self, name: str) -> str:
        """``Name (Party)`` where the file gave a party, else the name."""
        party = self.parties.get(name)
        return f"{name} ({party})" if party else name


def rows_to_arrays(
    rows: list[tuple[int, ...]], weights: list[Weight], pad: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of candidate indices as a padded matrix (always a last pad column), folded."""
    width = max(map(len, rows), default=0) + 1
    prefs = np.full((len(rows), width), pad, dtype=np.int32)
    for i, row in enumerate(rows):
        prefs[i, : len(row)] = row
    exact = any(isinstance(w, Fraction) for w in weights)
    w = np.array(weights, dtype=object if exact else np.int64)
    return fold_rows(prefs, w, pad)


_INT = re.compile(r"\s*[+-]?\d+\s*")


def whole_number(text: str, source: str, line: int, what: str, column: int | None = None) -> int:
    if not _INT.fullmatch(text):
        raise BallotFileError(
            source, line, f"{what} {text.strip()!r} is not a whole number", column
        )
    return int(text)
