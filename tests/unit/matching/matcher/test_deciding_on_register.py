"""Nobody on the register is lost by matching (issue 10): the rules that keep a member
found when their record is written the way people really write it, and the rule that
sends a name two housemates could share to a person."""

from __future__ import annotations

import pytest

from services.matching.matcher.deciding import Decision
from tests.builders.registers import elector, member, one


def assert_match(decision: Decision, elector_id: str) -> None:
    assert (decision.decision, decision.elector_id) == ("match", elector_id), decision.reasons


# --- a decision floor: the surname registered at the member's own house ---------------


def test_a_surname_at_the_same_flat_is_never_no_match_whatever_the_first_name() -> None:
    register = [
        elector("P1", "Richard", "Pickering", "Flat 0/2", "44 Cathcart Road", postcode="G41 4RQ"),
        elector("P2", "Moira", "Pickering", "Flat 0/2", "44 Cathcart Road", postcode="G41 4RQ"),
    ]
    decision = one(register, member("M", "Torquil", "Pickering", "Flat 0/2, 44 Cathcart Road",
                                    postcode="G41 4RQ"))  # fmt: skip
    assert decision.decision == "review"
    assert decision.reasons.startswith(
        "needs a person: same address and surname; first name differs ('Torquil' / "
    )
    assert {c["elector_id"] for c in decision.candidates} >= {"P1"}


def test_the_floor_shows_the_household_even_when_a_namesake_elsewhere_fits_better() -> None:
    register = [
        elector("H1", "Archibald James", "MacDonald", "Flat 2/2", "40 Polwarth Street",
                postcode="G31 9US"),
        elector("N1", "Alexander Callum", "McDonald", "0/1", "44 Polwarth Street",
                postcode="G31 9US"),
    ]  # fmt: skip
    decision = one(register, member("M", "Zebedee", "McDonald", "Flat 2/2, 40 Polwarth Street",
                                    postcode="G31 9US"))  # fmt: skip
    assert (decision.decision, decision.elector_id) == ("review", "H1"), decision.reasons
    assert "same address and surname" in decision.reasons


def test_names_the_wrong_way_round_with_slips_at_the_same_house_go_to_a_person() -> None:
    register = [
        elector("W1", "Ewa", "Nowak", "9 Craigie Road", "Letham", postcode="PH1 9LP"),
        elector("W2", "Tomasz", "Nowak", "9 Craigie Road", "Letham", postcode="PH1 9LP"),
    ]
    decision = one(register, member("M", "Noak", "Ewo", "9 Craigie Road", postcode="PH1 9LP"))
    assert decision.decision == "review", decision.reasons
    assert decision.reasons.startswith(
        "needs a person: same address and surname given as the first name ('Noak' / 'Nowak')"
    )
    assert {c["elector_id"] for c in decision.candidates} >= {"W1"}


def test_a_short_surname_one_letter_out_at_the_same_flat_goes_to_a_person() -> None:
    register = [
        elector("L1", "Xiu", "Liu", "Flat 1", "21 Mitchell Grove", postcode="TR4 5PY"),
        elector("L2", "Chen", "Liu", "Flat 1", "21 Mitchell Grove", postcode="TR4 5PY"),
    ]
    decision = one(register, member("M", "Xu", "Lu", "Flat 1, 21 Mitchell Grove",
                                    postcode="TR4 5PY"))  # fmt: skip
    assert decision.decision == "review", decision.reasons
    assert "same address and a short surname one letter apart ('Lu' / 'Liu')" in (decision.reasons)
    assert {c["elector_id"] for c in decision.candidates} >= {"L1", "L2"}
    # At another flat it is no sign of the family: nobody to review.
    elsewhere = one(register, member("M", "Xu", "Lu", "Flat 2, 21 Mitchell Grove",
                                     postcode="TR4 5PY"))  # fmt: skip
    assert elsewhere.decision == "no_match", elsewhere.reasons


