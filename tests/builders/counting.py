"""Test data for the tally tests: hypothesis strategies and where the real elections are."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
NAMES = ["Ann", "Bob", "Cy", "Dee", "Éva", "Finn", "Gus", "Hal"]


def elections_dir() -> Path:
    """The shared real-election data (``ROLLCALL_ELECTIONS`` overrides the default)."""
    return Path(os.environ.get("ROLLCALL_ELECTIONS", REPO.parent / "shared" / "elections"))


@st.composite
def ranked_elections(draw, max_candidates=6, max_ballots=25, max_weight=6):
    """``(candidates, ballots, seats)`` with ranked ballots, blanks included."""
    n = draw(st.integers(1, max_candidates))
    candidates = draw(st.permutations(NAMES[:max_candidates]))[:n]
    ballots = []
    for _ in range(draw(st.integers(0, max_ballots))):
        order = draw(st.permutations(candidates))
        length = draw(st.integers(0, n))
        ballots.append((tuple(order[:length]), draw(st.integers(1, max_weight))))
    seats = draw(st.integers(1, n + 1))
    return candidates, ballots, seats


@st.composite
def marked_elections(draw, max_candidates=6, max_ballots=25, max_weight=6):
    """``(candidates, ballots, seats)`` with sets of X's, some spoilt or blank."""
    n = draw(st.integers(1, max_candidates))
    candidates = draw(st.permutations(NAMES[:max_candidates]))[:n]
    ballots = []
    for _ in range(draw(st.integers(0, max_ballots))):
        marks = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=n))
        ballots.append((tuple(marks), draw(st.integers(1, max_weight))))
    seats = draw(st.integers(1, n + 1))
    return candidates, ballots, seats


seeds = st.text(max_size=8)
