"""Records written otherwise than the register writes them (issue 10, second round):
a house read as a building on one side and a street on the other, a flat on its own
before the house number, swapped digits in a house number, forms and slips of middle
names, particle surnames, short doubled surnames and swapped first and last names."""

from __future__ import annotations

from services.matching.matcher.addresses import (
    FLAT_SAME,
    FLAT_UNKNOWN,
    compare_addresses,
    parse_address,
)
from services.matching.matcher.deciding import Decision
from tests.builders.registers import elector, member, one


def assert_match(decision: Decision, elector_id: str) -> None:
    assert (decision.decision, decision.elector_id) == ("match", elector_id), decision.reasons


# --- houses in a row of cottages ------------------------------------------------------

COTTAGES = [
    elector("C1", "Mhairi", "Dalziel", "2 Smithy Cottages", "Beech Place", "Kensaleyre",
            postcode="IV51 8QJ"),
    elector("C2", "Grzegorz", "Jankowski", "2 Church Cottages", "Shaftoe Lane", "Humshaugh",
            postcode="NE47 4SL"),
    elector("C3", "Alan", "Dodd", "3 Church Cottages", "Shaftoe Lane", "Humshaugh",
            postcode="NE47 4SL"),
]  # fmt: skip


def test_a_cottage_in_a_named_row_is_one_house_however_its_street_is_read() -> None:
    party = parse_address(("2 Smithy Cottages", "Kensaleyre"), "IV51 8QJ")
    register = parse_address(("2 Smithy Cottages", "Beech Place", "Kensaleyre"), "IV51 8QJ")
    assert compare_addresses(party, register).premise == FLAT_SAME
    decision = one(COTTAGES, member("M", "Mhairi", "Dalziel", "2 Smithy Cottages",
                                    "Kensaleyre", postcode="IV51 8QJ"))  # fmt: skip
    assert_match(decision, "C1")


def test_a_cottage_without_its_street_is_looked_up_as_a_cottage_of_the_row() -> None:
    # The surname's sound differs (a slip), so only the house itself can find her.
    decision = one(COTTAGES, member("M", "Grzegorz", "Jankowsi", "2 Church Cottages",
                                    postcode="NE47 4SL"))  # fmt: skip
    assert decision.elector_id == "C2", decision.reasons
    assert decision.decision in ("match", "review")


def test_a_flat_written_on_its_own_before_the_house_number_is_a_flat() -> None:
    assert parse_address(("1, 51 Lon Pant",), "LL11 5DG").sub == "1"
    assert parse_address(("A, 23 Llys Penygraig",), "CF24 5HF").sub == "A"
    register = [
        elector("F3", "Cai", "Powell", "Flat 3", "51 Lon Pant", "Gwersyllt", postcode="LL11 5DG"),
    ]
    decision = one(register, member("M", "Cai", "Davies", "1, 51 Lon Pant", postcode="LL11 5DG"))
    assert decision.decision != "match", decision.reasons


# --- a house number with two digits swapped -------------------------------------------

STREET = [
    elector("K1", "Deirdre Niamh", "Kelly", "41 Chapel Terrace", "Malpas", postcode="TR4 9XE"),
    elector("K2", "Brian", "Moss", "14 Chapel Terrace", "Malpas", postcode="TR4 9XE"),
]


def test_swapped_digits_of_a_house_number_match_when_the_name_agrees() -> None:
    decision = one(STREET, member("M", "Deirdre", "Kelly", "14 Chapel Terrace", "Malpas",
                                  postcode="TR4 9XE"))  # fmt: skip
    assert_match(decision, "K1")
    assert "the house number looks mistyped (party: 14, register: 41)" in decision.reasons


