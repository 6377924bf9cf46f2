"""Every method against a naive reference count, and invariants every count keeps."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.tally.counting import InvalidBallot, count_ballots, count_rows
from tests.builders.counting import marked_elections, ranked_elections, seeds
from tests.unit.tally import naive

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stage_view(result):
    """The engine's stages as ``(action, subject, totals, exhausted)`` in Fractions."""
    scale = 10**result.decimals
    return [
        (
            stage.action,
            stage.subject,
            {name: Fraction(v, scale) for name, v in stage.totals.items()},
            Fraction(stage.exhausted, scale),
        )
        for stage in result.rounds
    ]


@PROPERTY
@given(ranked_elections(), seeds)
def test_stv_matches_the_naive_count_stage_by_stage(election, seed):
    candidates, ballots, seats = election
    result = count_ballots("stv", candidates, ballots, seats=seats, seed=seed)
    winners, stages = naive.stv(candidates, ballots, seats, seed)
    assert result.winners == winners
    assert stage_view(result) == stages


@PROPERTY
@given(ranked_elections(max_ballots=40, max_weight=30), seeds)
def test_stv_matches_the_naive_count_with_heavy_surpluses(election, seed):
    candidates, ballots, seats = election
    result = count_ballots("stv", candidates, ballots, seats=seats, seed=seed)
    winners, stages = naive.stv(candidates, ballots, seats, seed)
    assert result.winners == winners
    assert stage_view(result) == stages


@PROPERTY
@given(ranked_elections(), seeds)
def test_irv_matches_the_naive_count_stage_by_stage(election, seed):
    candidates, ballots, _ = election
    result = count_ballots("irv", candidates, ballots, seed=seed)
    winners, stages = naive.irv(candidates, ballots, seed)
    assert result.winners == winners
    assert stage_view(result) == stages


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ranked_elections(max_candidates=5, max_ballots=12, max_weight=4), seeds)
def test_meek_matches_the_naive_count_stage_by_stage(election, seed):
    candidates, ballots, seats = election
    result = count_ballots("meek", candidates, ballots, seats=seats, seed=seed)
    winners, stages = naive.meek(candidates, ballots, seats, seed)
    assert result.winners == winners
    assert stage_view(result) == stages


@PROPERTY
@given(marked_elections(), seeds)
def test_fptp_matches_the_naive_count(election, seed):
    candidates, ballots, seats = election
    result = count_ballots("fptp", candidates, ballots, seats=seats, seed=seed)
    winners, stages = naive.marks(candidates, ballots, seats, seed, max_marks=seats)
    assert result.winners == winners
    assert stage_view(result)[0][2] == stages[0][2]
    spoilt = sum(w for marks, w in ballots if len(marks) > seats or not marks)
    assert result.invalid == spoilt
    assert result.valid + result.invalid == sum(w for _, w in ballots)


@PROPERTY
@given(marked_elections(), seeds)
def test_approval_matches_the_naive_count(election, seed):
    candidates, ballots, seats = election
    result = count_ballots("approval", candidates, ballots, seats=seats, seed=seed)
    winners, stages = naive.marks(candidates, ballots, seats, seed, max_marks=None)
    assert result.winners == winners
    assert stage_view(result)[0][2] == stages[0][2]


@PROPERTY
@given(ranked_elections(max_weight=20), st.sampled_from(["stv", "meek"]))
def test_no_vote_is_created_or_destroyed_at_any_stage(election, method):
    candidates, ballots, seats = election
    result = count_ballots(method, candidates, ballots, seats=seats)
    whole = result.valid * 10**result.decimals
    for stage in result.rounds:
        assert sum(stage.totals.values()) + stage.exhausted + stage.lost == whole
        assert stage.lost >= 0
    assert len(result.winners) == min(seats, len(candidates))
    assert len(set(result.winners)) == len(result.winners)


@PROPERTY
@given(ranked_elections(), seeds, st.sampled_from(["irv", "stv", "meek"]), st.randoms())
def test_order_of_candidates_and_ballots_does_not_matter(election, seed, method, rnd):
    candidates, ballots, seats = election
    seats = 1 if method == "irv" else seats
    first = count_ballots(method, candidates, ballots, seats=seats, seed=seed).to_dict()
    shuffled_candidates = rnd.sample(candidates, len(candidates))
    shuffled_ballots = rnd.sample(ballots, len(ballots))
    second = count_ballots(method, shuffled_candidates, shuffled_ballots, seats=seats, seed=seed)
    first.pop("candidates")
    assert second.to_dict() | {"candidates": None} == first | {"candidates": None}


@PROPERTY
@given(ranked_elections(), seeds)
def test_single_seat_stv_and_meek_elect_the_irv_winner(election, seed):
    candidates, ballots, _ = election
    irv = count_ballots("irv", candidates, ballots, seed=seed)
    assert count_ballots("meek", candidates, ballots, seats=1, seed=seed).winners == irv.winners
    stv = count_ballots("stv", candidates, ballots, seats=1, seed=seed)
    if not any(tie.method == "lot" for tie in stv.ties + irv.ties):
        assert stv.winners == irv.winners


@PROPERTY
@given(ranked_elections(), seeds)
def test_splitting_a_weighted_ballot_changes_nothing(election, seed):
    candidates, ballots, seats = election
    split = [(prefs, 1) for prefs, weight in ballots for _ in range(weight)]
    random.Random(0).shuffle(split)
    for method in ("stv", "meek"):
        assert (
            count_ballots(method, candidates, split, seats=seats, seed=seed).to_dict()
            == count_ballots(method, candidates, ballots, seats=seats, seed=seed).to_dict()
        )


def as_rows(candidates, ballots):
    """Ballots as a file reader gives them: index rows padded with len(candidates)."""
    n = len(candidates)
    width = max((len(choices) for choices, _ in ballots), default=0) + 1
    prefs = np.full((len(ballots), width), n, dtype=np.int32)
    for i, (choices, _) in enumerate(ballots):
        prefs[i, : len(choices)] = [candidates.index(name) for name in choices]
    return prefs, np.array([w for _, w in ballots], dtype=np.int64)


@PROPERTY
@given(ranked_elections(), seeds, st.sampled_from(["irv", "stv", "meek", "fptp", "approval"]))
def test_count_rows_gives_exactly_what_count_ballots_gives(election, seed, method):
    candidates, ballots, seats = election
    if method == "irv":
        seats = 1
    if method == "fptp":
        ballots = [(choices[:seats], w) for choices, w in ballots]
    prefs, weights = as_rows(candidates, ballots)
    rows = count_rows(method, candidates, prefs, weights, seats=seats, seed=seed)
    pairs = count_ballots(method, candidates, ballots, seats=seats, seed=seed)
    assert rows.to_dict() == pairs.to_dict()


def test_count_rows_refuses_what_count_ballots_refuses():
    names = ["A", "B"]
    for prefs, why in (
        ([[0, 0, 2]], "more than once"),
        ([[3, 2, 2]], "not a candidate"),
        ([[2, 0, 2]], "gap"),
    ):
        with pytest.raises(InvalidBallot, match=why):
            count_rows("stv", names, np.array(prefs), np.array([1]))
    with pytest.raises(InvalidBallot, match="negative"):
        count_rows("stv", names, np.array([[0, 2]]), np.array([-1]))
