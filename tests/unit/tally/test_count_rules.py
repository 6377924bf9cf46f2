"""Worked examples of the rules in docs/counting.md, and the API's guarantees at the door."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest

from services.tally.counting import (
    METHODS,
    InvalidBallot,
    InvalidCount,
    count_ballots,
    draw_lot,
)
from services.tally.counting.ties import TieBreaker

# Rule 49(1): C, elected at stage 2, has a larger surplus than B, elected at stage 1.
SURPLUS_ORDER = [
    (("A", "C", "E"), 40),
    (("B", "D"), 23),
    (("C", "E"), 15),
    (("D",), 12),
    (("E",), 10),
]

# X and Y tie at stage 3; X led at stage 2 but trailed at stage 1.
LOOK_BACK = [
    (("Z", "X"), 3),
    (("W", "Y"), 2),
    (("W",), 2),
    (("X",), 5),
    (("Y",), 6),
    (("Big",), 10),
]


def test_largest_surplus_is_transferred_first_even_if_elected_later():
    result = count_ballots("stv", "ABCDE", SURPLUS_ORDER, seats=4)
    assert result.quota == 21 * 10**5
    assert [(s.action, s.subject) for s in result.rounds] == [
        ("first preferences", None),
        ("surplus transfer", "A"),
        ("surplus transfer", "C"),
    ]
    assert result.winners == ["A", "B", "C", "E"]


def test_transfer_values_are_truncated_to_five_places_not_rounded():
    stage3 = count_ballots("stv", "ABCDE", SURPLUS_ORDER, seats=4).rounds[2]
    # 15 papers at 13/34 -> 0.38235 and 40 at 0.475 x 13/34 -> 0.18161 (0.181617... truncated).
    assert stage3.totals["E"] == 10 * 10**5 + 15 * 38235 + 40 * 18161
    assert stage3.transfers == {"C": -13 * 10**5, "E": 15 * 38235 + 40 * 18161}
    assert stage3.surplus == 13 * 10**5
    assert stage3.lost == 35
    assert stage3.totals["C"] == 21 * 10**5


@pytest.mark.parametrize("method", ["irv", "stv", "meek"])
def test_exclusion_tie_looks_back_to_the_most_recent_stage_that_differed(method):
    result = count_ballots(method, ["Z", "W", "X", "Y", "Big"], LOOK_BACK, seats=1)
    assert [s.subject for s in result.rounds][:4] == [None, "Z", "W", "Y"]
    [tie] = result.ties
    assert (tie.stage, tie.tied, tie.chosen, tie.method) == (3, ("X", "Y"), "Y", "look-back")
    assert tie.decided_at_stage == 2
    assert result.winners == ["Big"]


def test_last_vacancies_are_filled_without_transferring_a_pending_surplus():
    result = count_ballots("stv", "ABC", [(("A", "B"), 10), (("B",), 3), (("C",), 2)], seats=3)
    assert len(result.rounds) == 1
    assert result.winners == ["A", "B", "C"]
    assert "rule 52" in result.rounds[0].note


def test_candidate_exactly_at_quota_is_elected_with_no_surplus_stage():
    # 9 valid, 2 seats: quota 4. A has exactly 4.
    ballots = [(("A", "B"), 4), (("B",), 3), (("C",), 2)]
    result = count_ballots("stv", "ABC", ballots, seats=2)
    assert result.rounds[0].elected == ("A",)
    assert all(s.action != "surplus transfer" for s in result.rounds)
    assert result.winners == ["A", "B"]


def test_lot_follows_the_published_formula_and_depends_on_the_seed():
    chosen = set()
    for seed in map(str, range(12)):
        result = count_ballots("stv", ["Bo", "Al"], [(("Al",), 1), (("Bo",), 1)], seed=seed)
        [tie] = result.ties
        digest = hashlib.sha256(
            f"{seed}\x1f1\x1fexclusion (rule 51)\x1fAl\x1fBo".encode()
        ).hexdigest()
        assert (tie.method, tie.seed, tie.draw) == ("lot", seed, digest)
        assert tie.chosen == ["Al", "Bo"][int(digest, 16) % 2]
        assert result.winners == [({"Al", "Bo"} - {tie.chosen}).pop()]
        assert draw_lot(seed, 1, "exclusion (rule 51)", ["Bo", "Al"]) == (tie.chosen, digest)
        chosen.add(tie.chosen)
    assert chosen == {"Al", "Bo"}


def test_look_back_narrows_to_those_still_level_then_goes_further_back():
    ties = TieBreaker("s")
    for totals in ({"A": 1, "B": 2, "C": 3}, {"A": 4, "B": 4, "C": 5}, {"A": 6, "B": 6, "C": 6}):
        ties.add_stage(totals)
    assert ties.pick("ABC", "exclusion", lowest=True) == "A"
    assert ties.ties[-1].decided_at_stage == 1
    assert ties.pick("ABC", "order", lowest=False) == "C"
    assert ties.ties[-1].decided_at_stage == 2


def test_lot_is_drawn_only_among_those_level_at_every_stage():
    ties = TieBreaker("s")
    for totals in ({"A": 1, "B": 1, "C": 3}, {"A": 2, "B": 2, "C": 2}):
        ties.add_stage(totals)
    chosen = ties.pick("CBA", "exclusion", lowest=True)
    tie = ties.ties[-1]
    assert (tie.method, tie.tied, tie.drawn_among) == ("lot", ("A", "B", "C"), ("A", "B"))
    assert chosen == draw_lot("s", 2, "exclusion", ["A", "B"])[0]


def test_fptp_block_vote_spoils_ballots_with_too_many_marks():
    ballots = [(("A",), 5), (("A", "B"), 2), (("A", "B", "C"), 4), ((), 1), (("C",), 3)]
    result = count_ballots("fptp", "ABC", ballots, seats=2)
    assert result.rounds[0].totals == {"A": 7, "B": 2, "C": 3}
    assert result.invalid_reasons == {"too many marks": 4, "blank": 1}
    assert (result.valid, result.invalid) == (10, 5)
    assert result.winners == ["A", "C"]


def test_approval_counts_every_mark():
    ballots = [(("A", "B", "C"), 4), (("B",), 1), (("C", "B"), 2)]
    result = count_ballots("approval", "ABC", ballots, seats=2)
    assert result.rounds[0].totals == {"A": 4, "B": 7, "C": 6}
    assert result.winners == ["B", "C"]


def test_blank_ballots_are_invalid_and_do_not_raise_the_quota():
    result = count_ballots("stv", "AB", [(("A",), 6), ((), 5), (("B",), 3)], seats=1)
    assert (result.valid, result.invalid, result.invalid_reasons) == (9, 5, {"blank": 5})
    assert result.quota == 5 * 10**5


def test_more_seats_than_candidates_elects_everyone():
    result = count_ballots("stv", "AB", [(("A",), 1)], seats=3)
    assert sorted(result.winners) == ["A", "B"]
    assert count_ballots("fptp", "AB", [(("A",), 1)], seats=3).winners == ["A", "B"]


def test_a_count_with_no_ballots_still_finishes():
    for method in METHODS:
        result = count_ballots(method, "ABC", [], seats=1, seed="x")
        assert len(result.winners) == 1
        assert result.valid == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "borda"}, InvalidCount, "unknown method 'borda'"),
        ({"seats": 0}, InvalidCount, "seats must be"),
        ({"seats": True}, InvalidCount, "seats must be"),
        ({"candidates": []}, InvalidCount, "no candidates"),
        ({"candidates": ["A", "B", "A"]}, InvalidCount, "more than once: A"),
        ({"candidates": ["A", ""]}, InvalidCount, "not a non-empty string"),
        ({"ballots": [(("A", "Q"), 1)]}, InvalidBallot, "names 'Q', who is not a candidate"),
        ({"ballots": [(("A", "B", "A"), 1)]}, InvalidBallot, "names 'A' more than once"),
        ({"ballots": [(("A",), -1)]}, InvalidBallot, "negative weight"),
        ({"ballots": [(("A", ["B"]), 1)]}, InvalidBallot, "not a name"),
        ({"ballots": [(("A",), 1.5)]}, InvalidBallot, "not a whole number"),
        ({"method": "irv", "seats": 2}, InvalidCount, "irv fills one seat"),
        ({"seed": 5}, InvalidCount, "seed must be a string"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_problem(kwargs, error, message):
    args = {"method": "stv", "candidates": ["A", "B"], "ballots": [(("A",), 1)], "seats": 1}
    args.update(kwargs)
    with pytest.raises(error, match=message) as caught:
        count_ballots(**args)
    assert isinstance(caught.value, ValueError)


def test_to_dict_is_json_and_keeps_every_decimal():
    result = count_ballots("stv", "ABCDE", SURPLUS_ORDER, seats=4, seed="pub")
    data = json.loads(json.dumps(result.to_dict()))
    assert {
        "method",
        "seats",
        "candidates",
        "valid",
        "invalid",
        "quota",
        "winners",
        "rounds",
        "ties",
    } <= set(data)
    assert data["winners"] == ["A", "B", "C", "E"]
    assert data["quota"] == 21
    stage3 = data["rounds"][2]
    assert (stage3["action"], stage3["subject"]) == ("surplus transfer", "C")
    assert Decimal(repr(stage3["totals"]["E"])) == Decimal("22.99965")
    assert Decimal(repr(stage3["lost"])) == Decimal("0.00035")
    assert data["rounds"][0]["elected"] == ["A", "B"]


def test_weights_may_be_numpy_integers():
    import numpy as np

    result = count_ballots("irv", "AB", [(["A"], np.int64(3)), (["B"], np.int32(2))])
    assert result.winners == ["A"]
