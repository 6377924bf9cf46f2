"""RON (re-open nominations) is counted like any other candidate; when it wins, the
result says so, and a result without RON among the winners is unchanged."""

from __future__ import annotations

import pytest

from services.tally.counting import RON, count_ballots, is_ron

CANDIDATES = ["Ann", "Bob", RON]


@pytest.mark.parametrize("method", ["irv", "stv", "meek", "fptp"])
def test_when_ron_wins_the_result_says_nominations_reopen(method):
    ballots = [((RON, "Ann"), 5), (("Ann",), 3), (("Bob", RON), 2)]
    if method == "fptp":
        ballots = [(choices[:1], w) for choices, w in ballots]
    result = count_ballots(method, CANDIDATES, ballots, seed="s")
    assert result.winners == [RON]
    assert result.ron_elected
    data = result.to_dict()
    assert data["ron_elected"] is True
    assert "nominations re-open" in data["note"]


def test_ron_is_counted_like_any_other_candidate():
    ballots = [((RON, "Ann"), 2), (("Ann",), 4), (("Bob", RON), 3)]
    with_ron = count_ballots("stv", CANDIDATES, ballots, seats=1, seed="s")
    renamed = [(tuple("Zed" if c == RON else c for c in choices), w) for choices, w in ballots]
    without = count_ballots("stv", ["Ann", "Bob", "Zed"], renamed, seats=1, seed="s")
    assert with_ron.winners == without.winners == ["Ann"]
    assert [s.totals[RON] for s in with_ron.rounds] == [s.totals["Zed"] for s in without.rounds]
    assert not with_ron.ron_elected
    assert "ron_elected" not in with_ron.to_dict() and "note" not in with_ron.to_dict()


def test_ron_taking_one_of_two_seats_is_said():
    ballots = [(("Ann",), 5), ((RON,), 4), (("Bob",), 1)]
    result = count_ballots("stv", CANDIDATES, ballots, seats=2, seed="s")
    assert set(result.winners) == {"Ann", RON}
    assert result.to_dict()["ron_elected"] is True


@pytest.mark.parametrize(
    ("name", "ron"),
    [
        ("RON", True),
        ("Re-open nominations", True),
        ("RON (re-open nominations)", True),
        ("  ron ", True),
        ("Ronald MUNRO", False),
        ("Ron", True),
    ],
)
def test_ron_is_recognised_by_its_usual_names(name, ron):
    assert is_ron(name) is ron
