"""Each kind of ordinary damage to a member's record still finds the right elector."""

from __future__ import annotations

import pytest

from tests.builders.registers import elector, member, one

REGISTER = [
    elector("E1", "Robert James", "Smith", "Flat 2", "10 High Street", "Hackney"),
    elector("E2", "Mary", "Smith", "Flat 2", "10 High Street", "Hackney"),
    elector("E3", "Elizabeth", "O'Brien", "Flat 3", "10 High Street", "Hackney"),
    elector("E4", "Oluwaseun", "Adeyemi-Okafor", "Flat B", "12 High Street"),
    elector("E5", "Peter", "Wilson", "Rose Cottage", "Mill Lane", postcode="E8 2CD"),
    elector("E6", "Sarah", "Taylor", "14 Church Road", postcode="N16 7XY"),
    elector("E7", "Sarah", "Taylor", "14 Church Road", postcode="SW9 0AB"),
    elector("E8", "Jonathan", "Kowalski", "7 Alder House", "Mare Street", postcode="E8 3EF"),
    elector("E9", "Anna", "Nowak", "8 Alder House", "Mare Street", postcode="E8 3EF"),
    elector("E10", "Ground", "Floor", "Ground Floor Flat", "16 High Street"),
    elector("E11", "David", "Jones", "Ground Floor Flat", "16 High Street"),
    elector("E12", "Aisha", "Begum", "18 High Street"),
]


def assert_match(decision, elector_id: str) -> None:  # type: ignore[no-untyped-def]
    assert (decision.decision, decision.elector_id) == ("match", elector_id), decision.reasons


def test_clean_record_matches() -> None:
    assert_match(one(REGISTER, member("M", "Robert", "Smith", "Flat 2", "10 High Street")), "E1")


def test_typo_in_first_name_matches() -> None:
    assert_match(one(REGISTER, member("M", "Rboert", "Smith", "Flat 2, 10 High Street")), "E1")


def test_typo_in_surname_matches() -> None:
    assert_match(one(REGISTER, member("M", "Aisha", "Bgeum", "18 High Street")), "E12")


def test_short_form_of_first_name_matches_and_says_so() -> None:
    decision = one(REGISTER, member("M", "Bob", "Smith", "Flat 2, 10 High St"))
    assert_match(decision, "E1")
    assert "'Bob' is a short form of 'Robert'" in decision.reasons


def test_member_known_by_middle_name_is_found() -> None:
    decision = one(REGISTER, member("M", "Jonathan", "Kowalski", "Flat 7 Alder House", "Mare St",
                                    postcode="E8 3EF"))  # fmt: skip
    assert_match(decision, "E8")
    known_by_middle = one(REGISTER, member("M", "James", "Smith", "Flat 2", "10 High Street"))
    assert known_by_middle.elector_id == "E1"
    assert known_by_middle.decision in ("match", "review")
    assert "middle name" in known_by_middle.reasons


def test_initial_only_matches_when_nobody_else_shares_it() -> None:
    assert_match(one(REGISTER, member("M", "A.", "Begum", "18 High Street")), "E12")


@pytest.mark.parametrize("surname", ["Adeyemi Okafor", "AdeyemiOkafor", "Adeyemi-Okafor"])
def test_surname_spacing_and_hyphens_match(surname: str) -> None:
    assert_match(one(REGISTER, member("M", "Oluwaseun", surname, "Flat B, 12 High St")), "E4")


def test_apostrophe_in_surname_matches() -> None:
    decision = one(REGISTER, member("M", "Elizabeth", "OBrien", "Flat 3", "10 High Street"))
    assert_match(decision, "E3")


def test_married_name_goes_to_a_person_with_the_right_elector() -> None:
    decision = one(REGISTER, member("M", "Aisha", "Rahman", "18 High Street"))
    assert decision.decision in ("review", "match")
    assert decision.elector_id == "E12"
    assert "married or maiden" in decision.reasons


def test_first_and_last_names_swapped_match() -> None:
    decision = one(REGISTER, member("M", "Begum", "Aisha", "18 High Street"))
    assert_match(decision, "E12")
    assert "wrong way round" in decision.reasons


@pytest.mark.parametrize(
    "lines",
    [
        ("Flat 2, 10 High St",),
        ("2/10 High Street",),
        ("Flat 2", "10 High Street"),
        ("Apartment 2", "10 High Street"),
        ("Flat 2 10 High Street",),
    ],
)
def test_flat_written_many_ways_matches(lines: tuple[str, ...]) -> None:
    assert_match(one(REGISTER, member("M", "Mary", "Smith", *lines)), "E2")


def test_flat_letter_written_as_house_suffix_matches() -> None:
    decision = one(REGISTER, member("M", "Oluwaseun", "Adeyemi-Okafor", "12B High Street"))
    assert_match(decision, "E4")


def test_missing_flat_matches_when_the_name_is_unique_in_the_building() -> None:
    assert_match(one(REGISTER, member("M", "Elizabeth", "O'Brien", "10 High Street")), "E3")


def test_floor_flat_matches() -> None:
    assert_match(
        one(REGISTER, member("M", "David", "Jones", "Ground Floor Flat, 16 High St")), "E11"
    )


@pytest.mark.parametrize(
    "street", ["18 High St", "18 High Street", "18 HIGH STREET", "18, High St."]
)
def test_street_type_abbreviations_match(street: str) -> None:
    assert_match(one(REGISTER, member("M", "Aisha", "Begum", street)), "E12")


@pytest.mark.parametrize("lines", [("Rose Cottage", "Mill Lane"), ("Rose Cottage, Mill Ln",)])
def test_house_name_matches(lines: tuple[str, ...]) -> None:
    assert_match(one(REGISTER, member("M", "Peter", "Wilson", *lines, postcode="E8 2CD")), "E5")


def test_postcode_with_one_wrong_character_matches_and_says_so() -> None:
    decision = one(REGISTER, member("M", "Aisha", "Begum", "18 High Street", postcode="E8 1BA"))
    assert_match(decision, "E12")
    assert "postcode differs by one character (E8 1BA / E8 1AB)" in decision.reasons


@pytest.mark.parametrize("postcode", ["e81ab", "E81AB", " E8  1AB ", "E8 IAB"])
def test_unspaced_or_misread_postcode_matches(postcode: str) -> None:
    assert_match(
        one(REGISTER, member("M", "Aisha", "Begum", "18 High Street", postcode=postcode)), "E12"
    )


def test_missing_postcode_matches_on_street_and_number() -> None:
    assert_match(one(REGISTER, member("M", "Aisha", "Begum", "18 High Street", postcode="")), "E12")


def test_missing_postcode_with_a_street_name_found_in_two_districts_is_not_matched() -> None:
    decision = one(REGISTER, member("M", "Sarah", "Taylor", "14 Church Road", postcode=""))
    assert decision.decision == "review"
    assert {c["elector_id"] for c in decision.candidates[:2]} == {"E6", "E7"}


def test_missing_town_matches() -> None:
    decision = one(REGISTER, member("M", "Aisha", "Begum", "18 High Street", town=""))
    assert_match(decision, "E12")
