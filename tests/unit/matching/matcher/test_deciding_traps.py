"""The matcher is not fooled by relatives, namesakes or unregistered residents, and keeps
one member to one elector."""

from __future__ import annotations

import json

from tests.builders.registers import decide, elector, member, one

HOUSEHOLDS = [
    # A father and son with one name, no middle names to tell them apart.
    elector("F1", "John", "Smith", "21 Nelson Avenue"),
    elector("F2", "John", "Smith", "21 Nelson Avenue"),
    elector("F3", "Mary", "Smith", "21 Nelson Avenue"),
    # Relatives sharing an initial, told apart by middle names elsewhere.
    elector("R1", "James Michael", "Brown", "Flat A", "23 Nelson Avenue"),
    elector("R2", "Jane", "Brown", "Flat A", "23 Nelson Avenue"),
    elector("R3", "John Peter", "Jones", "25 Nelson Avenue"),
    elector("R4", "John Michael", "Jones", "25 Nelson Avenue"),
    # Namesakes on one street, at different houses.
    elector("N1", "David", "Taylor", "27 Nelson Avenue"),
    elector("N2", "David", "Taylor", "31 Nelson Avenue"),
    elector("N3", "Ruth", "Taylor", "31 Nelson Avenue"),
    # Namesakes in one block, in different flats.
    elector("B1", "Amina", "Hassan", "4 Saxon Point", "Mare Street", postcode="E8 9ZZ"),
    elector("B2", "Amina", "Hassan", "9 Saxon Point", "Mare Street", postcode="E8 9ZZ"),
    # A registered household another person lives with.
    elector("H1", "Peter", "Wilson", "33 Nelson Avenue"),
    elector("H2", "Sarah", "Wilson", "33 Nelson Avenue"),
]


def test_two_relatives_with_the_same_name_go_to_a_person() -> None:
    decision = one(HOUSEHOLDS, member("M", "John", "Smith", "21 Nelson Avenue"))
    assert decision.decision == "review"
    assert {c["elector_id"] for c in decision.candidates[:2]} == {"F1", "F2"}
    assert "more than one elector fits" in decision.reasons


def test_an_initial_shared_by_two_relatives_goes_to_a_person() -> None:
    decision = one(HOUSEHOLDS, member("M", "J", "Brown", "Flat A, 23 Nelson Ave"))
    assert decision.decision == "review"
    assert {c["elector_id"] for c in decision.candidates[:2]} == {"R1", "R2"}


def test_a_full_name_picks_the_right_relative_sharing_an_initial() -> None:
    decision = one(HOUSEHOLDS, member("M", "Jane", "Brown", "Flat A, 23 Nelson Ave"))
    assert (decision.decision, decision.elector_id) == ("match", "R2")


def test_a_middle_initial_separates_two_relatives_with_one_forename() -> None:
    ambiguous = one(HOUSEHOLDS, member("M", "John", "Jones", "25 Nelson Avenue"))
    assert ambiguous.decision == "review"
    told_apart = one(HOUSEHOLDS, member("M", "John M", "Jones", "25 Nelson Avenue"))
    assert told_apart.elector_id == "R4"
    assert told_apart.decision in ("match", "review")


def test_a_namesake_at_another_house_does_not_take_the_match() -> None:
    decision = one(HOUSEHOLDS, member("M", "David", "Taylor", "27 Nelson Avenue"))
    assert (decision.decision, decision.elector_id) == ("match", "N1")
    assert decision.evidence["runner_up"]["elector_id"] == "N2"


def test_an_unregistered_namesake_on_the_street_is_never_matched() -> None:
    decision = one(HOUSEHOLDS, member("M", "David", "Taylor", "29 Nelson Avenue"))
    assert decision.decision != "match"


def test_a_lone_namesake_at_another_house_is_never_matched_without_a_person() -> None:
    register = [elector("X1", "Oluwaseun", "Adeyemi-Okafor", "40 Nelson Avenue")]
    decision = one(register, member("M", "Oluwaseun", "Adeyemi-Okafor", "42 Nelson Avenue"))
    assert decision.score > 0.95  # the names alone make it very likely ...
    assert decision.decision == "review"  # ... but another house needs a person
    assert "different house number (party: 42, register: 40)" in decision.reasons


def test_a_namesake_in_another_flat_of_the_block_does_not_take_the_match() -> None:
    decision = one(HOUSEHOLDS, member("M", "Amina", "Hassan", "Flat 9 Saxon Point", "Mare Street",
                                     postcode="E8 9ZZ"))  # fmt: skip
    assert (decision.decision, decision.elector_id) == ("match", "B2")
    unregistered = one(HOUSEHOLDS, member("M", "Amina", "Hassan", "Flat 12 Saxon Point",
                                          "Mare Street", postcode="E8 9ZZ"))  # fmt: skip
    assert unregistered.decision != "match"


def test_an_unregistered_person_at_a_registered_address_is_not_matched() -> None:
    # Not matched; but with the household's surname at the very house, not dropped
    # either: a person decides (issue 10).
    decision = one(HOUSEHOLDS, member("M", "Thomas", "Wilson", "33 Nelson Avenue"))
    assert decision.decision == "review"
    assert "same address and surname; first name differs" in decision.reasons


def test_nobody_near_the_address_is_no_match() -> None:
    decision = one(HOUSEHOLDS, member("M", "Zara", "Quinn", "1 Nowhere Lane", postcode="N1 1AA"))
    assert decision.decision == "no_match"
    assert decision.score == 0.0


def test_two_members_never_get_one_elector_in_a_run() -> None:
    first, second = decide(
        HOUSEHOLDS,
        member("A", "Peter", "Wilson", "33 Nelson Avenue"),
        member("B", "Peter", "Wilson", "33 Nelson Ave"),
    )
    assert first.decision == second.decision == "review"
    assert "also fit this elector" in first.reasons


def test_an_elector_already_taken_is_not_matched_again() -> None:
    (decision,) = decide(
        HOUSEHOLDS, member("A", "Peter", "Wilson", "33 Nelson Avenue"), taken={"H1"}
    )
    assert decision.decision == "review"
    assert "already matched" in decision.reasons


def test_decisions_keep_their_evidence() -> None:
    decision = one(HOUSEHOLDS, member("A", "Peter", "Wilson", "33 Nelson Avenue"))
    evidence = json.loads(json.dumps(decision.evidence))
    assert evidence["register_version"] == "test-register"
    assert set(evidence["weights"]) >= {"prior", "address", "forename", "surname", "crowding"}
    assert abs(sum(evidence["weights"].values()) - evidence["match_weight"]) < 0.01
    assert evidence["runner_up"]["elector_id"] == "H2"
    assert decision.ward == "Dalston"
    assert 0.0 <= decision.score <= 1.0


def test_a_review_lists_the_candidates_with_their_own_evidence() -> None:
    decision = one(HOUSEHOLDS, member("M", "John", "Smith", "21 Nelson Avenue"))
    assert len(decision.candidates) == 3
    for candidate in decision.candidates:
        assert {"elector_id", "name", "address", "weights", "probability"} <= set(candidate)
