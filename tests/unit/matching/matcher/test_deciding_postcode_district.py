"""A member whose postcode district has a one-character slip (``YO11 4XX`` for ``YO10
4XX``) is found by the second round's key (the house by postcode area and inward code),
and matched only when street, house and name all agree (issue 10)."""

from __future__ import annotations

from services.matching.matcher.records import found_at_house, inward_keys
from tests.builders.registers import elector, index, member, one

REGISTER = [
    elector("Y1", "Harriet", "Calvert", "12 Heslington Lane", "York", postcode="YO10 4XX"),
    elector("Y2", "Tomasz", "Calvert", "12 Heslington Lane", "York", postcode="YO10 4XX"),
    elector("Y3", "Harriet", "Calvert", "12 Fulford Road", "York", postcode="YO10 4PJ"),
]


def test_a_district_digit_slip_at_the_right_house_is_matched_and_says_so() -> None:
    decision = one(REGISTER, member("M", "Harriet", "Calvert", "12 Heslington Lane",
                                    postcode="YO11 4XX"))  # fmt: skip
    assert (decision.decision, decision.elector_id) == ("match", "Y1"), decision.reasons
    assert decision.reasons.endswith(
        "the postcode looks mistyped: postcode YO11 4XX on the party's record; "
        "the register has YO10 4XX"
    )


def test_the_same_number_on_another_street_in_the_next_district_is_not_a_candidate() -> None:
    # The house number and the inward code alone do not make it the same house: a slip
    # in the district digit keeps the street.
    decision = one(REGISTER, member("M", "Harriet", "Calvert", "12 Heslington Road",
                                    postcode="YO11 4XX"))  # fmt: skip
    assert decision.decision == "no_match", decision.reasons


def test_a_district_slip_with_a_first_name_typo_goes_to_a_person() -> None:
    decision = one(REGISTER, member("M", "Hariet", "Calvert", "12 Heslington Lane",
                                    postcode="YO11 4XX"))  # fmt: skip
    assert (decision.decision, decision.elector_id) == ("review", "Y1"), decision.reasons
    assert "another postcode district and not every detail agrees (postcode YO11 4XX on " in (
        decision.reasons
    )


def test_the_inward_code_is_looked_up_only_when_nobody_is_found_at_the_house() -> None:
    register = [*REGISTER, elector("Y4", "Harriet", "Calvert", "12 Heslington Lane",
                                   "York", postcode="YO11 4XX")]  # fmt: skip
    found = member("M", "Harriet", "Calvert", "12 Heslington Lane", postcode="YO11 4XX")
    candidates = index(register).fetch([found]).candidates["M"]
    assert [e.elector_id for e in candidates] == ["Y4"]
    assert found_at_house(found, candidates)
    assert inward_keys(found) == {"pi|YO|4XX|12|HESLINGTON LANE"}
    decision = one(register, found)
    assert (decision.decision, decision.elector_id) == ("match", "Y4"), decision.reasons


def test_a_flat_missing_from_its_block_does_not_fetch_the_whole_block() -> None:
    # Nobody is registered at flat 99: that is no sign of a mistyped postcode, and the
    # block's name alone would bring in every namesake's neighbour as a candidate.
    register = [
        elector("B1", "Matthew", "Bailey", "Flat 47 Wenlock House", "Grove Road",
                postcode="SE16 0EA"),
    ]  # fmt: skip
    flat = member("M", "Matthew", "Robinson", "Flat 99 Wenlock House", "Grove Road",
                  postcode="SE16 0EA")  # fmt: skip
    assert inward_keys(flat) == frozenset()
    assert one(register, flat).decision == "no_match"
