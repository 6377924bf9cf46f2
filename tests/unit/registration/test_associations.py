"""Which association a row means: codes, names and aliases, and the nearest when none is known."""

from __future__ import annotations

import pytest

from services.registration.associations import Directory, Entry

PARTY = Directory(
    [
        Entry("HACK", "Hackney Association", ("Hackney CLP", "Hackney & Stoke Newington")),
        Entry("ISL", "Islington Association", ()),
        Entry("CARD-C", "Cardiff Central Association", ("Caerdydd Canolog",)),
    ]
)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("HACK", "HACK"),
        ("hack", "HACK"),
        ("Hackney Association", "HACK"),
        ("  hackney   association ", "HACK"),
        ("HACKNEY CLP", "HACK"),
        ("Hackney and Stoke Newington".replace(" and ", " & "), "HACK"),
        ("caerdydd-canolog", "CARD-C"),
    ],
)
def test_a_code_name_or_alias_resolves_ignoring_case_spaces_and_punctuation(given, code):
    assert PARTY.resolve(given).code == code


def test_an_unknown_association_is_rejected_naming_the_nearest_known_ones():
    resolved = PARTY.resolve("Hackny Asociation")
    assert resolved.code == ""
    assert resolved.reason.startswith("the association 'Hackny Asociation' is not known; nearest: ")
    assert "HACK (Hackney Association)" in resolved.reason
    assert (
        resolved.reason.index("HACK") < resolved.reason.index("ISL")
        if "ISL" in resolved.reason
        else True
    )


def test_nothing_near_says_where_to_look():
    assert "see `rollcall association list`" in PARTY.resolve("Zzqx").reason


def test_with_no_list_loaded_any_well_formed_code_is_taken_as_given():
    assert Directory().resolve("HACK").code == "HACK"
    assert "is not valid" in Directory().resolve("Hackney Association").reason


def test_a_name_already_meaning_another_association_cannot_be_added():
    assert "already names association HACK" in PARTY.clash(Entry("HK", "Hackney CLP"))
    assert PARTY.clash(Entry("HACK", "Hackney Association", ("Hackney North",))) == ""