def test_swapped_digits_go_to_a_person_when_the_family_lives_at_the_partys_number() -> None:
    register = [*STREET, elector("K3", "Sean", "Kelly", "14 Chapel Terrace", postcode="TR4 9XE")]
    decision = one(register, member("M", "Deirdre", "Kelly", "14 Chapel Terrace", "Malpas",
                                    postcode="TR4 9XE"))  # fmt: skip
    assert decision.decision == "review", decision.reasons


def test_another_house_number_that_is_not_two_digits_swapped_still_goes_to_a_person() -> None:
    decision = one(STREET, member("M", "Deirdre", "Kelly", "43 Chapel Terrace", "Malpas",
                                  postcode="TR4 9XE"))  # fmt: skip
    assert decision.decision == "review", decision.reasons


def test_swapped_digits_with_a_housemate_known_by_that_middle_name_go_to_a_person() -> None:
    register = [
        elector("R1", "Raymond", "Holroyd", "25 Hull Street", postcode="YO10 3AB"),
        elector("R2", "Peter Raymond", "Holroyd", "25 Hull Street", postcode="YO10 3AB"),
    ]
    decision = one(register, member("M", "Raymond", "Holroyd", "52 Hull Street",
                                    postcode="YO10 3AB"))  # fmt: skip
    assert decision.decision == "review", decision.reasons
    assert "as a middle name" in decision.reasons


# --- middle names: short forms and typing slips --------------------------------------

ROBINSONS = [
    elector("A1", "Alexandra Abigail", "Robinson", "5 Beech Gardens", postcode="M21 7FF"),
    elector("A2", "Abigail", "Robinson", "5 Beech Gardens", postcode="M21 7FF"),
    elector("G1", "George Christopher", "Harris", "GF1", "21 Fleshmarket Close",
            postcode="EH10 1RZ"),
    elector("G2", "Christopher Anthony", "Harris", "GF1", "21 Fleshmarket Close",
            postcode="EH10 1RZ"),
    elector("S1", "Struan Angus Gregor", "Sinclair", "2/3", "24 Perth Court",
            postcode="DD2 9FU"),
]  # fmt: skip


def test_a_short_form_of_a_first_name_beats_the_same_short_form_of_a_middle_name() -> None:
    decision = one(ROBINSONS, member("M", "Gail", "Robinson", "5 Beech Gardens",
                                     postcode="M21 7FF"))  # fmt: skip
    assert decision.elector_id == "A2", decision.reasons


def test_a_slip_in_a_first_name_beats_the_same_slip_in_a_middle_name() -> None:
    decision = one(ROBINSONS, member("M", "Christtopher", "Harris", "GF1, 21 Fleshmarket Close",
                                     postcode="EH10 1RZ"))  # fmt: skip
    assert decision.elector_id == "G2", decision.reasons


def test_a_middle_name_with_a_typing_slip_goes_to_a_person() -> None:
    decision = one(ROBINSONS, member("M", "Anugs", "Sinclair", "Flat 2/3, 24 Perth Court",
                                     postcode="DD2 9FU"))  # fmt: skip
    assert (decision.decision, decision.elector_id) == ("review", "S1"), decision.reasons
    assert "known by a middle name ('Anugs'" in decision.reasons


# --- surnames and swapped names -------------------------------------------------------


def test_a_surname_without_its_particle_is_part_of_the_name() -> None:
    register = [
        elector("B1", "Caoimhe", "Ní Briain", "Basement Flat", "21 Park Gardens",
                postcode="NR2 3RP"),
    ]  # fmt: skip
    decision = one(register, member("M", "Caoimhe", "Briain", "Basement Flat, 21 Park Gardens",
                                    postcode="NR2 3RP"))  # fmt: skip
    assert decision.elector_id == "B1"
    assert "surname is part of a double-barrelled name" in decision.reasons