def test_a_married_name_at_the_house_number_with_digits_swapped_goes_to_a_person() -> None:
    register = [
        elector("R1", "Mary", "Powell", "35 Woodville Road", "Canton", postcode="CF11 4LU"),
        elector("R2", "Gareth", "Powell", "35 Woodville Road", "Canton", postcode="CF11 4LU"),
        elector("O1", "Tomos", "Evans", "53 Woodville Road", "Canton", postcode="CF11 4LU"),
        elector("O2", "Nia", "Evans", "53 Woodville Road", "Canton", postcode="CF11 4LU"),
    ]
    decision = one(register, member("M", "Mary", "Roberts", "53 Woodville Road",
                                    postcode="CF11 4LU"))  # fmt: skip
    assert (decision.decision, decision.elector_id) == ("review", "R1"), decision.reasons
    assert decision.reasons.startswith(
        "needs a person: first name agrees and the house number looks mistyped "
        "(party: 53, register: 35)"
    )
    # Another first name there is a stranger, not a slip.
    stranger = one(register, member("M", "Carys", "Roberts", "53 Woodville Road",
                                    postcode="CF11 4LU"))  # fmt: skip
    assert stranger.decision == "no_match", stranger.reasons


# --- a housemate whose middle name is the member's first name --------------------------

HOUSE = [
    elector("S1", "Struan Malcolm", "Buchanan", "Flat 0/2", "26 Hyndland Road", postcode="G11 5GQ"),
    elector("S2", "James Struan", "Buchanan", "Flat 0/2", "26 Hyndland Road", postcode="G11 5GQ"),
    elector("D1", "Stephen George", "Moore", "42 Woodville Avenue", postcode="CF14 2AY"),
    elector("D2", "Daniel Stephen", "Moore", "42 Woodville Avenue", postcode="CF14 2AY"),
]


def test_a_first_name_that_is_a_housemates_middle_name_goes_to_a_person() -> None:
    decision = one(HOUSE, member("M", "Struan", "Buchanan", "Flat 0/2, 26 Hyndland Road",
                                 postcode="G11 5GQ"))  # fmt: skip
    assert decision.decision == "review"
    assert "James Struan Buchanan at the same address has 'Struan' as a middle name" in (
        decision.reasons
    )
    assert {c["elector_id"] for c in decision.candidates} >= {"S1", "S2"}


def test_a_short_form_that_fits_a_housemates_middle_name_goes_to_a_person() -> None:
    decision = one(HOUSE, member("M", "Stivie", "Moore", "42 Woodville Avenue",
                                 postcode="CF14 2AY"))  # fmt: skip
    assert decision.decision == "review"
    assert {c["elector_id"] for c in decision.candidates} >= {"D1", "D2"}


def test_a_middle_name_given_on_the_record_still_tells_the_housemates_apart() -> None:
    decision = one(HOUSE, member("M", "Struan M", "Buchanan", "Flat 0/2, 26 Hyndland Road",
                                 postcode="G11 5GQ"))  # fmt: skip
    assert decision.elector_id == "S1"
    assert "as a middle name" not in decision.reasons


# --- first names: letters, short forms --------------------------------------------------


def test_a_polish_l_with_stroke_folds_to_l() -> None:
    register = [elector("W1", "Łukasz", "Wróbel", "Flat 0/1", "18 Langside Avenue",
                        postcode="G41 9SG")]  # fmt: skip
    decision = one(register, member("M", "Lukasz", "Wrobel", "Flat 0/1, 18 Langside Avenue",
                                    postcode="G41 9SG"))  # fmt: skip
    assert_match(decision, "W1")
    assert "first name identical" in decision.reasons


