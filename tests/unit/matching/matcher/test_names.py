"""Personal names are folded, split and compared as the matcher needs."""

from __future__ import annotations

import pytest

from services.matching.matcher.names import (
    NicknameTable,
    compare_forenames,
    compare_surnames,
    forename_tokens,
    nicknames,
    parse_name,
)


@pytest.mark.parametrize(
    ("member", "elector", "level"),
    [("Robert", "Robert", "exact"), ("Bob", "Robert", "nickname"), ("Liz", "Elizabeth", "nickname"),
     ("Rboert", "Robert", "typo"), ("James", "Robert James", "middle"), ("R", "Robert", "initial"),
     ("Thomas", "Robert", "different"), ("", "Robert", "missing")],
)  # fmt: skip
def test_forename_levels(member: str, elector: str, level: str) -> None:
    assert compare_forenames(forename_tokens(member), forename_tokens(elector)).level == level


@pytest.mark.parametrize(
    ("member", "elector", "level"),
    [("Smith", "SMITH", "exact"), ("OBrien", "O'Brien", "punctuation"),
     ("Smith Jones", "Smith-Jones", "punctuation"), ("Jones", "Smith-Jones", "part"),
     ("Smtih", "Smith", "typo"), ("Taylor", "Smith", "different")],
)  # fmt: skip
def test_surname_levels(member: str, elector: str, level: str) -> None:
    assert compare_surnames(parse_name("", member), parse_name("", elector)).level == level


def test_titles_and_dots_are_dropped_from_forenames() -> None:
    assert forename_tokens("Mr J. M.") == ("J", "M")
    assert forename_tokens("Dr") == ("DR",)


def test_the_nickname_table_is_the_packaged_data_file() -> None:
    table = nicknames()
    assert table.equivalent("BOB", "ROBERT") and table.equivalent("LIZ", "ELIZABETH")
    assert not table.equivalent("JOHN", "JONATHAN")
    assert not NicknameTable.from_csv_text("name,also_known_as\nA,B\n").equivalent("A", "C")


@pytest.mark.parametrize(
    ("member", "elector"),
    [("Guto", "Gruffudd"), ("Przemek", "Przemysław"), ("Kaśka", "Katarzyna"), ("Jas", "James"),
     ("Rita", "Margaret"), ("Quino", "Joaquín"), ("Moncho", "Ramón")],
)  # fmt: skip
def test_short_forms_added_for_issue_10_are_listed(member: str, elector: str) -> None:
    assert compare_forenames(forename_tokens(member), forename_tokens(elector)).level == "nickname"


def test_a_middle_name_by_a_short_form_or_a_slip_is_marked_as_such() -> None:
    by_form = compare_forenames(forename_tokens("Gail"), forename_tokens("Alexandra Abigail"))
    by_slip = compare_forenames(forename_tokens("Anugs"), forename_tokens("Struan Angus"))
    exact = compare_forenames(forename_tokens("Angus"), forename_tokens("Struan Angus"))
    assert [(x.level, x.slips) for x in (by_form, by_slip, exact)] == [
        ("middle", 1),
        ("middle", 2),
        ("middle", 0),
    ]