def test_a_doubled_letter_in_a_short_surname_keeps_the_member_at_home() -> None:
    register = [
        elector("L1", "Mei", "Li", "Dunvegan View", "Albert Row", "Staffin", postcode="IV51 5RX"),
    ]
    decision = one(register, member("M", "Mi", "Lii", "Dunvegan View", "Albert Row", "Staffin",
                                    postcode="IV51 5RX"))  # fmt: skip
    assert (decision.decision, decision.elector_id) == ("review", "L1"), decision.reasons
    assert "surname differs by a typing slip ('Lii' / 'Li')" in decision.reasons


def test_swapped_names_with_a_welsh_patronymic_are_found() -> None:
    register = [
        elector("W1", "Geraint", "ab Owain", "First Floor Flat", "2 Brynmill Road", "Sketty",
                postcode="SA2 6SP"),
    ]  # fmt: skip
    decision = one(register, member("M", "ab Owain", "Gerainnt", "1st Floor Flat, 2 Brynmill Rd",
                                    "Sketty", postcode="SA2 6SP"))  # fmt: skip
    assert decision.elector_id == "W1", decision.reasons
    assert decision.decision in ("match", "review")
    assert "wrong way round" in decision.reasons


def test_the_housemate_rule_reads_swapped_names_the_way_the_best_fit_did() -> None:
    register = [
        elector("P1", "Patrick", "Mac Cárthaigh", "Flat A", "16 Craigie Road", postcode="PH2 0AB"),
        elector("P2", "Sean Patrick", "Mac Cárthaigh", "Flat A", "16 Craigie Road",
                postcode="PH2 0AB"),
    ]  # fmt: skip
    decision = one(register, member("M", "Mac Carthaigh", "Patrick", "Flat A, 16 Craigie Road",
                                    postcode="PH2 0AB"))  # fmt: skip
    assert decision.decision == "review", decision.reasons
    assert "as a middle name" in decision.reasons


# --- a named house with a slip in the inward code -----------------------------------

FARMS = [
    elector("T1", "Valerie Christine", "Thwaite", "Tan y Bryn", "Bow Street", "Aberystwyth",
            postcode="SY24 7FD"),
    elector("T2", "Rhodri", "Griffiths", "Ty Capel", "Rhodfa y Felin", "Deiniolen",
            postcode="LL55 1XJ"),
]  # fmt: skip


def test_a_named_house_with_its_inward_code_mistyped_is_found() -> None:
    decision = one(FARMS, member("M", "Valerie", "Thwaite", "Tan y Bryn", postcode="SY24 7DF"))
    assert decision.elector_id == "T1", decision.reasons
    assert decision.decision in ("match", "review")
    assert "postcode differs by one character (SY24 7DF / SY24 7FD)" in decision.reasons


def test_a_house_of_the_same_name_on_another_street_is_not_the_same_house() -> None:
    party = parse_address(("Ty Capel", "Llys Llwyn", "Deiniolen"), "LL55 1XR")
    register = parse_address(("Ty Capel", "Rhodfa y Felin", "Deiniolen"), "LL55 1XJ")
    assert compare_addresses(party, register).premise not in (FLAT_SAME, FLAT_UNKNOWN)
    decision = one(FARMS, member("M", "Rhodri", "Howells", "Ty Capel", "Llys Llwyn", "Deiniolen",
                                 postcode="LL55 1XR"))  # fmt: skip
    assert decision.decision != "match", decision.reasons
    assert "same house" not in decision.reasons


def test_swapped_digits_with_a_slip_in_the_surname_are_found_and_go_to_a_person() -> None:
    register = [
        elector("E1", "Eilidh", "MacDonald", "Flat 2", "27 Trinity Road", postcode="NR1 4WZ"),
        elector("E2", "Brian", "Moss", "72 Trinity Road", postcode="NR1 4WZ"),
    ]
    decision = one(register, member("M", "Eilidh", "McDonapd", "Flat 2, 72 Trinity Road",
                                    postcode="NR1 4WZ"))  # fmt: skip
    assert (decision.decision, decision.elector_id) == ("review", "E1"), decision.reasons