def test_the_start_of_a_first_name_is_a_short_form() -> None:
    register = [elector("G1", "Casimir", "Prydderch", "25 Holt Terrace", postcode="LL12 3YR")]
    decision = one(register, member("M", "Cas", "Prydderch", "25 Holt Terrace",
                                    postcode="LL12 3YR"))  # fmt: skip
    assert_match(decision, "G1")
    assert "first name may be a short form ('Cas' / 'Casimir')" in decision.reasons


def test_a_short_form_with_a_typing_slip_is_still_a_short_form() -> None:
    register = [elector("B1", "William", "Pickering", "3 Mill Lane", postcode="YO10 4JH")]
    decision = one(register, member("M", "Bil", "Pickering", "3 Mill Lane", postcode="YO10 4JH"))
    assert_match(decision, "B1")


def test_a_polish_short_form_from_the_table_matches() -> None:
    register = [elector("K1", "Grzegorz", "Kowalczyk", "7 Crwys Road", postcode="CF24 4NN")]
    decision = one(register, member("M", "Grzesiek", "Kowalczyk", "7 Crwys Road",
                                    postcode="CF24 4NN"))  # fmt: skip
    assert_match(decision, "K1")


# --- surnames: Mac and Mc --------------------------------------------------------------


def test_mc_and_mac_are_one_surname() -> None:
    register = [elector("C1", "Archibald", "MacDonald", "5 Dowanhill Street", postcode="G31 9QS")]
    decision = one(register, member("M", "Archibald", "McDonald", "5 Dowanhill Street",
                                     postcode="G31 9QS"))  # fmt: skip
    assert_match(decision, "C1")
    assert "surname the same but for Mac and Mc ('McDonald' / 'MacDonald')" in decision.reasons


# --- addresses: flats and houses written the local way ----------------------------------


def test_a_glasgow_flat_without_the_word_flat_matches() -> None:
    register = [elector("T1", "Chloe", "Schroder", "Flat 1/2", "59 Polwarth Street",
                        postcode="G31 1RH")]  # fmt: skip
    decision = one(register, member("M", "Chloe", "Schroder", "1/2, 59 Polwarth St",
                                    postcode="G31 1RH"))  # fmt: skip
    assert_match(decision, "T1")
    assert "same flat and street" in decision.reasons


def test_another_flat_on_the_same_floor_is_not_the_same_flat() -> None:
    register = [elector("F1", "Morag Elspeth", "Wright", "Flat 2/2", "12 Byres Road",
                        postcode="G12 8AA")]  # fmt: skip
    decision = one(register, member("M", "Morag", "MhKenzie", "Flat 2/1, 12 Byres Road",
                                    postcode="G12 8AA"))  # fmt: skip
    assert decision.decision != "match"
    assert "different flat (party: Flat 2/1, register: Flat 2/2)" in decision.reasons


def test_an_edinburgh_stair_number_is_read_both_ways() -> None:
    register = [elector("E1", "Marion Margaret", "MacGregor", "GF1", "19 Bruntsfield Place",
                        postcode="EH10 6AL")]  # fmt: skip
    decision = one(register, member("M", "Marion", "MacGregor", "19/1 Bruntsfield Place",
                                    postcode="EH10 6AL"))  # fmt: skip
    assert_match(decision, "E1")
    assert "same building; flats named differently" in decision.reasons


def test_flats_named_in_two_styles_are_the_same_building_not_another_flat() -> None:
    register = [elector("R1", "Ruaridh", "Robertson", "Flat 0/3", "26 Byres Road",
                        postcode="G42 5RP")]  # fmt: skip
    decision = one(register, member("M", "Ruaridh", "Robertson", "Flat 03, 26 Byres Road",
                                    postcode="G42 5RP"))  # fmt: skip
    assert_match(decision, "R1")


def test_a_named_house_without_its_street_or_locality_matches() -> None:
    register = [elector("N1", "Struan", "MacLeod", "Tigh na Mara", "Clarence Loan", "Edinbane",
                        "Portree", postcode="IV51 8LF")]  # fmt: skip
    decision = one(register, member("M", "Struan", "MacLeod", "Tigh na Mara",
                                    postcode="IV51 8LF"))  # fmt: skip
    assert_match(decision, "N1")
    assert "same house ('Tigh Na Mara')" in decision.reasons


def test_an_edinburgh_stair_number_is_looked_up_both_ways() -> None:
    # A married name shares no surname key with the register: only the house finds her.
    register = [elector("E1", "Marion Margaret", "MacGregor", "GF1", "19 Bruntsfield Place",
                        postcode="EH10 6AL")]  # fmt: skip
    decision = one(register, member("M", "Marion", "Smith", "19/1 Bruntsfield Place",
                                    postcode="EH10 6AL"))  # fmt: skip
    assert decision.elector_id == "E1", decision.reasons


def test_an_abbreviated_cottage_is_the_same_house() -> None:
    register = [elector("L1", "Harpreet", "Singh", "Lilac Cottage", "Haydon Bridge",
                        postcode="NE48 5ZT")]  # fmt: skip
    decision = one(register, member("M", "Harpreet", "Singh", "Lilac Cott", "Haydon Bridge",
                                    postcode="NE48 5ZT"))  # fmt: skip
    assert_match(decision, "L1")


def test_a_house_name_with_house_added_is_looked_up_without_it() -> None:
    # The surname is mistyped out of its sound: only the house finds him.
    register = [elector("B1", "William Owain", "Howells", "Bodlondeb", "Rhodfa Hendre", "Llanrug",
                        postcode="LL55 9LP")]  # fmt: skip
    decision = one(register, member("M", "William", "Jowellk", "Bodlondeb House",
                                    "Rhodfa Hendre", postcode="LL55 9LP"))  # fmt: skip
    assert decision.elector_id == "B1", decision.reasons


def test_a_street_abbreviated_drv_is_a_drive_without_a_postcode() -> None:
    register = [elector("D1", "Archibald", "Henderson", "Flat 3/1", "48 Peddie Drive",
                        postcode="DD1 1EQ")]  # fmt: skip
    decision = one(register, member("M", "Archibald", "Henderson", "3/1, 48 Peddie Drv",
                                    postcode=""))  # fmt: skip
    assert decision.elector_id == "D1", decision.reasons


def test_an_abbreviated_floor_names_its_flat() -> None:
    register = [
        elector("R1", "Rebecca", "Wright", "First Floor Flat", "17 Agar Place", postcode="TR4 8SS"),
        elector(
            "R2", "Rebecca", "Wright", "Second Floor Flat", "17 Agar Place", postcode="TR4 8SS"
        ),
    ]
    decision = one(register, member("M", "Rebecca", "Wright", "1st Flr, 17 Agar Place",
                                    postcode="TR4 8SS"))  # fmt: skip
    assert_match(decision, "R1")


@pytest.mark.parametrize(
    ("written", "flat"),
    [("GFF", "Ground Floor Flat"), ("FFF", "First Floor Flat"), ("SFF", "Second Floor Flat"),
     ("Flat LG", "Basement Flat"), ("LGF", "Lower Ground Floor Flat"),
     ("Attic Flat", "Top Flat")],
)  # fmt: skip
def test_a_floor_shortened_to_letters_names_its_flat(written: str, flat: str) -> None:
    # Two namesakes in one converted house: only the flat tells them apart.
    other = "Top Flat" if flat == "Ground Floor Flat" else "Ground Floor Flat"
    register = [
        elector("F1", "Declan", "McCarthy", flat, "28 Recorder Road", postcode="NR2 4EN"),
        elector("F2", "Declan", "McCarthy", other, "28 Recorder Road", postcode="NR2 4EN"),
    ]
    decision = one(register, member("M", "Declan", "McCarthy", f"{written}, 28 Recorder Road",
                                    postcode="NR2 4EN"))  # fmt: skip
    assert_match(decision, "F1")
